"""Spec diff: a scripted repository's two commits, spec JSON files, and an untouched work tree."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path
from typing import Dict, List, Set, Tuple

import pytest

from linter.tools.diff import (
    Change,
    DiffError,
    canonical_kind,
    diff_specs,
    render_changes,
    run_diff,
    specs_at_revision,
)
from linter.run.engine import package_specs

BEFORE = """\
from steamship.invocable import PackageService, get, post


class Shop(PackageService):
    @post("order")
    def order(self, item: str) -> str:
        return item

    @get("stock")
    def stock(self) -> int:
        return 0

    @get("legacy")
    def legacy(self) -> str:
        return ""

    @post("price")
    def price(self, item: str, qty: int) -> float:
        return 1.0
"""

AFTER = """\
from steamship.invocable import PackageService, get, post


class Shop(PackageService):
    @post("order")
    def order(self, item: str, customer: str) -> str:  # new required argument
        return item

    @post("stock")  # was GET
    def stock(self) -> int:
        return 0

    @post("price")
    def price(self, item: str, qty: float, currency: str = "EUR") -> float:
        return 1.0

    @get("health")
    def health(self) -> str:
        return "ok"
"""

EXPECTED_BREAKING = {
    ("route-removed", "GET /legacy"),
    ("verb-changed", "GET /stock"),
    ("argument-added-required", "POST /order"),
    ("argument-type-changed", "POST /price"),
}
EXPECTED_COMPATIBLE = {
    ("route-added", "GET /health"),
    ("argument-added-optional", "POST /price"),
}


def git(repo: Path, *args: str) -> str:
    env = dict(
        os.environ,
        GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com",
        GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com",
        GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1",
    )  # fmt: skip
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, env=env, check=True
    )
    return done.stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """Two commits of a package in ``pkg/``, then uncommitted, staged and untracked edits."""
    root = tmp_path / "repo"
    (root / "pkg").mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    (root / "README.md").write_text("readme\n", encoding="utf-8")
    (root / "pkg" / "steamship.json").write_text("{}", encoding="utf-8")
    (root / "pkg" / "api.py").write_text(BEFORE, encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "before")
    git(root, "tag", "v1")
    (root / "pkg" / "api.py").write_text(AFTER, encoding="utf-8")
    git(root, "commit", "-q", "-am", "after")
    # a dirty work tree: what a diff of revisions must neither read nor disturb
    (root / "pkg" / "api.py").write_text(AFTER + "\n# work in progress\n", encoding="utf-8")
    (root / "pkg" / "staged.py").write_text("x = 1\n", encoding="utf-8")
    git(root, "add", "pkg/staged.py")
    (root / "pkg" / "untracked.py").write_text("y = 2\n", encoding="utf-8")
    return root


def snapshot(root: Path) -> Tuple[Dict[str, str], str, str]:
    status = git(root, "status", "--porcelain", "--untracked-files=all")
    files = {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(root).parts
    }
    index = hashlib.sha256((root / ".git" / "index").read_bytes()).hexdigest()
    stash = git(root, "stash", "list")
    return files, status + stash, index


def kinds(changes: List[Change], breaking: bool) -> Set[Tuple[str, str]]:
    return {(c.kind, c.route) for c in changes if c.breaking is breaking}


def test_two_revisions_report_exactly_the_breaking_changes(repo: Path) -> None:
    before = snapshot(repo)
    changes = run_diff("v1", "HEAD", path=Path("pkg"), cwd=repo)
    assert snapshot(repo) == before  # files, status, index and stash untouched
    assert kinds(changes, True) == EXPECTED_BREAKING
    assert kinds(changes, False) == EXPECTED_COMPATIBLE
    assert {c.package for c in changes} == {"api.Shop"}
    details = {c.kind: c.detail for c in changes}
    assert "customer" in details["argument-added-required"]
    assert "currency" in details["argument-added-optional"]
    assert "qty" in details["argument-type-changed"]
    # the reverse direction: everything that was added is now a removal
    reverse = run_diff("HEAD", "v1", path=Path("pkg"), cwd=repo)
    assert ("route-removed", "GET /health") in kinds(reverse, True)
    assert ("argument-removed", "POST /price") in kinds(reverse, True)
    assert snapshot(repo) == before


def test_subdirectory_is_the_default_path(repo: Path) -> None:
    changes = run_diff("v1", cwd=repo / "pkg")
    assert kinds(changes, True) == EXPECTED_BREAKING


def test_revision_specs_carry_required(repo: Path) -> None:
    specs = specs_at_revision(repo, "HEAD", "pkg")
    price = next(m for m in specs["api.Shop"]["methods"] if m["path"] == "/price")
    assert [(a["name"], a["required"]) for a in price["args"]] == [
        ("item", True), ("qty", True), ("currency", False),
    ]  # fmt: skip
    assert specs_at_revision(repo, "v1", "missing") == {}


def test_unknown_revision_is_an_error(repo: Path) -> None:
    with pytest.raises(DiffError, match="not a commit"):
        run_diff("no-such-rev", cwd=repo / "pkg")


def spec_file(tmp_path: Path, name: str, source: str) -> Path:
    root = tmp_path / name
    root.mkdir()
    (root / "steamship.json").write_text("{}", encoding="utf-8")
    (root / "api.py").write_text(source, encoding="utf-8")
    specs, _, _ = package_specs([root], "instance")
    out = tmp_path / f"{name}.json"
    out.write_text(
        json.dumps({n: s.to_dict() for n, s in sorted(specs.items())}, indent=2), encoding="utf-8"
    )
    return out


def test_spec_json_files(tmp_path: Path) -> None:
    old = spec_file(tmp_path, "old", BEFORE)
    new = spec_file(tmp_path, "new", AFTER)
    changes = run_diff(old.name, new.name, cwd=tmp_path)
    # The JSON has no defaults: a new argument may be required, so it counts as breaking.
    unknown = {("argument-added-unknown", "POST /order"), ("argument-added-unknown", "POST /price")}
    assert (
        kinds(changes, True)
        == (EXPECTED_BREAKING - {("argument-added-required", "POST /order")}) | unknown
    )
    assert kinds(changes, False) == {("route-added", "GET /health")}
    report = json.loads(render_changes(changes, "json"))
    assert report["breaking"] is True
    assert set(report["changes"][0]) == {"kind", "breaking", "package", "route", "detail"}


def test_no_changes_and_packages_added_or_removed() -> None:
    spec = {"name": "A", "methods": [{"path": "/x", "verb": "POST", "args": []}]}
    assert diff_specs({"m.A": spec}, {"m.A": spec}) == []
    assert render_changes([]).endswith("0 breaking changes, 0 compatible changes\n")
    gone = diff_specs({"m.A": spec}, {})
    assert [(c.kind, c.breaking) for c in gone] == [("package-removed", True)]
    added = diff_specs({}, {"m.A": spec})
    assert [(c.kind, c.breaking) for c in added] == [("package-added", False)]


def test_arguments_required_and_enum_values() -> None:
    def spec(args: list) -> dict:
        return {"m.A": {"methods": [{"path": "/x", "verb": "POST", "args": args}]}}

    color = {"name": "c", "kind": "<enum 'Color'>", "values": ["red", "green"], "required": False}
    fewer = dict(color, values=["red"], required=True)
    changes = diff_specs(spec([color]), spec([fewer]))
    assert {(c.kind, c.breaking) for c in changes} == {
        ("argument-now-required", True),
        ("enum-values-removed", True),
    }
    changes = diff_specs(spec([fewer]), spec([color]))
    assert {(c.kind, c.breaking) for c in changes} == {
        ("argument-now-optional", False),
        ("enum-values-added", False),
    }


@pytest.mark.parametrize(
    "a, b, same",
    [
        ("<class 'str'>", "str", True),
        ("typing.Optional[api.Priority]", "Optional[Priority]", True),
        ("Optional[Priority]", "Priority | None", True),
        ("typing.Union[int, str]", "str | int", True),
        ("typing.List[str]", "list[str]", True),
        ("<enum 'Color'>", "'Color'", True),
        ("<class 'int'>", "<class 'float'>", False),
        ("typing.List[str]", "typing.List[int]", False),
    ],
)
def test_canonical_kind(a: str, b: str, same: bool) -> None:
    assert (canonical_kind(a) == canonical_kind(b)) is same


# -- files that do not parse --------------------------------------------------------------------


def commit_files(repo: Path, files: Dict[str, bytes], message: str, tag: str) -> None:
    for name, data in files.items():
        target = repo / "pkg" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    git(repo, "add", "-A", "pkg")
    git(repo, "commit", "-q", "-m", message)
    git(repo, "tag", tag)


BROKEN_API = AFTER.replace("def stock(self) -> int:", "def stock(self) -> int")


def test_a_package_module_that_does_not_parse_is_an_error_at_either_side(repo: Path) -> None:
    git(repo, "stash", "-q", "--include-untracked")
    commit_files(repo, {"api.py": BROKEN_API.encode()}, "broken", "broken")
    # at HEAD: not "package api.Shop was removed"
    message = r"^pkg/api\.py at broken: .*expected ':' \(line 10\)"
    with pytest.raises(DiffError, match=message) as info:
        run_diff("v1", "broken", path=Path("pkg"), cwd=repo)
    assert "v1" not in str(info.value)
    # at BASE: not "package api.Shop was added"
    with pytest.raises(DiffError, match=r"^pkg/api\.py at broken: "):
        run_diff("broken", "v1", path=Path("pkg"), cwd=repo)


def test_an_undecodable_package_module_is_an_error(repo: Path) -> None:
    git(repo, "stash", "-q", "--include-untracked")
    commit_files(repo, {"api.py": AFTER.encode() + b'\nNAME = "\xe9"\n'}, "latin-1", "bytes")
    with pytest.raises(DiffError, match=r"^pkg/api\.py at bytes: cannot decode"):
        run_diff("v1", "bytes", path=Path("pkg"), cwd=repo)


MIXED = """\
from steamship.invocable import PackageService, post
from steamship.invocable.package_mixin import PackageMixin

