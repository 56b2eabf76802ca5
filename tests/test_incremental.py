"""Results kept module by module (``linter/run/incremental.py``): after an edit, a cached run checks
again only the modules the edit can touch, and reports exactly what a fresh run reports.

The random test edits files of a generated Steamship project (packages, mixins, helpers that
import each other: ``bench/generate.py``) in ways that change what other modules see — route
paths, mixin lists, base classes, imports, files that stop parsing — and compares, after each
round, the cached run with a run without the cache.
"""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from linter.run import checker

from linter.run import engine
from rules import default_codes

CODES = default_codes()
BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.fixture(autouse=True)
def private_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))


def generated(tmp_path: Path, modules: int = 70, seed: int = 5) -> Path:
    sys.path.insert(0, str(BENCH))
    try:
        import generate
    finally:
        sys.path.remove(str(BENCH))
    root = tmp_path / "tree"
    generate.generate(root, modules=modules, seed=seed)
    (root / "steamship.json").write_text("{}\n", encoding="utf-8")
    return root


def analyse(root: Path, cache: bool) -> checker.Analysis:
    project = engine.open_project([root], cache=cache)
    return checker.analyse(project, CODES, engine.DEFAULT_EXCLUDES)


def outcome(analysis: checker.Analysis) -> Tuple[List[object], List[Tuple[str, str]], List[str]]:
    return (
        list(analysis.violations),
        [(f.path, f.message) for f in analysis.failures],
        list(analysis.notices),
    )


def assert_cached_equals_fresh(root: Path) -> checker.Analysis:
    cached = analyse(root, cache=True)
    assert not cached.internal_errors
    assert outcome(cached) == outcome(analyse(root, cache=False))
    return cached


