"""The on-disk cache (``.pkgcheck_cache/``): a cached run reports what a fresh run reports, after
any edit — to the file itself, to a mixin another file uses, to a constants module the
prefilter never keeps, or by creating the module an import was looking for — and an unchanged
tree is answered without reading any facts."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from linter.run import engine
from rules import default_codes

CODES = default_codes()

PACKAGE = """\
from steamship.invocable import PackageService, post
from mixins import Extra
from consts import FIRST, SECOND

class Svc(PackageService):
    USED_MIXIN_CLASSES = [Extra]

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.add_mixin(Extra())

    @post(FIRST)
    def first(self) -> str:
        return "first"

    @post(SECOND)
    def second(self) -> str:
        return "second"
"""

#: the line of ``second``'s decorator, where a conflict of the two routes is reported
SECOND_LINE = 1 + PACKAGE.splitlines().index("    @post(SECOND)")

MIXIN = """\
from steamship.invocable import PackageMixin, post

class Extra(PackageMixin):
    @post("{path}")
    def extra(self) -> str:
        return "extra"
"""


@pytest.fixture(autouse=True)
def private_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))


def project(tmp_path: Path, files: Dict[str, str]) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "steamship.json").write_text("{}\n", encoding="utf-8")
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


def found(root: Path, cache: bool) -> List[Tuple[str, int, str]]:
    report = engine.check([root], CODES, cache=cache)
    return sorted((Path(v.path).name, v.line, v.code) for v in report.violations)


def assert_cached_equals_fresh(root: Path) -> List[Tuple[str, int, str]]:
    cached = found(root, cache=True)
    assert cached == found(root, cache=False)
    return cached


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return project(
        tmp_path,
        {
            "api.py": PACKAGE,
            "mixins.py": MIXIN.format(path="extra"),
            "consts.py": 'FIRST = "first"\nSECOND = "second"\n',
        },
    )


def test_clean_project_stays_clean(root: Path) -> None:
    assert assert_cached_equals_fresh(root) == []
    assert (root / ".pkgcheck_cache" / "CACHEDIR.TAG").is_file()


def test_editing_a_mixin_rechecks_the_package_that_uses_it(root: Path) -> None:
    assert assert_cached_equals_fresh(root) == []
    (root / "mixins.py").write_text(MIXIN.format(path="first"), encoding="utf-8")
    after = assert_cached_equals_fresh(root)
    assert after and all(name == "api.py" for name, _, _ in after), after
    (root / "mixins.py").write_text(MIXIN.format(path="extra"), encoding="utf-8")
    assert assert_cached_equals_fresh(root) == []


def test_editing_a_module_outside_the_prefilter_rechecks_its_readers(root: Path) -> None:
    """consts.py never mentions steamship, so it is not among the keyed in-scope modules; the
    spec builder reads it to know the route paths. Making both paths equal must surface the
    conflict, and undoing it must clear it."""
    assert assert_cached_equals_fresh(root) == []
    (root / "consts.py").write_text('FIRST = "first"\nSECOND = "first"\n', encoding="utf-8")
    assert assert_cached_equals_fresh(root) == [("api.py", SECOND_LINE, "SHP101")]
    (root / "consts.py").write_text('FIRST = "first"\nSECOND = "second"\n', encoding="utf-8")
    assert assert_cached_equals_fresh(root) == []


def test_creating_the_module_an_import_missed(tmp_path: Path) -> None:
    """Before consts.py exists the paths are unknown (silent); once it is created with a
    conflict, a cached run must not answer from the entry written without it."""
    root = project(tmp_path, {"api.py": PACKAGE, "mixins.py": MIXIN.format(path="extra")})
    assert assert_cached_equals_fresh(root) == []
    (root / "consts.py").write_text('FIRST = "same"\nSECOND = "same"\n', encoding="utf-8")
    assert assert_cached_equals_fresh(root) == [("api.py", SECOND_LINE, "SHP101")]


def test_deleting_a_module_that_was_read(root: Path) -> None:
    (root / "consts.py").write_text('FIRST = "same"\nSECOND = "same"\n', encoding="utf-8")
    assert assert_cached_equals_fresh(root) == [("api.py", SECOND_LINE, "SHP101")]
    (root / "consts.py").unlink()
    assert assert_cached_equals_fresh(root) == []


def test_unchanged_tree_reads_no_facts(root: Path) -> None:
    (root / "mixins.py").write_text(MIXIN.format(path="first"), encoding="utf-8")
    first = engine.check([root], CODES, cache=True)
    assert first.project.cache.misses > 0  # the cold run parsed and stored facts
    warm = engine.check([root], CODES, cache=True)
    assert (warm.project.cache.hits, warm.project.cache.misses) == (0, 0)
    assert not warm.project.loaded_paths, "a warm run loaded modules"
    assert [(v.path, v.line, v.code) for v in warm.violations] == [
        (v.path, v.line, v.code) for v in first.violations
    ]


def test_one_edit_reparses_only_the_edited_file(root: Path) -> None:
    engine.check([root], CODES, cache=True)
    (root / "mixins.py").write_text(MIXIN.format(path="first"), encoding="utf-8")
    after = engine.check([root], CODES, cache=True)
    assert after.project.cache.misses == 1  # mixins.py; api.py's facts came from the cache
    assert after.violations


def test_changing_the_rules_is_a_different_entry(root: Path) -> None:
    (root / "consts.py").write_text('FIRST = "same"\nSECOND = "same"\n', encoding="utf-8")
    engine.check([root], CODES, cache=True)
    without = engine.check([root], [c for c in CODES if c != "SHP101"], cache=True)
    assert not [v for v in without.violations if v.code == "SHP101"]
    again = engine.check([root], CODES, cache=True)
    assert [v.code for v in again.violations] == ["SHP101"]


def test_positions_in_unchanged_modules_come_from_the_cache(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After an edit elsewhere, a finding in an unchanged module is placed from the positions
    cached with its text: the edited file is the only one parsed."""
    from linter.source import collect

    (root / "consts.py").write_text('FIRST = "same"\nSECOND = "same"\n', encoding="utf-8")
    first = engine.check([root], CODES, cache=True)
    assert [(Path(v.path).name, v.line) for v in first.violations] == [("api.py", SECOND_LINE)]
    mixin = MIXIN.format(path="extra") + "# edited\n"
    (root / "mixins.py").write_text(mixin, encoding="utf-8")
    parsed: List[str] = []
    real = collect.parse_module
    monkeypatch.setattr(collect, "parse_module", lambda source: parsed.append(source) or real(source))
    again = engine.check([root], CODES, cache=True)
    assert parsed == [mixin]
    assert again.violations == first.violations
    monkeypatch.undo()
    assert again.violations == engine.check([root], CODES, cache=False).violations


