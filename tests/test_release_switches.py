"""Each behaviour switch of :class:`linter.sdk.releases.Runtime`, shown on the same code under
the last release before the change and the first after it: the findings differ as the
runtimes do. The runtime side of each claim is checked by ``test_the_runtime_agrees``
(``-m slow``: a venv per release), which imports and instantiates the same code under steamship
itself."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pytest

from linter.run import engine
from rules import default_codes

HEADER = """\
from steamship.invocable import PackageService, post
"""
MIXIN = HEADER + """\
from steamship.invocable.package_mixin import PackageMixin


class Health(PackageMixin):
    @post("health")
    def health(self) -> str:
        return "ok"
"""

#: name -> (source of api.py, the codes looked at, {release: [(line, code)]}, what the runtime
#: of each release does: {release: (package, level, error or None)})
Expected = Dict[str, List[Tuple[int, str]]]
Runtimes = Dict[str, Tuple[str, str, Optional[str]]]
CASES: Dict[str, Tuple[str, Tuple[str, ...], Expected, Runtimes]] = {
    # inherits: a grandparent's route is served from 2.16.1 on (its route table is copied)
    "grandparent_route": (
        HEADER + """\


class Base(PackageService):
    @post("refresh")
    def refresh(self) -> str:
        return "ok"


class Middle(Base):
    pass


class Leaf(Middle):
    @post("go")
    def go(self) -> str:
        self.invoke_later("refresh")
        return "ok"
""",
        ("SHP401",),
        {"2.16.0": [(17, "SHP401")], "2.16.1": []},
        {},
    ),
    # reserved: POST /__instance_init__ is steamship's from 2.15.0 on
    "instance_init_route": (
        HEADER + """\


class Setup(PackageService):
    @post("__instance_init__")
    def setup(self) -> str:
        return "ok"
""",
        ("SHP102",),
        {"2.14.2": [], "2.15.0": [(5, "SHP102")]},
        {},
    ),
    # invoke_later: absent before 2.3.2, delay_ms from 2.16.1
    "invoke_later_parameters": (
        HEADER + """\


class Later(PackageService):
    @post("go")
    def go(self) -> str:
        self.invoke_later("go", delay_ms=5)
        return "ok"
""",
        ("SHP404",),
        {"2.2.1": [(7, "SHP404")], "2.3.2": [(7, "SHP404")], "2.16.0": [(7, "SHP404")], "2.16.1": []},
        {},
    ),
    # enum_values: 2.3.4-2.3.5 call issubclass() on every annotation
    "unguarded_annotations": (
        HEADER + """\
from typing import Optional


class Typed(PackageService):
    @post("go")
    def go(self, shade: Optional[str] = None) -> str:
        return "ok"
""",
        ("SHP204",),
        {"2.3.3": [], "2.3.5": [(7, "SHP204")], "2.3.6": []},
        {"2.3.5": ("api.Typed", "import", "TypeError"), "2.3.6": ("api.Typed", "class", None)},
    ),
    # used_mixin_classes: read from 2.17.8 on; a listed mixin meets the class's own route
    "listed_mixin_meets_route": (
        MIXIN + """\


class Clinic(PackageService):
    USED_MIXIN_CLASSES = [Health]

    @post("health")
    def health(self) -> str:
        return "fine"
""",
        ("SHP301",),
        {"2.17.7": [], "2.17.8": [(12, "SHP301")]},
        {"2.17.7": ("api.Clinic", "class", None), "2.17.8": ("api.Clinic", "import", "RouteConflictError")},
    ),
    # used_mixin_classes: 2.17.8-2.17.10 scan an inherited list again
    "inherited_mixin_list": (
        MIXIN + """\


class Listed(PackageService):
    USED_MIXIN_CLASSES = [Health]

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.add_mixin(Health())


class Child(Listed):
    pass
""",
        ("SHP301",),
        {"2.17.10": [(12, "SHP301")], "2.17.11": []},
        {"2.17.10": ("api.Child", "import", "RouteConflictError"), "2.17.11": ("api.Child", "instance", None)},
    ),
    # mixin_readds_replace: adding one mixin class twice conflicts before 2.17.8
    "mixin_added_twice": (
        MIXIN + """\


class Twice(PackageService):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.add_mixin(Health())
        self.add_mixin(Health())
""",
        ("SHP301", "SHP305"),
        {"2.17.7": [(15, "SHP301")], "2.17.8": [(15, "SHP305")]},
        {"2.17.7": ("api.Twice", "instance", "RouteConflictError"), "2.17.8": ("api.Twice", "instance", None)},
    ),
    # permit_keyword: add_mixin takes its flag from 2.17.7 on
    "add_mixin_permit_flag": (
        MIXIN + """\