def planted(root: Path) -> List[Tuple[str, int, str]]:
    """The bugs bench/generate.py planted: (file, line, code) of each ``# expect: SHPnnn``."""
    found = []
    for path in sorted(root.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for code in re.findall(r"expect: (SHP\d{3})", line):
                found.append((str(path), number, code))
    return sorted(found)


def test_unchanged_tree_checks_nothing(tmp_path: Path) -> None:
    root = generated(tmp_path)
    first = assert_cached_equals_fresh(root)
    # the runs compared are right, not only alike
    assert sorted((v.path, v.line, v.code) for v in first.violations) == planted(root)
    assert first.checked == first.analysed  # a cold run checks everything
    again = analyse(root, cache=True)
    assert again.checked == []
    assert outcome(again) == outcome(first)


def test_editing_a_mixin_checks_its_dependants_only(tmp_path: Path) -> None:
    root = generated(tmp_path)
    cold = assert_cached_equals_fresh(root)
    # the mixin that the fewest other modules name (a base mixin reaches much of the project)
    candidates = []
    for mixin in sorted((root / "app" / "mixins").rglob("m0*.py")):
        name = re.search(r"class (Mixin\d+)\(", mixin.read_text(encoding="utf-8")).group(1)  # type: ignore[union-attr]
        users = {p for p in cold.analysed if re.search(rf"\b{name}\b", p.read_text(encoding="utf-8"))}
        if len(users) >= 2:
            candidates.append((len(users), mixin, users))
    _, mixin, users = min(candidates)
    text = mixin.read_text(encoding="utf-8")
    edited = re.sub(r'@(post|get)\("(\w+)"\)', r'@\1("\2_renamed")', text, count=1)
    assert edited != text
    mixin.write_text(edited, encoding="utf-8")
    after = assert_cached_equals_fresh(root)
    checked = set(after.checked)
    # the mixin and every module that uses it are checked again, and not much else
    assert users <= checked
    assert len(checked) < len(after.analysed) / 2, (len(checked), len(after.analysed))


def test_a_comment_in_a_helper_checks_few_modules(tmp_path: Path) -> None:
    root = generated(tmp_path)
    assert_cached_equals_fresh(root)
    helper = sorted((root / "app" / "helpers").glob("h0*.py"))[-1]
    helper.write_text(helper.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    after = assert_cached_equals_fresh(root)
    assert helper in after.checked
    assert len(after.checked) < len(after.analysed) / 2


#: lines whose removal changes what other modules see
TELLING = ("import", "add_mixin", "USED_MIXIN_CLASSES", "@post", "@get", "invoke_later", "class ")


def mutate(rng: random.Random, text: str, original: str, names: List[str], paths: List[str]) -> str:
    lines = text.splitlines(keepends=True)
    kind = rng.choice(["comment", "drop", "path", "name", "break", "restore", "path", "name", "drop"])
    if kind == "comment":
        return text + f"# edit {rng.randrange(10**6)}\n"
    if kind == "restore":
        return original
    if kind == "break":
        lines.insert(rng.randrange(len(lines) + 1), "def broken(:\n")
        return "".join(lines)
    if kind == "drop":
        candidates = [i for i, line in enumerate(lines) if any(word in line for word in TELLING)]
        if candidates:
            del lines[rng.choice(candidates)]
        return "".join(lines)
    if kind == "path":
        # a route path or an invoke_later target becomes one used elsewhere: conflicts,
        # unknown routes, fixed ones
        spots = list(re.finditer(r'(@(?:post|get)\(|invoke_later\()"(\w+)"', text))
        if spots:
            spot = rng.choice(spots)
            return text[: spot.start(2)] + rng.choice(paths) + text[spot.end(2) :]
        return text
    # a class name becomes another: other bases, other mixins listed or added, names that
    # resolve to nothing
    spots = list(re.finditer(r"\b(Mixin\d+|Package\d+|PackageMixin|PackageService|AgentService)\b", text))
    if spots:
        spot = rng.choice(spots)
        return text[: spot.start()] + rng.choice(names) + text[spot.end() :]
    return text


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_edits_cached_equals_fresh(tmp_path: Path, seed: int) -> None:
    root = generated(tmp_path, seed=seed)
    files = sorted(p for p in (root / "app").rglob("*.py") if p.name != "__init__.py")
    originals: Dict[Path, str] = {p: p.read_text(encoding="utf-8") for p in files}
    everything = "".join(originals.values())
    names = sorted(set(re.findall(r"\b(?:Mixin|Package)\d+\b", everything))) + ["PackageMixin", "Missing"]
    paths = sorted(set(re.findall(r'"(\w+)"', everything)))
    rng = random.Random(seed)
    assert_cached_equals_fresh(root)
    partial = 0
    for _ in range(8):
        for path in rng.sample(files, rng.randint(1, 3)):
            current = path.read_text(encoding="utf-8")
            path.write_text(mutate(rng, current, originals[path], names, paths), encoding="utf-8")
        after = assert_cached_equals_fresh(root)
        partial += len(after.checked) < len(after.analysed)
    assert partial, "some round reused results"


FIXTURES = Path(__file__).parent / "fixtures"


def fixture_projects() -> List[Path]:
    """The fixture projects of more than one file: relative imports, aliases, src layouts,
    inheritance across modules — the ways names reach other modules."""
    return sorted(
        d for d in FIXTURES.iterdir() if d.is_dir() and sum(1 for _ in d.rglob("*.py")) >= 2
    )


@pytest.mark.parametrize("fixture", fixture_projects(), ids=lambda p: p.name)
def test_dropping_lines_of_fixture_projects(tmp_path: Path, fixture: Path) -> None:
    """In every multi-file fixture project, lines that tell other modules something (imports,
    class statements, mixin lists, routes) are dropped one at a time; each time the cached run
    reports what a fresh one does."""
    import shutil

    root = tmp_path / fixture.name
    shutil.copytree(fixture, root)
    rng = random.Random(fixture.name)
    assert_cached_equals_fresh(root)
    for path in sorted(root.rglob("*.py")):
        original = path.read_text(encoding="utf-8")
        lines = original.splitlines(keepends=True)
        telling = [i for i, line in enumerate(lines) if any(word in line for word in TELLING)]
        for index in rng.sample(telling, min(4, len(telling))):
            path.write_text("".join(lines[:index] + lines[index + 1 :]), encoding="utf-8")
            assert_cached_equals_fresh(root)
        path.write_text(original, encoding="utf-8")
        assert_cached_equals_fresh(root)
    assert analyse(root, cache=True).checked == []  # the cache was in use all along


#: a mixin's route in a module the package reaches only through the form named
FAR_MIXIN = """\
from steamship.invocable import PackageMixin, post


class Extra(PackageMixin):
    @post("{path}")
    def extra(self) -> str:
        return "extra"
"""

#: how the package names the mixin -> (files besides the mixin's, the expression in the list)
REACHES = {
    "import a.b": ({"pkg/__init__.py": ""}, "import pkg.far\n", "pkg.far.Extra"),
    "import a": ({"pkg/__init__.py": "from . import far\n"}, "import pkg\n", "pkg.far.Extra"),
    # pkgcheck follows pkg.far from pkg even when pkg/__init__ does not import it
    "import a, attribute": ({"pkg/__init__.py": ""}, "import pkg\n", "pkg.far.Extra"),
    "import a, attribute, one module away": (
        {"pkg/__init__.py": "", "pkg/middle.py": "import pkg\n\nAlias = pkg.far.Extra\n"},
        "from pkg.middle import Alias\n",
        "Alias",
    ),
    "star": ({"pkg/__init__.py": "from .far import *\n"}, "from pkg import *\n", "Extra"),
    "re-export": ({"pkg/__init__.py": "from .far import Extra\n"}, "from pkg import Extra\n", "Extra"),
    "relative": ({"pkg/__init__.py": ""}, "from .far import Extra\n", "Extra"),
    "alias chain": (
        {"pkg/__init__.py": "", "pkg/middle.py": "from pkg.far import Extra as Renamed\n"},
        "from pkg.middle import Renamed\n",
        "Renamed",
    ),
}


@pytest.mark.parametrize("form", sorted(REACHES))
def test_an_edit_reaches_the_package_through(tmp_path: Path, form: str) -> None:
    """The route of a mixin the package reaches through ``form`` starts or stops colliding
    with the package's own route: the cached run sees it, as the fresh run does."""
    files, importing, expression = REACHES[form]
    root = tmp_path / "proj"
    (root / "pkg").mkdir(parents=True)
    (root / "steamship.json").write_text("{}\n", encoding="utf-8")
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    (root / "pkg" / "far.py").write_text(FAR_MIXIN.format(path="other"), encoding="utf-8")
    package = (
        "from steamship.invocable import PackageService, post\n"
        + importing
        + f"\n\nclass Bot(PackageService):\n    USED_MIXIN_CLASSES = [{expression}]\n\n"
        "    @post(\"same\")\n    def same(self) -> str:\n        return \"bot\"\n"
    )
    # the relative form needs the package inside pkg/
    where = root / "pkg" / "bot.py" if form == "relative" else root / "bot.py"
    where.write_text(package, encoding="utf-8")
    before = assert_cached_equals_fresh(root)
    (root / "pkg" / "far.py").write_text(FAR_MIXIN.format(path="same"), encoding="utf-8")
    after = assert_cached_equals_fresh(root)
    assert where in after.checked
    assert {v.code for v in after.violations} - {v.code for v in before.violations}, "the edit made a conflict"


def test_two_files_of_one_module_name(tmp_path: Path) -> None:
    """``helpers.py`` and ``src/helpers.py`` are both module ``helpers``; the package's import
    means the first. A run that loads only the edited files (here ``src/helpers.py`` first)
    still resolves it to the first, as a run that loads every file does."""
    root = tmp_path / "proj"
    (root / "src").mkdir(parents=True)
    (root / "steamship.json").write_text("{}\n", encoding="utf-8")
    (root / "helpers.py").write_text(FAR_MIXIN.format(path="other"), encoding="utf-8")
    (root / "src" / "helpers.py").write_text(FAR_MIXIN.format(path="other"), encoding="utf-8")
    bot = root / "bot.py"
    bot.write_text(
        "from steamship.invocable import PackageService, post\nfrom helpers import Extra\n\n\n"
        "class Bot(PackageService):\n    USED_MIXIN_CLASSES = [Extra]\n\n"
        '    @post("same")\n    def same(self) -> str:\n        return "bot"\n',
        encoding="utf-8",
    )
    assert_cached_equals_fresh(root)
    (root / "src" / "helpers.py").write_text(FAR_MIXIN.format(path="same"), encoding="utf-8")
    bot.write_text(bot.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    after = assert_cached_equals_fresh(root)
    assert (root / "helpers.py") not in after.checked
    assert "SHP301" not in {v.code for v in after.violations}  # src/helpers.py is not the one imported


def test_import_closures_through_cycles(tmp_path: Path) -> None:
    """a and b import each other, c imports a, d imports nothing: each module's set is what
    it reaches, cycles included."""
    from linter.run import incremental

    root = tmp_path / "proj"
    root.mkdir()
    (root / "steamship.json").write_text("{}\n", encoding="utf-8")
    sources = {"a": "import b\n", "b": "from a import x\n", "c": "from a import y\n", "d": "x = 1\n"}
    for name, text in sources.items():
        (root / f"{name}.py").write_text(text, encoding="utf-8")
    project = engine.open_project([root])
    modules = {name: project.module(name) for name in sources}
    graph = incremental.Graph(project, incremental.Table())
    reach = {name: set(graph.table.names_of(graph.reads(m))) for name, m in modules.items() if m is not None}
    assert reach == {"a": {"a", "b"}, "b": {"a", "b"}, "c": {"a", "b", "c"}, "d": {"d"}}


@pytest.mark.parametrize(
    "damage",
    ["violation", "related", "reads", "format", "modules"],
)
def test_a_malformed_entry_means_a_full_run(tmp_path: Path, damage: str) -> None:
    """An entry this user's pkgcheck signed but that does not have the expected shape (a bug,
    another version's layout) is not used: the run checks everything and reports what a fresh
    run does, without a traceback."""
    from linter.run.cache import Cache

    root = generated(tmp_path, modules=30)
    assert_cached_equals_fresh(root)
    cache = Cache(root)
    (entry,) = (cache.base / "results").glob("*.json")
    data = cache.get_results(entry.stem)
    unit = next(u for u in data["units"] if u[4])  # one with findings
    if damage == "violation":
        unit[4][0] = ["SHP999"]
    elif damage == "related":
        unit[4][0][7] = [["somewhere", "line", "label"]]
    elif damage == "reads":
        unit[5] = "not hex"
    elif damage == "format":
        data["format"] = "units-0"
    else:
        data["modules"] = [["only a name"]]
    cache.put_results(entry.stem, data)
    again = assert_cached_equals_fresh(root)
    assert again.checked == again.analysed
