"""The bundled steamship catalogue: generated, never hand-edited, and a faithful stand-in for a
parse.

- Rebuilding the entries of a few releases from their wheels gives what the bundle holds for
  them, and the bundle knows every 2.x release on the package index.
- A steamship module whose text is the one the catalogue was built from (steamship installed,
  or vendored into a project) takes the catalogue's facts instead of a parse; those facts are
  what a parse would give (path included) and so are their spans. Any other text is parsed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from linter.sdk import bundle as catalogue

from linter.run import engine
from linter.source.collect import collect_facts, collect_spans
from linter.source.parse import decode_source
from linter.project.index import Project
from linter.sdk.catalogue import Catalogue, decode_entry, encode_entry, load_bundle, load_catalogue
from linter.sdk.locate import SteamshipSource
from rules import load_all
from oracle.venv import OracleVenvError, ensure_steamship_wheel


@pytest.fixture(scope="module")
def wheel() -> Path:
    try:
        return ensure_steamship_wheel()
    except OracleVenvError as error:
        pytest.fail(f"cannot download the steamship wheel: {error}", pytrace=False)


#: releases across the behaviour changes, a release candidate, and the re-published 2.7.17
REBUILT = ("2.2.1", "2.16.9", "2.7.17", "2.17.13rc3", "2.17.34")


@pytest.mark.parametrize("version", REBUILT)
def test_bundled_catalogue_is_what_the_script_builds(version: str) -> None:
    try:
        wheel = ensure_steamship_wheel(version=version)
    except OracleVenvError as error:
        pytest.fail(f"cannot download the steamship {version} wheel: {error}", pytrace=False)
    built = catalogue.entries_of(catalogue.read_release(wheel))
    bundled = load_bundle()
    stale = "linter/sdk/data is stale: run `python -m linter.sdk.bundle --download DIR` (see linter/sdk/bundle.py)"
    assert bundled.table(version) == {name: digest for name, (digest, _, _) in built.items()}, stale
    for name, (digest, is_package, text) in built.items():
        assert bundled.holds(name, digest, is_package), (name, stale)
        assert bundled.entry(name, digest) == decode_entry(text), (name, stale)


def test_the_bundle_knows_every_release_on_the_index() -> None:
    listed = catalogue.index_versions()
    assert "2.17.34" in listed and "2.17.13rc3" in listed  # the listing itself is read
    assert sorted(set(listed) - set(load_bundle().versions)) == []


def installed_project(tmp_path: Path, steamship_dir: Path) -> Project:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "steamship.json").write_text("{}\n", encoding="utf-8")
    return Project(root, SteamshipSource("installed", "2.17.34", steamship_dir))


def steamship_files(steamship_dir: Path):
    for path in sorted(steamship_dir.rglob("*.py")):
        parts = list(path.relative_to(steamship_dir.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        yield path, ".".join(parts[:-1] if is_package else parts), is_package


def test_installed_steamship_takes_the_catalogues_facts(
    tmp_path: Path, steamship_source_dir: Path
) -> None:
    """Every module of the installed steamship 2.17.34 is served from the catalogue, and the
    facts and spans equal those of a parse of the installed file."""
    project = installed_project(tmp_path, steamship_source_dir)
    served = 0
    for path, name, is_package in steamship_files(steamship_source_dir):
        text = decode_source(path.read_bytes())
        loaded = project.module(name)
        assert loaded is not None, name
        assert loaded == collect_facts(text, name, str(path), is_package), name
        assert project.spans(loaded) == collect_spans(text), name
        served += name in project._catalogued
    assert served == len(list(steamship_files(steamship_source_dir)))


def test_an_edited_steamship_module_is_parsed(tmp_path: Path, steamship_source_dir: Path) -> None:
    """A patched install (or another version) differs by one byte: its own text is analysed."""
    copy = tmp_path / "site" / "steamship"
    shutil.copytree(steamship_source_dir, copy)
    target = copy / "invocable" / "package_service.py"
    text = target.read_text(encoding="utf-8") + "\nclass AddedByAPatch:\n    pass\n"
    target.write_text(text, encoding="utf-8")
    project = installed_project(tmp_path, copy)
    loaded = project.module("steamship.invocable.package_service")
    assert loaded is not None
    assert "steamship.invocable.package_service" not in project._catalogued
    assert any(cls.name == "AddedByAPatch" for cls in loaded.classes)
    assert project.module("steamship.invocable.invocable") is not None
    assert "steamship.invocable.invocable" in project._catalogued


def test_vendored_steamship_gives_the_same_findings_with_or_without_the_catalogue(
    tmp_path: Path, steamship_source_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """steamship's own source checked as a project (examples included): the catalogue changes
    how facts are obtained, never what is found."""
    root = tmp_path / "vendored"
    shutil.copytree(steamship_source_dir, root / "steamship")
    (root / "steamship.json").write_text("{}\n", encoding="utf-8")
    # every rule: steamship 2.17.34's own source has no default finding, only opt-in ones
    codes = sorted(load_all())
    with_catalogue = engine.check([root], codes)
    assert with_catalogue.project._catalogued, "the vendored modules were parsed"
    monkeypatch.setattr(Project, "catalogued", lambda self, *args: None)
    parsed = engine.check([root], codes)
    assert not parsed.project._catalogued

    def found(report):
        return sorted((v.path, v.line, v.column, v.code, v.message) for v in report.violations)

    assert found(with_catalogue) == found(parsed)
    assert found(parsed), "steamship's source has known findings (tests/test_steamship_source.py)"


def test_catalogue_loads_modules_lazily() -> None:
    bundle = load_bundle()
    loaded = load_catalogue()
    assert loaded.version == bundle.newest == "2.17.34"
    assert "steamship.invocable.package_service" in loaded.table
    fresh = Catalogue(bundle, "2.17.18")
    assert not fresh.decoded
    fresh.get("steamship.invocable.package_service")
    assert list(fresh.decoded) == ["steamship.invocable.package_service"]


def test_an_entry_naming_any_other_class_or_callable_is_refused(tmp_path: Path) -> None:
    """The catalogue's unpickler builds fact records and plain data only: a pickle that would
    call something (here ``os.system``) or build another class is refused before it runs."""
    import os
    import pickle

    marker = tmp_path / "ran"

    class Calls:
        def __reduce__(self):  # type: ignore[no-untyped-def]
            return (os.system, (f"touch {marker}",))

    for hostile in (pickle.dumps((Calls(), ())), pickle.dumps((Path("x"), ()))):
        with pytest.raises(pickle.UnpicklingError, match="may not name"):
            decode_entry(hostile)
    assert not marker.exists()
    facts = collect_facts("class A:\n    pass\n", "m", "m.py", False)
    assert decode_entry(encode_entry(facts, (1, 0, 2, 8))) == (facts, (1, 0, 2, 8))


def test_two_releases_hold_their_own_texts() -> None:
    """AgentService has no route before 2.17.16 and gains async_prompt in 2.17.32."""
    def routes(version: str) -> set:
        facts = load_catalogue(version).get("steamship.agents.service.agent_service")
        assert facts is not None
        (cls,) = [c for c in facts.classes if c.name == "AgentService"]
        return {f.name for f in cls.methods if f.decorators}

    assert "prompt" not in routes("2.17.15")
    assert "prompt" in routes("2.17.16") and "async_prompt" not in routes("2.17.31")
    assert {"prompt", "async_prompt"} <= routes("2.17.32")
    assert load_catalogue("2.16.9").get("steamship.agents.service.agent_service") is None