from mixins import Extra


class Mixed(PackageService):
    USED_MIXIN_CLASSES = [Extra]

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.add_mixin(Extra())
"""

MIXIN = """\
from steamship.invocable import post
from steamship.invocable.package_mixin import PackageMixin


class Extra(PackageMixin):
    @post("mixed")
    def mixed(self, text: str) -> str:
        return text
"""


def test_a_mixin_module_that_does_not_parse_is_an_error(repo: Path) -> None:
    git(repo, "stash", "-q", "--include-untracked")
    commit_files(repo, {"mixed.py": MIXED.encode(), "mixins.py": MIXIN.encode()}, "mixin", "m1")
    routes = specs_at_revision(repo, "m1", "pkg")["mixed.Mixed"]["methods"]
    assert ("POST", "/mixed") in {(m["verb"], m["path"]) for m in routes}
    broken = MIXIN.replace("-> str:", "-> str")
    commit_files(repo, {"mixins.py": broken.encode()}, "broken mixin", "m2")
    with pytest.raises(DiffError, match=r"^pkg/mixins\.py at m2: "):
        run_diff("m1", "m2", path=Path("pkg"), cwd=repo)


def test_a_module_of_route_constants_that_does_not_parse_is_an_error(repo: Path) -> None:
    """It never mentions steamship, but a route's path is read from it."""
    git(repo, "stash", "-q", "--include-untracked")
    api = MIXED.replace("from mixins import Extra", "from paths import ORDER").replace(
        "    USED_MIXIN_CLASSES = [Extra]\n\n    def __init__(self, **kwargs):\n"
        "        super().__init__(**kwargs)\n        self.add_mixin(Extra())\n",
        "    @post(ORDER)\n    def order(self) -> str:\n        return ''\n",
    )
    commit_files(repo, {"mixed.py": api.encode(), "paths.py": b'ORDER = "order"\n'}, "c", "c1")
    commit_files(repo, {"paths.py": b'ORDER = "order"\nprint "x"\n'}, "py2", "c2")
    with pytest.raises(DiffError, match=r"^pkg/paths\.py at c2: "):
        run_diff("c1", "c2", path=Path("pkg"), cwd=repo)


