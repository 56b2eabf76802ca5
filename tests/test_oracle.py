"""Oracle tests: pkgcheck's static spec reconstruction versus steamship's own runtime.

For every oracle input (each fixture dir under tests/fixtures/ with at least one importable
package, plus the installed steamship's ``agents/examples``), the runtime spec is dumped by
``tests/oracle/runtime_dump.py`` running in the oracle venv (see ``tests/oracle/venv.py``), and
compared with ``python -m linter spec PATH --level class|instance``.

Strict (per input and level): package keys, name, doc, sdkVersion, usedMixins, the set of
(verb, path), and per route className, arg names, config.
Strict (separate test): per route doc and enum ``values`` of args.
Soft (one test over all inputs): ``returns`` and arg ``kind`` must agree in >= 95% of cases.

Packages the runtime cannot import or instantiate are skipped at that level and listed in the
reports. Full JSON of both sides is written to a temp dir named in each failure message.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest
from oracle.compare import (
    LEVELS,
    SoftComparison,
    compare_details,
    compare_level,
    format_problems,
    route_label,
    soft_comparisons,
    split_runtime,
)
from oracle.report import SUMMARY
from oracle.venv import OracleVenv

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES_DIR = REPO_ROOT / "tests" / "fixtures"
RUNTIME_DUMP = REPO_ROOT / "tests" / "oracle" / "runtime_dump.py"
STEAMSHIP_EXAMPLES = "steamship-agents-examples"
MIN_SOFT_AGREEMENT = 0.95
#: where pkgcheck takes steamship's own code from (see OracleRun.pkgcheck)
SOURCES = ("catalogue", "installed")
SUBPROCESS_TIMEOUT_S = 600
RESERVED_PATHS = frozenset({"/__dir__", "/__instance_init__"})

# Runtime failures that fixtures provoke on purpose. Any other import or instantiation error in a
# fixture with importable packages fails test_runtime_oracle_sanity (so a fixture cannot break
# silently and drop out of the comparison).
EXPECTED_RUNTIME_FAILURES: Dict[str, Dict[str, List[str]]] = {
    # api.Exporter lists a mixin whose route collides with its own: RouteConflictError at import.
    "class_route_conflict": {"import": ["api"]},
    # api.Monitor adds a colliding mixin in __init__: RouteConflictError at instantiation.
    "instance_route_conflict": {"instance": ["api.Monitor"]},
    # legacy.LegacyTagger has an Optional[List[str]] parameter: steamship's ArgSpec calls
    # issubclass(List[str], Enum) and raises TypeError at import.
    "optional_generic_arg": {"import": ["legacy"]},
    # own_field.Reminder subclasses langchain's Tool, which the oracle venv does not install (an
    # unknown third-party base, on purpose).
    "shp406_clean_verifiable": {"import": ["own_field"]},
    # drafts.py has a syntax error (SHP001).
    "shp001_unparsable_file": {"import": ["drafts"]},
    # no_path.Shout uses @post() without a path: TypeError while the class body runs.
    "shp104_bare_decorators": {"import": ["no_path"]},
    # Optional[typing alias] parameters: issubclass() TypeError while api.Archive is defined, and
    # while labeler.Labeler adds LabelMixin in __init__.
    "shp204_optional_typing_alias": {"import": ["api"], "instance": ["labeler.Labeler"]},
    # Listed mixins colliding with each other, a reserved route, and the package's own route.
    "shp301_class_level_conflicts": {"import": ["bot.inspector", "bot.monitor", "bot.widget"]},
    # Mixins added in __init__ colliding with each other, with AgentService's /prompt, and with
    # the listed base class of the added mixin.
    "shp301_instance_level_conflicts": {
        "instance": ["bot.ops.HelpDesk", "bot.ops.OpsBot", "bot.ops.UpgradedBot"],
    },
    # A permit flag on the route decorator does not permit the mixin's colliding GET /health.
    "shp109_permit_flag_on_route": {"instance": ["api.Bot"]},
    # USED_MIXIN_CLASSES as a bare class (TypeError) and as a list of strings (AttributeError).
    "shp307_not_a_mixin": {"import": ["names", "single"]},
    # Mixin constructors called with arguments they do not take: TypeError in __init__.
    "shp309_mixin_constructor_mismatch": {"instance": ["api.Lobby", "api.Pager", "api.WidgetBot"]},
    # bot.base.BaseBot is abstract (persona): only its subclasses can be instantiated.
    "shp401_mixins_across_modules": {"instance": ["bot.base.BaseBot"]},
    # api.BaseBot is abstract (name): only its subclasses can be instantiated.
    "shp407_clean_served_by_all": {"instance": ["api.BaseBot"]},
    # steamship.experimental.package_starters.telegram_agent is gone in 2.17.34 and
    # some_third_party is not installed: the module cannot be imported.
    "shp105_clean_unknown_bases": {"import": ["api"]},
    # invoke_later in __init__ (the package's, and a mixin's) with no invocation context, which is
    # how runtime_dump instantiates: SteamshipError.
    "shp405_invoke_later_without_context": {"instance": ["api.MixinWarmup", "api.Warmup"]},
}
if sys.version_info < (3, 10):
    # ``dict[str, int] | None`` needs PEP 604 (Python 3.10) to evaluate at all.
    EXPECTED_RUNTIME_FAILURES["shp204_clean_optional_forms"] = {"import": ["api"]}

#: packages whose spec pkgcheck cannot know by design (it says so on stderr and stays silent):
#: input -> {package: why}; both sides drop them before comparing
UNKNOWABLE: Dict[str, Dict[str, str]] = {
    "shp101_clean_verbs_and_overrides": {"computed.Computed": "verbs computed at run time (Verb(READ))"},
    "shp104_clean_called_decorators": {"options.FromOptions": "the path is in a ** splat"},
}


def knowable(input_id: str, runtime: Dict[str, Any], actual: Dict[str, Any]) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """``runtime`` and ``actual`` without the :data:`UNKNOWABLE` packages of ``input_id``."""
    dropped = UNKNOWABLE.get(input_id, {})
    if not dropped:
        return runtime, actual
    assert set(dropped) <= set(runtime["packages"]), f"{input_id}: unknowable packages gone: {sorted(dropped)}"
    packages = {key: value for key, value in runtime["packages"].items() if key not in dropped}
    return {**runtime, "packages": packages}, {key: value for key, value in actual.items() if key not in dropped}


# Packages that must be found in steamship's agents/examples (guards against a silently empty dump).
EXPECTED_EXAMPLE_PACKAGES = [
    "steamship.agents.examples.chatgpt_api.MyAssistant",
    "steamship.agents.examples.document_qa_agent.ExampleDocumentQAService",
    "steamship.agents.examples.telegram_bot.TelegramBot",
]


def _fixture_inputs() -> List[str]:
    if not FIXTURES_DIR.is_dir():
        return []
    names = []
    for child in sorted(FIXTURES_DIR.iterdir()):
        if not child.is_dir() or child.name.startswith((".", "_")):
            continue
        if any(
            not any(part.startswith(".") for part in p.relative_to(child).parts)
            for p in child.rglob("*.py")
        ):
            names.append(child.name)
    return names


ORACLE_INPUTS = _fixture_inputs() + [STEAMSHIP_EXAMPLES]


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.splitlines()[-lines:])


class OracleRun:
    """Runs (and caches, for the session) the runtime dump and pkgcheck for each input."""

    def __init__(self, venv: OracleVenv, workdir: Path, debugdir: Path, spec_args: Tuple[str, ...] = ()):
        self.venv = venv
        self.workdir = workdir
        self.debugdir = debugdir
        #: more arguments for ``pkgcheck spec`` (``--steamship-version X``)
        self.spec_args = spec_args
        self._runtime: Dict[str, Dict[str, Any]] = {}
        self._pkgcheck: Dict[Tuple[str, str], Tuple[Optional[Dict[str, Any]], Optional[str]]] = {}

    def input_path(self, input_id: str) -> Path:
        if input_id == STEAMSHIP_EXAMPLES:
            return self.venv.agents_examples_dir
        return FIXTURES_DIR / input_id

    def runtime(self, input_id: str) -> Dict[str, Any]:
        if input_id not in self._runtime:
            path = self.input_path(input_id)
            env = dict(os.environ)
            env.pop("PYTHONPATH", None)
            env["PYTHONDONTWRITEBYTECODE"] = "1"
            cwd = self.workdir / input_id
            cwd.mkdir(parents=True, exist_ok=True)
            cmd = [str(self.venv.python), str(RUNTIME_DUMP), str(path)]
            try:
                proc = subprocess.run(
                    cmd, cwd=str(cwd), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                    universal_newlines=True, timeout=SUBPROCESS_TIMEOUT_S,
                )
            except subprocess.TimeoutExpired:
                pytest.fail(f"runtime_dump timed out on {path}", pytrace=False)
            if proc.returncode != 0:
                pytest.fail(
                    f"runtime_dump failed on {path} (exit {proc.returncode}); this is a harness "
                    f"problem, not a pkgcheck one.\n{' '.join(cmd)}\n{_tail(proc.stderr)}",
                    pytrace=False,
                )
            try:
                data = json.loads(proc.stdout)
            except ValueError:
                pytest.fail(
                    f"runtime_dump printed invalid JSON for {path}:\n{proc.stdout[:2000]}\n"
                    f"{_tail(proc.stderr)}",
                    pytrace=False,
                )
            self._write_debug(f"{input_id}.runtime.json", data)
            self._runtime[input_id] = data
        return self._runtime[input_id]

    def pkgcheck(
        self, input_id: str, level: str, source: str = "catalogue"
    ) -> Tuple[Optional[Dict[str, Any]], Optional[str]]:
        """(spec mapping, None) or (None, error description). ``source``: where pkgcheck takes
        steamship's own code from — its bundled catalogue (the test interpreter has no steamship
        installed), or the oracle venv's installed steamship (``--steamship-path``), where
        pydantic's and the other dependencies' source is found beside it too."""
        key = (input_id, level, source)
        if key not in self._pkgcheck:
            path = self.input_path(input_id)
            cmd = [sys.executable, "-m", "linter", "spec", str(path), "--level", level, *self.spec_args]
            if source == "installed":
                cmd += ["--steamship-path", str(self.venv.site_packages)]
            else:  # the catalogue of the oracle's release, whatever the fixture pins (a fixture
                # pinning another release is compared with that release in test_oracle_releases)
                cmd += ["--steamship-version", str(self.venv.steamship_version)]
            result: Tuple[Optional[Dict[str, Any]], Optional[str]]
            try:
                proc = subprocess.run(
                    cmd, cwd=str(REPO_ROOT), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                    universal_newlines=True, timeout=SUBPROCESS_TIMEOUT_S,
                )
            except subprocess.TimeoutExpired:
                result = (None, f"`{' '.join(cmd)}` timed out after {SUBPROCESS_TIMEOUT_S}s")
            else:
                try:
                    data = json.loads(proc.stdout)
                except ValueError:
                    data = None
                if isinstance(data, dict) and all(isinstance(v, dict) for v in data.values()):
                    result = (data, None)
                    self._write_debug(f"{input_id}.{level}.{source}.pkgcheck.json", data)
                else:
                    result = (
                        None,
                        f"`{' '.join(cmd)}` (cwd {REPO_ROOT}) exited {proc.returncode} without "
                        f"printing a JSON object of package specs.\n"
                        f"--- stdout (start) ---\n{proc.stdout[:1500]}\n"
                        f"--- stderr (end) ---\n{_tail(proc.stderr)}",
                    )
            self._pkgcheck[key] = result
        return self._pkgcheck[key]

    def prefetch(self, input_ids: List[str], levels: Tuple[str, ...] = LEVELS, workers: int = 2) -> None:
        """Run the runtime dumps and pkgcheck of ``input_ids`` ahead, ``workers`` processes at a
        time (each is a subprocess: threads only wait for them). A run that fails here is not
        kept, so the test that needs it runs it again and reports the failure itself."""
        from concurrent.futures import ThreadPoolExecutor

        def one(input_id: str) -> None:
            try:
                if input_id == STEAMSHIP_EXAMPLES and not self.venv.agents_examples_dir.is_dir():
                    return
                if not _has_importable_package(self.runtime(input_id)):
                    return  # not an oracle input for this release: its test skips
                for level in levels:
                    self.pkgcheck(input_id, level, "catalogue")
            except KeyboardInterrupt:
                raise
            except BaseException:  # noqa: B902 - pytest.fail/skip outcomes: the test redoes it
                pass

        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(one, input_ids))

    def _write_debug(self, name: str, data: Any) -> None:
        (self.debugdir / name).write_text(json.dumps(data, indent=1, sort_keys=True))

    def debug_hint(self, input_id: str, level: Optional[str] = None) -> str:
        files = [self.debugdir / f"{input_id}.runtime.json"]
        for lvl in [level] if level else list(LEVELS):
            files.extend(self.debugdir / f"{input_id}.{lvl}.{source}.pkgcheck.json" for source in SOURCES)
        return "full specs: " + ", ".join(str(f) for f in files if f.exists())


@pytest.fixture(scope="session")
def oracle(oracle_venv: OracleVenv, tmp_path_factory) -> OracleRun:
    return OracleRun(
        oracle_venv,
        workdir=tmp_path_factory.mktemp("oracle-cwd"),
        debugdir=tmp_path_factory.mktemp("oracle-specs"),
    )


def _has_importable_package(runtime: Dict[str, Any]) -> bool:
    return any(split_runtime(runtime, level).comparable for level in LEVELS)


def _require_oracle_input(oracle: OracleRun, input_id: str) -> Dict[str, Any]:
    if input_id == STEAMSHIP_EXAMPLES and not oracle.venv.agents_examples_dir.is_dir():
        pytest.skip(f"steamship {oracle.venv.steamship_version} has no agents/examples (2.17.0 on)")
    runtime = oracle.runtime(input_id)
    if not _has_importable_package(runtime):
        errors = "; ".join(f"{e.get('module')}: {e.get('error')}" for e in runtime.get("errors", []))
        pytest.skip(
            f"{input_id}: the runtime imports no package here, so it is not an oracle input"
            + (f" (import errors: {errors})" if errors else "")
        )
    return runtime


def _skipped_report(split) -> str:
    lines = []
    for mod, err in sorted(split.failed_modules.items()):
        lines.append(f"  module {mod}: runtime import failed: {err}")
    for key, reason in sorted(split.skipped.items()):
        lines.append(f"  {key}: {reason}")
    return "\n".join(lines)


@pytest.mark.parametrize("input_id", ORACLE_INPUTS)
def test_runtime_oracle_sanity(oracle: OracleRun, input_id: str) -> None:
    """The runtime side itself: fixtures import and instantiate, except where intended."""
    runtime = oracle.runtime(input_id)
    if input_id == STEAMSHIP_EXAMPLES:
        missing = [k for k in EXPECTED_EXAMPLE_PACKAGES if k not in runtime["packages"]]
        bad = {
            k: {lvl: e[lvl]["error"] for lvl in LEVELS if "error" in e[lvl]}
            for k, e in runtime["packages"].items()
            if any("error" in e[lvl] for lvl in LEVELS)
        }
        if missing or runtime["errors"] or bad:
            pytest.fail(
                f"runtime dump of steamship agents/examples: missing packages {missing}, "
                f"import errors {runtime['errors']}, spec/instantiation errors {bad}",
                pytrace=False,
            )
        return
    _require_oracle_input(oracle, input_id)
    expected = EXPECTED_RUNTIME_FAILURES.get(input_id, {})
    import_errors = sorted(e["module"] for e in runtime["errors"])
    instance_errors = sorted(
        k for k, e in runtime["packages"].items() if "error" in e["instance"]
    )
    class_errors = sorted(k for k, e in runtime["packages"].items() if "error" in e["class"])
    problems = []
    if import_errors != sorted(expected.get("import", [])):
        problems.append(
            f"modules failing to import: {import_errors}, expected {expected.get('import', [])}: "
            + "; ".join(f"{e['module']}: {e['error']}" for e in runtime["errors"])
        )
    if instance_errors != sorted(expected.get("instance", [])):
        problems.append(
            f"packages failing to instantiate: {instance_errors}, expected "
            f"{expected.get('instance', [])}: "
            + "; ".join(f"{k}: {runtime['packages'][k]['instance']['error']}" for k in instance_errors)
        )
    if class_errors:
        problems.append(f"class specs that failed to serialise: {class_errors}")
    if problems:
        pytest.fail(f"{input_id}: " + "\n".join(problems), pytrace=False)


@pytest.mark.parametrize("input_id", ORACLE_INPUTS)
@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("source", SOURCES)
def test_spec_matches_runtime(oracle: OracleRun, input_id: str, level: str, source: str) -> None:
    runtime = _require_oracle_input(oracle, input_id)
    actual, error = oracle.pkgcheck(input_id, level, source)
    if error:
        pytest.fail(f"[{input_id}, {level} level, {source}] {error}", pytrace=False)
    runtime, actual = knowable(input_id, runtime, actual)
    problems, split = compare_level(runtime, actual, level)
    skipped = _skipped_report(split)
    if skipped:
        print(f"[{input_id}, {level} level] not compared (runtime raised):\n{skipped}")
    if problems:
        message = format_problems(
            f"[{input_id}, {level} level] pkgcheck's spec differs from the runtime's "
            f"(path {oracle.input_path(input_id)}):",
            problems,
        )
        if skipped:
            message += f"\nnot compared (runtime raised):\n{skipped}"
        message += "\n" + oracle.debug_hint(input_id, level)
        pytest.fail(message, pytrace=False)


@pytest.mark.parametrize("input_id", ORACLE_INPUTS)
def test_route_docs_and_enum_values_match_runtime(oracle: OracleRun, input_id: str) -> None:
    """Route docstrings and enum ``values`` of args, on the routes both sides have."""
    runtime = _require_oracle_input(oracle, input_id)
    problems: Dict[str, List[str]] = {}
    for level in LEVELS:
        actual, error = oracle.pkgcheck(input_id, level)
        if error:
            pytest.fail(f"[{input_id}, {level} level] {error}", pytrace=False)
        known_runtime, actual = knowable(input_id, runtime, actual)
        split = split_runtime(known_runtime, level)
        for key, expected in sorted(split.comparable.items()):
            if key in actual:
                lines = compare_details(expected, actual[key])
                if lines:
                    problems[f"{key} [{level} level]"] = lines
    if problems:
        pytest.fail(
            format_problems(f"[{input_id}] route doc / arg values differ:", problems)
            + "\n" + oracle.debug_hint(input_id),
            pytrace=False,
        )


@pytest.mark.parametrize("source", SOURCES)
def test_kind_and_returns_agreement(oracle: OracleRun, source: str) -> None:
    """``kind``/``returns`` strings: agreement ratio over all oracle inputs must be >= 95%."""
    results: Dict[Tuple[str, str, Tuple[str, str], str], SoftComparison] = {}
    failures: List[str] = []
    skipped: List[str] = []
    for input_id in ORACLE_INPUTS:
        runtime = oracle.runtime(input_id)
        if not _has_importable_package(runtime):
            skipped.append(f"  [{input_id}] whole input: the runtime imports no package")
            continue
        for level in LEVELS:
            actual, error = oracle.pkgcheck(input_id, level, source)
            split = split_runtime(runtime, level)
            for mod, err in sorted(split.failed_modules.items()):
                skipped.append(f"  [{input_id}] module {mod} ({level}): {err}")
            for key, reason in sorted(split.skipped.items()):
                skipped.append(f"  [{input_id}] {key} ({level}): {reason}")
            if error:
                failures.append(f"  [{input_id}, {level}] {error.splitlines()[0]}")
                continue
            for key, expected in sorted(split.comparable.items()):
                for comp in soft_comparisons(input_id, key, expected, actual.get(key)):
                    k = (comp.input_id, comp.package, comp.route, comp.field)
                    if k not in results or (results[k].agrees and not comp.agrees):
                        results[k] = comp
    total = len(results)
    agreed = sum(1 for c in results.values() if c.agrees)
    ratio = agreed / total if total else 0.0
    user = [c for c in results.values() if c.route[1] not in RESERVED_PATHS]
    user_agreed = sum(1 for c in user if c.agrees)
    lines = [
        f"kind/returns agreement, {'bundled catalogue' if source == 'catalogue' else 'installed steamship'}: "
        f"{agreed}/{total} = {ratio:.1%} "
        f"(threshold {MIN_SOFT_AGREEMENT:.0%}); "
        f"without the reserved routes {sorted(RESERVED_PATHS)}: {user_agreed}/{len(user)}"
    ]
    mismatches = [c for c in results.values() if not c.agrees]
    if mismatches:
        lines.append("mismatches (runtime | pkgcheck):")
        for c in sorted(mismatches, key=lambda c: (c.input_id, c.package, c.route[1], c.route[0], c.field)):
            lines.append(
                f"  [{c.input_id}] {c.package} {route_label(c.route)} {c.field}: "
                f"{c.runtime!r} | {c.pkgcheck!r}"
            )
    if skipped:
        lines.append("not compared (runtime raised):")
        lines.extend(sorted(set(skipped)))
    if failures:
        lines.append("pkgcheck could not analyse:")
        lines.extend(failures)
    report = "\n".join(lines)
    (oracle.debugdir / f"kind_returns_report.{source}.txt").write_text(report + "\n")
    print(report)
    SUMMARY.append(lines[0])  # shown at the end of every run (conftest.py), not only on failure
    if failures:
        pytest.fail("pkgcheck failed on some oracle inputs\n" + report, pytrace=False)
    if total == 0:
        pytest.fail("no kind/returns comparisons could be made\n" + report, pytrace=False)
    if ratio < MIN_SOFT_AGREEMENT:
        pytest.fail(report, pytrace=False)
