"""Precision is not bought with silence: change the route string of an ``invoke_later`` call to
one no package has, and SHP401 must report that call — for every call with a literal route in
the fixtures, the example package and steamship's own source — except where the receiver is
really unknown, each such call listed here with the reason."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import pytest

from linter.run import engine
from rules import default_codes

ROOT = Path(__file__).parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
CALL = re.compile(r"""invoke_later\(\s*(?:method=)?(["'])(?P<route>[^"']*)\1""")
NOWHERE = "zz_no_package_has_this_route"

#: (file relative to the fixtures or the source root, line) -> why SHP401 cannot be expected
FIXTURE_EXCEPTIONS: Dict[Tuple[str, int], str] = {
    ("shp105_clean_unknown_bases/api.py", 12): "MyBot's base is a steamship class 2.17.34 lacks: kind unknown",
    ("shp105_clean_unknown_bases/api.py", 19): "Other's base is a third-party class: kind unknown",
    ("shp105_clean_unknown_bases/api.py", 26): "Mixed has a third-party base: its routes cannot all be known",
    ("shp401_optional_receivers/api.py", 38): "Union[Reports, int]: the receiver may be no package at all",
    ("shp404_bad_invoke_later_call/api.py", 20): 'verb="GET" is no Verb: the call fails first (SHP404)',
    ("shp405_invoke_later_without_context/api.py", 12): "no invocation context: the call fails first (SHP405)",
    ("shp405_invoke_later_without_context/mixins.py", 11): "no invocation context: the call fails first (SHP405)",
    ("shp405_invoke_later_without_context/mixins.py", 15): "on a mixin itself: AttributeError first (SHP405)",
    ("shp406_unverifiable_invoke_later/api.py", 15): "self.owner is not annotated: the receiver is unknown",
}
#: the same for steamship 2.17.34's own agents/ and invocable/
STEAMSHIP_EXCEPTIONS: Dict[Tuple[str, int], str] = {
    ("agents/mixins/transports/slack.py", 546): "no package in steamship adds SlackTransport",
    ("agents/mixins/transports/slack.py", 555): "no package in steamship adds SlackTransport",
}


#: for every bundled release (``-m slow``): files whose calls' receivers are unknown there
STEAMSHIP_FILE_EXCEPTIONS: Dict[str, str] = {
    "agents/mixins/transports/slack.py": "no package in steamship adds SlackTransport",
}


def literal_calls(root: Path) -> List[Tuple[Path, int, int, int]]:
    """(file, line, start, end of the route literal's text) of every invoke_later call with a
    literal route below ``root``."""
    found = []
    for path in sorted(root.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for match in CALL.finditer(text):
            found.append((path, text.count("\n", 0, match.start()) + 1, match.start("route"), match.end("route")))
    return found


def misses(
    project: Path, checked: Sequence[str], tmp_path: Path, release: Optional[str] = None
) -> Dict[Tuple[str, int], List[str]]:
    """Each call below ``project`` whose mutation SHP401 does not report, with the codes that
    were reported on its line instead."""
    result = {}
    for number, (path, line, start, end) in enumerate(literal_calls(project)):
        copy = tmp_path / f"m{number}" / project.name
        shutil.copytree(project, copy)
        target = copy / path.relative_to(project)
        text = path.read_text(encoding="utf-8")
        target.write_text(text[:start] + NOWHERE + text[end:], encoding="utf-8")
        report = engine.check([copy / part for part in checked], default_codes(), steamship_version=release)
        assert not report.internal_errors, report.internal_errors
        codes = sorted(
            v.code for v in report.violations if Path(v.path).resolve() == target.resolve() and v.line == line
        )
        if "SHP401" not in codes:
            result[(path.relative_to(project).as_posix(), line)] = codes
        shutil.rmtree(copy.parent)
    return result


def test_every_fixture_call_with_a_wrong_route_is_reported(tmp_path: Path) -> None:
    projects = [p for p in sorted(FIXTURES.iterdir()) if p.is_dir()] + [ROOT / "examples" / "support_bot"]
    found = {}
    calls = 0
    for project in projects:
        calls += len(literal_calls(project))
        for (file, line), codes in misses(project, ["."], tmp_path / project.name).items():
            found[(f"{project.name}/{file}", line)] = codes
    assert calls > 60, "the fixtures hold the calls this test is about"
    assert set(found) == set(FIXTURE_EXCEPTIONS), {
        "silent, not listed": {k: v for k, v in found.items() if k not in FIXTURE_EXCEPTIONS},
        "listed, now reported (remove it)": sorted(set(FIXTURE_EXCEPTIONS) - set(found)),
    }


def test_every_call_in_steamship_with_a_wrong_route_is_reported(steamship_source_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "src" / "steamship"
    shutil.copytree(steamship_source_dir, source, ignore=shutil.ignore_patterns("__pycache__"))
    calls = [call for part in ("agents", "invocable") for call in literal_calls(source / part)]
    if not calls:
        pytest.fail("steamship's source has no invoke_later call with a literal route: wrong directory?")
    found = misses(source, ["agents", "invocable"], tmp_path / "work")
    assert set(found) == set(STEAMSHIP_EXCEPTIONS), found


@pytest.mark.slow
def test_every_release_of_steamship_with_a_wrong_route_is_reported(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    from test_steamship_releases_source import release_source, releases_to_check

    wrong = {}
    calls = 0
    for release in releases_to_check():
        source = release_source(release, tmp_path_factory)
        parts = [part for part in ("agents", "invocable") if (source / part).is_dir()]
        calls += sum(len(literal_calls(source / part)) for part in parts)
        if not parts:
            continue
        found = misses(source, parts, tmp_path_factory.mktemp(f"mutate-{release}"), release)
        unexpected = {key: codes for key, codes in found.items() if key[0] not in STEAMSHIP_FILE_EXCEPTIONS}
        if unexpected:
            wrong[release] = unexpected
    assert calls > 50
    assert not wrong, wrong