def test_a_broken_file_that_cannot_shape_a_package_is_not_an_error(repo: Path) -> None:
    """A script that neither mentions steamship nor imports anything that does cannot define,
    change or feed a package: the diff goes on (the engine's own scope, linter/project/scope.py)."""
    git(repo, "stash", "-q", "--include-untracked")
    commit_files(repo, {"scripts/old.py": b'print "python 2"\n'}, "script", "s1")
    changes = run_diff("v1", "s1", path=Path("pkg"), cwd=repo)
    assert kinds(changes, True) == EXPECTED_BREAKING


def test_the_cli_exits_2_naming_the_file_and_revision(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cli_support import invoke

    git(repo, "stash", "-q", "--include-untracked")
    commit_files(repo, {"api.py": BROKEN_API.encode()}, "broken", "broken")
    monkeypatch.chdir(repo / "pkg")
    result = invoke(["diff", "v1", "broken"])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert "pkg/api.py at broken" in result.stderr
    assert "Traceback" not in result.output


def test_a_missing_spec_file_is_named(tmp_path: Path) -> None:
    old = spec_file(tmp_path, "old", BEFORE)
    with pytest.raises(DiffError, match=r"^new\.json: no such file"):
        run_diff(old.name, "new.json", cwd=tmp_path)
    with pytest.raises(DiffError, match=r"^gone\.json: no such file"):
        run_diff("gone.json", old.name, cwd=tmp_path)
    (tmp_path / "dir.json").mkdir()
    with pytest.raises(DiffError, match=r"^dir\.json: not a file"):
        run_diff(old.name, "dir.json", cwd=tmp_path)


def test_a_branch_named_like_a_json_file_is_still_a_revision(repo: Path) -> None:
    git(repo, "branch", "release.json", "v1")
    changes = run_diff("release.json", "HEAD", path=Path("pkg"), cwd=repo)
    assert kinds(changes, True) == EXPECTED_BREAKING


# -- spec files with what steamship's spec leaves out -------------------------------------------


def extended_spec_file(tmp_path: Path, name: str, source: str) -> Path:
    """``pkgcheck spec --extended`` of a one-module package, written to ``name``.json."""
    from cli_support import invoke

    root = tmp_path / name
    root.mkdir()
    (root / "steamship.json").write_text("{}", encoding="utf-8")
    (root / "api.py").write_text(source, encoding="utf-8")
    result = invoke(["spec", "--extended", str(root)])
    assert result.exit_code == 0, result.output
    out = tmp_path / f"{name}.json"
    out.write_text(result.stdout, encoding="utf-8")
    return out


def test_extended_spec_files_tell_optional_from_required(tmp_path: Path) -> None:
    old = extended_spec_file(tmp_path, "old", BEFORE)
    new = extended_spec_file(tmp_path, "new", AFTER)
    changes = run_diff(old.name, new.name, cwd=tmp_path)
    # exactly what the two revisions give: no argument-added-unknown
    assert kinds(changes, True) == EXPECTED_BREAKING
    assert kinds(changes, False) == EXPECTED_COMPATIBLE
    # and one extended file against a plain one still knows what it can
    plain = spec_file(tmp_path, "plain", BEFORE)
    mixed = run_diff(plain.name, new.name, cwd=tmp_path)
    assert kinds(mixed, True) == EXPECTED_BREAKING


def test_extended_spec_is_opt_in(tmp_path: Path) -> None:
    """The default spec JSON keeps steamship's PackageSpec shape (the oracle compares it)."""
    from cli_support import invoke

    root = tmp_path / "pkg"
    root.mkdir()
    (root / "steamship.json").write_text("{}", encoding="utf-8")
    (root / "api.py").write_text(AFTER, encoding="utf-8")
    plain = json.loads(invoke(["spec", str(root)]).stdout)
    extended = json.loads(invoke(["spec", "--extended", str(root)]).stdout)
    price = [m for m in plain["api.Shop"]["methods"] if m["path"] == "/price"][0]
    assert [set(a) for a in price["args"]] == [{"name", "kind", "values"}] * 3
    price = [m for m in extended["api.Shop"]["methods"] if m["path"] == "/price"][0]
    assert [(a["name"], a["required"]) for a in price["args"]] == [
        ("item", True), ("qty", True), ("currency", False),
    ]  # fmt: skip
    refused = invoke(["spec", "--extended", "--format", "openapi", str(root)])
    assert refused.exit_code == 2 and "--extended" in refused.stderr


# -- the shapes of model arguments --------------------------------------------------------------

MODEL_BEFORE = """\
from typing import List, Optional

from pydantic import BaseModel, Field
from steamship.invocable import PackageService, post


class Address(BaseModel):
    street: str
    city: str = "Paris"


class Customer(BaseModel):
    \"\"\"Who orders.\"\"\"

    name: str
    email: Optional[str] = None
    address: Address
    tags: List[str] = []


class Shop(PackageService):
    @post("order")
    def order(self, customer: Customer, note: str = "") -> str:
        return customer.name

    @post("lookup")
    def lookup(self, customer: Optional[Customer] = None) -> str:
        return ""
"""


def model_repo(tmp_path: Path, before: str, after: str) -> Path:
    root = tmp_path / "models"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "steamship.json").write_text("{}", encoding="utf-8")
    (root / "api.py").write_text(before, encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "before")
    (root / "api.py").write_text(after, encoding="utf-8")
    git(root, "commit", "-q", "-am", "after")
    return root


