"""pkgcheck over steamship's own source, release by release: its agents, invocable (with the
mixins) and experimental packages, with the default rules and the release's own runtime model.

Every finding must be one the release's runtime confirms. The only ones are real:
SlackTransportConfig's plain-Enum fields, on which ``get_config_parameters()`` (what ``ship
deploy`` calls) raises (SHP504), and the document-QA example of 2.17.13rc1–2.17.15 lists IndexerPipelineMixin, whose own
``USED_MIXIN_CLASSES`` and ``add_mixin`` calls register the importer, blockifier and indexer
routes twice, so instantiating ``ExampleDocumentQAService`` raises ``RouteConflictError``
(``test_the_runtime_confirms_each_release`` checks that in the release's venv, and that no
other example package raises it).

CI checks the releases whose oracle venvs the suite builds anyway, plus 2.17.14; ``-m slow``
checks every bundled release (each distinct source once, its wheel downloaded with pip).
"""

from __future__ import annotations

import collections
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Counter, Dict, List, Set, Tuple

import pytest

from linter.run import engine
from linter.sdk.catalogue import load_bundle
from oracle.venv import OracleVenvError, ensure_oracle_venv
from rules import default_codes

HERE = Path(__file__).parent
RUNTIME_DUMP = HERE / "oracle" / "runtime_dump.py"
PARTS = ("agents", "invocable", "experimental", "app")
#: IndexerPipelineMixin registers its mixins' routes again (SHP301 at each add_mixin of the
#: mixin and at the example's listing of it): (file, line, code) -> how many findings there
DOC_QA: Dict[Tuple[str, int, str], int] = {
    ("agents/examples/document_qa_agent.py", 49, "SHP301"): 2,
    ("invocable/mixins/indexer_pipeline_mixin.py", 33, "SHP301"): 2,
    ("invocable/mixins/indexer_pipeline_mixin.py", 36, "SHP301"): 1,
    ("invocable/mixins/indexer_pipeline_mixin.py", 39, "SHP301"): 4,
}
BROKEN = {"2.17.13rc1", "2.17.13rc2", "2.17.13rc3", "2.17.14", "2.17.15"}
#: the CI oracle's releases (test_oracle_releases.RELEASES, test_oracle's 2.17.34) and one broken
CI_RELEASES = ("2.2.1", "2.3.13", "2.14.2", "2.16.9", "2.17.0", "2.17.7", "2.17.13", "2.17.14", "2.17.18", "2.17.34")


#: SlackTransportConfig's plain-Enum fields: Config.get_config_parameters() raises "Unknown value
#: type in Config" on them (SHP504; test_the_runtime_confirms_each_release calls it)
SLACK = "agents/mixins/transports/slack.py"
_ENUM_FIELD = re.compile(r"^    (threading_behavior: SlackThreadingBehavior|context_behavior: SlackContextBehavior)\b")


def expected(release: str, steamship_dir: Path) -> Counter[Tuple[str, int, str]]:
    found = collections.Counter(DOC_QA if release in BROKEN else {})
    slack = steamship_dir / SLACK
    if slack.is_file():
        for number, line in enumerate(slack.read_text(encoding="utf-8").splitlines(), 1):
            if _ENUM_FIELD.match(line):
                found[(SLACK, number, "SHP504")] += 1
    return found


def findings(steamship_dir: Path, release: str) -> Tuple[Counter[Tuple[str, int, str]], List[str]]:
    """(file, line, code) of each default finding, and the packages SHP301 says fail."""
    paths = [steamship_dir / part for part in PARTS if (steamship_dir / part).is_dir()]
    report = engine.check(paths, default_codes(), steamship_version=release)
    assert not report.internal_errors, report.internal_errors
    assert not report.failures, report.failures
    found = collections.Counter(
        (Path(v.path).relative_to(steamship_dir).as_posix(), v.line, v.code) for v in report.violations
    )
    failing = sorted(
        {
            match.group(1)
            for v in report.violations
            for match in [re.search(r"(?:instantiating|importing) (\w+) raises RouteConflictError", v.message)]
            if v.code == "SHP301" and match
        }
    )
    return found, failing


def venv_of(release: str):
    try:
        return ensure_oracle_venv(version=release)
    except OracleVenvError as error:
        pytest.fail(f"cannot build the venv of steamship {release}: {error}", pytrace=False)


@pytest.mark.parametrize("release", CI_RELEASES)
def test_the_runtime_confirms_each_release(release: str, tmp_path: Path) -> None:
    venv = venv_of(release)
    found, failing = findings(venv.steamship_dir, release)
    assert found == expected(release, venv.steamship_dir)
    if any(code == "SHP504" for _, _, code in found):
        probe = (
            "from steamship.agents.mixins.transports.slack import SlackTransportConfig\n"
            "SlackTransportConfig.get_config_parameters()\n"
        )
        proc = subprocess.run([str(venv.python), "-c", probe], capture_output=True, text=True, timeout=300)
        assert proc.returncode != 0 and "Unknown value type in Config" in proc.stderr, proc.stderr[-2000:]
    examples = venv.steamship_dir / "agents" / "examples"
    if not examples.is_dir():
        assert not failing
        return
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run(
        [str(venv.python), str(RUNTIME_DUMP), str(examples)],
        cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    dump = json.loads(proc.stdout)
    conflicting = sorted(
        key.rpartition(".")[2]
        for key, entry in dump["packages"].items()
        if any("RouteConflictError" in str(entry[level].get("error", "")) for level in ("class", "instance"))
    )
    assert conflicting == failing, (conflicting, failing)


def distinct_sources() -> Dict[Tuple[str, ...], List[str]]:
    """The bundled releases grouped by the texts of their modules under :data:`PARTS`."""
    bundle = load_bundle()
    groups: Dict[Tuple[str, ...], List[str]] = {}
    prefixes = tuple(f"steamship.{part}" for part in PARTS)
    for version in bundle.versions:
        table = bundle.table(version)
        key = tuple(sorted(f"{name}={digest}" for name, digest in table.items() if name.startswith(prefixes)))
        groups.setdefault(key, []).append(version)
    return groups


def release_source(release: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``steamship/`` of ``release``'s wheel (downloaded once into the cache), extracted."""
    cache = Path.home() / ".cache" / "pkgcheck" / "wheels"
    cache.mkdir(parents=True, exist_ok=True)
    wheels = list(cache.glob(f"steamship-{release}-*.whl"))
    if not wheels:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary", ":all:",
             "-d", str(cache), f"steamship=={release}"],
            check=True, capture_output=True, timeout=300,
        )  # fmt: skip
        wheels = list(cache.glob(f"steamship-{release}-*.whl"))
    root = tmp_path_factory.mktemp(f"steamship-{release}")
    with zipfile.ZipFile(wheels[0]) as archive:
        archive.extractall(root, [m for m in archive.namelist() if m.startswith("steamship/")])
    return root / "steamship"


def releases_to_check() -> List[str]:
    """One release of each distinct source, and each broken release."""
    chosen: Set[str] = set()
    for versions in distinct_sources().values():
        chosen |= {versions[-1]} | (BROKEN & set(versions))
    return sorted(chosen)


@pytest.mark.slow
def test_every_bundled_release(tmp_path_factory: pytest.TempPathFactory) -> None:
    wrong: Dict[str, object] = {}
    checked = releases_to_check()
    for release in checked:
        source = release_source(release, tmp_path_factory)
        found, _ = findings(source, release)
        if found != expected(release, source):
            wrong[release] = dict(found)
    assert BROKEN <= set(checked)
    assert not wrong, wrong