class Flagged(PackageService):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.add_mixin(Health(), permit_overwrite_of_existing_methods=True)
""",
        ("SHP304",),
        {"2.17.6": [(14, "SHP304")], "2.17.7": []},
        {"2.17.6": ("api.Flagged", "instance", "TypeError"), "2.17.7": ("api.Flagged", "instance", None)},
    ),
    # package_class: 2.1.x serves App subclasses, which have no invoke_later
    "app_invoke_later": (
        """\
from steamship.app import App, post


class Hello(App):
    @post("go")
    def go(self) -> str:
        self.invoke_later("go")
        return "ok"
""",
        ("SHP404",),
        {"2.1.31": [(7, "SHP404")]},
        {},
    ),
    # mixins: no add_mixin flag to mistake a route keyword for before 2.17.1
    "permit_flag_on_route": (
        HEADER + """\


class Service(PackageService):
    @post("status", permit_overwrite_of_existing_methods=True)
    def status(self) -> str:
        return "ok"
""",
        ("SHP109",),
        {"2.17.0": [], "2.17.1": [(5, "SHP109")]},
        {},
    ),
}

RUNS = [(name, version) for name, case in CASES.items() for version in case[2]]


def write(tmp_path: Path, source: str, version: str) -> Path:
    root = tmp_path / "bot"
    root.mkdir(parents=True)
    (root / "steamship.json").write_text("{}\n", encoding="utf-8")
    (root / "requirements.txt").write_text(f"steamship=={version}\n", encoding="utf-8")
    (root / "api.py").write_text(source, encoding="utf-8")
    return root


@pytest.mark.parametrize("name, version", RUNS)
def test_the_findings_follow_the_release(tmp_path: Path, name: str, version: str) -> None:
    source, codes, expected, _ = CASES[name]
    report = engine.check([write(tmp_path, source, version)], default_codes())
    if report.project.steamship.kind != "catalogue":
        pytest.skip("a steamship is installed next to pkgcheck: the catalogue is not used")
    assert report.project.steamship.version == version
    assert report.notices == [f"checked against steamship {version}: steamship=={version} (requirements.txt)"]
    found = [(v.line, v.code) for v in report.violations if v.code in codes]
    assert found == expected[version]


def test_the_messages_name_the_release(tmp_path: Path) -> None:
    source = CASES["grandparent_route"][0]
    (old,) = engine.check([write(tmp_path, source, "2.16.0")], ["SHP401"]).violations
    assert "Base declares it (api.py:5), but in steamship 2.16.0 a package serves only" in old.message
    later = CASES["invoke_later_parameters"][0]
    (before,) = engine.check([write(tmp_path / "a", later, "2.2.1")], ["SHP404"]).violations
    assert before.message.startswith("PackageService has no invoke_later in steamship 2.2.1")
    (delay,) = engine.check([write(tmp_path / "b", later, "2.16.0")], ["SHP404"]).violations
    assert delay.message.startswith("invoke_later of steamship 2.16.0 does not take delay_ms")


RUNTIME_RUNS = [(name, version) for name, case in CASES.items() for version in case[3]]


@pytest.mark.slow
@pytest.mark.parametrize("name, version", RUNTIME_RUNS)
def test_the_runtime_agrees(tmp_path: Path, name: str, version: str) -> None:
    """What each finding above says the release does, its runtime does: the import or the
    instantiation raises exactly where pkgcheck reports, and nowhere else."""
    from oracle.venv import ensure_oracle_venv
    from test_oracle import RUNTIME_DUMP

    source, _, _, runtime = CASES[name]
    package, level, error = runtime[version]
    root = write(tmp_path, source, version)
    venv = ensure_oracle_venv(version=version)
    dump = json.loads(
        subprocess.run(
            [str(venv.python), str(RUNTIME_DUMP), str(root)],
            capture_output=True, text=True, timeout=300, cwd=str(tmp_path), check=True,
        ).stdout  # fmt: skip
    )
    if level == "import":
        (failed,) = dump["errors"]
        assert failed["module"] == "api" and failed["error"].startswith(error + ":")
        return
    assert dump["errors"] == []
    entry = dump["packages"][package][level]
    if error is None:
        assert "error" not in entry
    else:
        assert entry["error"].startswith(error + ":")


def test_every_case_names_its_source_lines() -> None:
    """The expected lines point into the source (a guard against a case edited out of step)."""
    for name, (source, _, expected, _) in CASES.items():
        lines = source.splitlines()
        for findings in expected.values():
            for line, _ in findings:
                assert 0 < line <= len(lines) and lines[line - 1].strip(), (name, line)