def changes_of(tmp_path: Path, after: str) -> Set[Tuple[str, bool, str, str]]:
    root = model_repo(tmp_path, MODEL_BEFORE, after)
    return {(c.kind, c.breaking, c.route, c.detail) for c in run_diff("HEAD~1", "HEAD", cwd=root)}


def test_renaming_a_required_field_of_an_argument_model_is_breaking(tmp_path: Path) -> None:
    after = MODEL_BEFORE.replace("    name: str\n", "    full_name: str\n").replace(
        "customer.name", "customer.full_name"
    )
    changes = changes_of(tmp_path, after)
    assert changes == {
        ("field-removed", True, "POST /order", "argument 'customer': field 'name' was removed"),
        (
            "field-added-required", True, "POST /order",
            "argument 'customer': required field 'full_name' was added",
        ),
        ("field-removed", True, "POST /lookup", "argument 'customer': field 'name' was removed"),
        (
            "field-added-required", True, "POST /lookup",
            "argument 'customer': required field 'full_name' was added",
        ),
    }  # fmt: skip


@pytest.mark.parametrize(
    "edit, expected",
    [
        (  # a nested model's field loses its default
            ('    city: str = "Paris"\n', "    city: str\n"),
            {("field-now-required", True,
              "argument 'customer': field 'address.city' lost its default")},
        ),
        (  # a new optional field
            ("    tags: List[str] = []\n", "    tags: List[str] = []\n    vip: bool = False\n"),
            {("field-added-optional", False,
              "argument 'customer': optional field 'vip' was added")},
        ),
        (  # a field's type
            ("    tags: List[str] = []\n", "    tags: List[int] = []\n"),
            {("field-type-changed", True, "argument 'customer': field 'tags' changed type from "
              "array of string to array of integer")},
        ),
        (  # a field called like a JSON schema keyword
            ("    tags: List[str] = []\n", "    tags: List[str] = []\n    title: str\n"),
            {("field-added-required", True,
              "argument 'customer': required field 'title' was added")},
        ),
        (  # documentation and class names are no part of the JSON
            ('    """Who orders."""\n', '    """Who orders things."""\n'),
            set(),
        ),
    ],
)
def test_changes_inside_argument_models(
    tmp_path: Path, edit: Tuple[str, str], expected: Set[Tuple[str, bool, str]]
) -> None:
    assert edit[0] in MODEL_BEFORE
    changes = changes_of(tmp_path, MODEL_BEFORE.replace(*edit))
    assert {(kind, breaking, detail) for kind, breaking, route, detail in changes} == expected
    # both routes take the model (one as Optional[Customer]): both report it
    routes = {route for _, _, route, _ in changes}
    assert routes == ({"POST /order", "POST /lookup"} if expected else set())


def test_extended_spec_files_compare_models_too(tmp_path: Path) -> None:
    old = extended_spec_file(tmp_path, "old", MODEL_BEFORE)
    new = extended_spec_file(tmp_path, "new", MODEL_BEFORE.replace("    name: str\n", ""))
    changes = run_diff(old.name, new.name, cwd=tmp_path)
    assert {(c.kind, c.route) for c in changes} == {
        ("field-removed", "POST /order"), ("field-removed", "POST /lookup"),
    }  # fmt: skip