def test_a_key_still_being_written_is_never_the_key(tmp_path: Path) -> None:
    """Two first runs at once (test_fuzz_cache.py's race, on a fresh machine): the second must
    not take the first one's key file while it is still empty and sign with an empty key."""
    from linter.run.cache import _secret

    key = tmp_path / "xdg" / "pkgcheck" / "secret"
    key.parent.mkdir(parents=True)
    key.write_bytes(b"")  # created by the other run, not written yet
    assert _secret() is None
    key.write_bytes(b"k" * 32)
    assert _secret() == b"k" * 32


def test_the_key_is_made_whole_and_private(tmp_path: Path) -> None:
    from linter.run.cache import _secret

    first = _secret()
    key = tmp_path / "xdg" / "pkgcheck" / "secret"
    assert first is not None and len(first) == 32 and key.read_bytes() == first
    assert key.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in key.parent.iterdir()] == ["secret"]  # no temporary file left
    assert _secret() == first


def test_the_code_digest_covers_the_code_and_the_bundled_catalogue(tmp_path: Path) -> None:
    """Cached entries are keyed by pkgcheck's own code: a changed module or a changed steamship
    catalogue (the bundle, ``.zip``) makes a new flavour; compiled byte-code does not."""
    import zipfile

    from linter.run.cache import code_digest, digest_of_packages

    package = tmp_path / "linter"
    (package / "sdk" / "data").mkdir(parents=True)
    (package / "__pycache__").mkdir()
    (package / "engine.py").write_text("x = 1\n", encoding="utf-8")
    bundle = package / "sdk" / "data" / "steamship.zip"

    def catalogue(text: str) -> None:
        with zipfile.ZipFile(bundle, "w") as archive:
            archive.writestr("releases.json", text)

    catalogue('{"2.17.34": [1]}')
    first = digest_of_packages([package])
    (package / "__pycache__" / "engine.cpython-311.pyc").write_bytes(b"compiled")
    (package / "notes.txt").write_text("not code\n", encoding="utf-8")
    catalogue('{"2.17.34": [1]}')  # written again, the same members
    assert digest_of_packages([package]) == first
    catalogue('{"2.17.34": [2]}')  # a member of the same size, other content
    second = digest_of_packages([package])
    assert second != first
    (package / "engine.py").write_text("x = 2\n", encoding="utf-8")
    third = digest_of_packages([package])
    assert third not in (first, second)
    bundle.write_bytes(b"not an archive")  # read whole
    assert digest_of_packages([package]) not in (first, second, third)
    assert len(code_digest()) == 16
