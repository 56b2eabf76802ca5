"""Hostile inputs: every bad file gets one clear message, and the run goes on.

Each case is a little project (marked by ``steamship.json``) holding ``good.py`` — one duplicate
route, SHP101 at line 5 — beside the hostile thing. Through the engine (``check()``): the bad file
has exactly one non-internal failure with a one-line message, the good file's finding is
reported, and nothing is an internal error. Through the CLI (``python -m linter check`` in a
subprocess): exit status 1, one output line naming the bad file (an SHP001), the good file's
SHP101, and never a ``Traceback``. Exit status 2 is only for usage and internal errors.

Inputs that could hang or kill the process (a FIFO, a link to ``/dev/zero``, nesting deep enough
to overflow the parser's native stack) run in a subprocess with a timeout, so a regression
fails the test instead of hanging or killing pytest.

Unreadable files: tests run as root here, where ``chmod 000`` does not stop reading. The
``unreadable_file`` case uses ``chmod 000`` when that really makes the file unreadable and
otherwise a symbolic link to itself, which no user can open (ELOOP) — the same ``OSError`` path
in pkgcheck. Dangling links and FIFOs have their own cases.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Set, Tuple, Union

import pytest

from cli_support import BUGGY
from linter.run import engine
from linter.project.index import Ref
from linter.semantic.builder import SpecBuilder
from rules import load_all

REPO_ROOT = Path(__file__).resolve().parent.parent
ALL_CODES = sorted(load_all())

#: One SHP101 (duplicate route) at line 5: the CLI tests' buggy module.
GOOD = BUGGY
GOOD_FINDING = ("good.py", 5, "SHP101")


# -- building cases ---------------------------------------------------------------------------


@dataclass
class Case:
    """What a project must produce: files that fail (one message each), files that may fail
    (at most one message), findings that must be reported."""

    failing: Set[str] = field(default_factory=set)
    may_fail: Set[str] = field(default_factory=set)
    findings: Set[Tuple[str, int, str]] = field(default_factory=set)
    #: rule codes that must not be reported anywhere (a near miss)
    forbidden: Set[str] = field(default_factory=set)


def write(root: Path, relative: str, content: Union[str, bytes]) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def nested(depth: int, opening: str, closing: str) -> str:
    return "import steamship\nx = " + opening * depth + "1" + closing * depth + "\n"


def nested_ifs(depth: int) -> str:
    lines = ["import steamship"]
    for level in range(depth):
        lines.append("    " * level + "if x:")
    lines.append("    " * depth + "pass")
    return "\n".join(lines) + "\n"


def unreadable(path: Path) -> None:
    """Make ``path`` unreadable: ``chmod 000``, or where that does not stop reading (root), a
    link to itself, which nobody can open."""
    path.write_text(GOOD, encoding="utf-8")
    os.chmod(path, 0)
    try:
        path.read_bytes()
    except PermissionError:
        return
    path.unlink()
    os.symlink(path.name, path)


def case_syntax_error(root: Path) -> Case:
    write(root, "syntax_error.py", "from steamship.invocable import post\ndef broken(:\n    pass\n")
    return Case(failing={"syntax_error.py"})


def case_nul_bytes(root: Path) -> Case:
    write(root, "nul_bytes.py", b"import steamship\nx = 1\x00\n")
    return Case(failing={"nul_bytes.py"})


def case_not_utf8_without_cookie(root: Path) -> Case:
    write(root, "not_utf8.py", b"import steamship\nname = '\xff\xfe caf\xe9'\n")
    return Case(failing={"not_utf8.py"})


def case_binary_file(root: Path) -> Case:
    write(root, "binary.py", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR steamship \xff\xd8")
    return Case(failing={"binary.py"})


def case_mixed_tabs(root: Path) -> Case:
    write(root, "mixed_tabs.py", b"import steamship\nif x:\n\tif y:\n        pass\n")
    return Case(failing={"mixed_tabs.py"})


def case_latin1_cookie(root: Path) -> Case:
    source = (
        "# -*- coding: latin-1 -*-\n"
        "from steamship.invocable import PackageService, post\n"
        "class Caf\u00e9(PackageService):\n"
        "    @post('caf\u00e9')\n"
        "    def a(self) -> str: return '\u00e9t\u00e9'\n"
        "    @post('/caf\u00e9')\n"
        "    def b(self) -> str: return '\u00e9t\u00e9'\n"
    )
    write(root, "latin1.py", source.encode("latin-1"))
    return Case(findings={("latin1.py", 6, "SHP101")})


def case_utf8_bom(root: Path) -> Case:
    write(root, "bom.py", b"\xef\xbb\xbf" + GOOD.encode("utf-8"))
    return Case(findings={("bom.py", 5, "SHP101")})


def case_crlf_line_endings(root: Path) -> Case:
    write(root, "crlf.py", GOOD.replace("\n", "\r\n").encode("utf-8"))
    return Case(findings={("crlf.py", 5, "SHP101")})


def case_cr_line_endings(root: Path) -> Case:
    write(root, "cr_only.py", GOOD.replace("\n", "\r").encode("utf-8"))
    return Case(findings={("cr_only.py", 5, "SHP101")})


def case_spaces_and_non_ascii_names(root: Path) -> Case:
    write(root, "my pkg/\u00fcn\u00ef.py", GOOD)
    write(root, "\u65e5\u672c/\u30b5\u30fc\u30d3\u30b9.py", GOOD)
    return Case(
        findings={
            ("my pkg/\u00fcn\u00ef.py", 5, "SHP101"),
            ("\u65e5\u672c/\u30b5\u30fc\u30d3\u30b9.py", 5, "SHP101"),
        }
    )


def case_non_utf8_file_name(root: Path) -> Case:
    name = b"nonutf8_\xff.py"
    with open(os.path.join(os.fsencode(root), name), "wb") as handle:
        handle.write(GOOD.encode("utf-8"))
    return Case(findings={(os.fsdecode(name), 5, "SHP101")})


def case_deep_parens_1000(root: Path) -> Case:
    write(root, "deep_parens.py", nested(1000, "(", ")"))
    return Case(may_fail={"deep_parens.py"})


def case_deep_ifs_1000(root: Path) -> Case:
    write(root, "deep_ifs.py", nested_ifs(1000))
    return Case(may_fail={"deep_ifs.py"})


def case_import_cycle(root: Path) -> Case:
    for this, other in (("a", "b"), ("b", "a")):
        write(
            root,
            f"{this}.py",
            f"from steamship.invocable import PackageService, post\n"
            f"from {other} import {other.upper()}\n"
            f"class {this.upper()}(PackageService):\n"
            f"    @post('x')\n"
            f"    def x(self) -> str: return ''\n"
            f"    @post('/x')\n"
            f"    def y(self) -> str: return ''\n",
        )
    return Case(findings={("a.py", 6, "SHP101"), ("b.py", 6, "SHP101")})


def case_inheritance_cycle(root: Path) -> Case:
    write(
        root,
        "a.py",
        "from steamship.invocable import PackageService, post\n"
        "from b import B\n"
        "class A(B):\n"
        "    @post('a')\n"
        "    def a(self) -> str: return ''\n"
        "class P(PackageService, A):\n"
        "    pass\n",
    )
    write(
        root,
        "b.py",
        "from steamship.invocable import PackageService, post\n"
        "from a import A\n"
        "class B(A, PackageService):\n"
        "    @post('b')\n"
        "    def b(self) -> str: return ''\n"
        "class Q(B):\n"
        "    USED_MIXIN_CLASSES = [B, A]\n",
    )
    write(
        root,
        "c.py",
        "from steamship.invocable import PackageMixin\n"
        "from c import C as D\n"
        "class C(D, PackageMixin):\n"
        "    pass\n",
    )
    return Case()


def case_inheritance_cycle_with_mixins(root: Path) -> Case:
    """Two packages inheriting from each other, each listing a mixin (Python raises NameError
    at import; pkgcheck must still say something sensible, at both spec levels)."""
    write(
        root,
        "cycle.py",
        "from steamship.invocable import PackageMixin, PackageService\n"
        "class Helper(PackageMixin):\n"
        "    pass\n"
        "class Alpha(Beta, PackageService):\n"
        "    USED_MIXIN_CLASSES = [Helper]\n"
        "class Beta(Alpha, PackageService):\n"
        "    USED_MIXIN_CLASSES = [Helper]\n",
    )
    return Case()


def case_self_listing_mixin(root: Path) -> Case:
    write(
        root,
        "selfish.py",
        "from steamship.invocable import PackageMixin, PackageService, post\n"
        "class Loop(PackageService):\n"
        "    USED_MIXIN_CLASSES = [Loop]\n"
        "    def __init__(self, **kwargs):\n"
        "        super().__init__(**kwargs)\n"
        "        self.add_mixin(self)\n"
        "        self.add_mixin(Loop(self))\n"
        "class Mixin(PackageMixin):\n"
        "    USED_MIXIN_CLASSES = [Mixin]\n"
        "Alias = Mixin\n"
        "class Mixin(Alias):\n"
        "    pass\n"
        "class Uses(PackageService):\n"
        "    USED_MIXIN_CLASSES = [Mixin, Alias, Uses]\n",
    )
    return Case()


def case_module_and_package_with_one_name(root: Path) -> Case:
    """``api.py`` beside ``api/__init__.py``: both are named ``api``; Python imports the
    package. Each file's findings must point into that file, and ``Other`` (a PackageService
    subclass defined in the package) must not be mistaken for a plain class."""
    write(root, "api.py", GOOD)
    write(
        root,
        "api/__init__.py",
        "\n\n\n" + GOOD.replace("Svc", "Other").replace('"a"', '"z"').replace('"/a"', '"/z"'),
    )
    return Case(
        findings={("api.py", 5, "SHP101"), ("api/__init__.py", 8, "SHP101")}, forbidden={"SHP105"}
    )


def case_symlink_loop_directory(root: Path) -> Case:
    os.symlink(".", root / "loop")
    (root / "sub").mkdir()
    os.symlink("..", root / "sub" / "up")
    return Case()


def case_symlink_loop_file(root: Path) -> Case:
    os.symlink("self_link.py", root / "self_link.py")
    os.symlink("ping.py", root / "pong.py")
    os.symlink("pong.py", root / "ping.py")
    return Case(failing={"self_link.py", "ping.py", "pong.py"})


def case_broken_symlink(root: Path) -> Case:
    os.symlink("does_not_exist.py", root / "dangling.py")
    return Case(failing={"dangling.py"})


def case_unreadable_file(root: Path) -> Case:
    unreadable(root / "unreadable.py")
    return Case(failing={"unreadable.py"})


def case_empty_directory(root: Path) -> Case:
    (root / "empty").mkdir()
    (root / "empty_package").mkdir()
    (root / "empty_package" / "__init__.py").write_bytes(b"")
    return Case()


CASES: Dict[str, Callable[[Path], Case]] = {
    name[len("case_") :]: function
    for name, function in sorted(globals().items())
    if name.startswith("case_") and callable(function)
}


def build(tmp_path: Path, name: str) -> Tuple[Path, Case]:
    root = tmp_path / "tree"
    root.mkdir()
    (root / "steamship.json").write_text("{}\n", encoding="utf-8")
    (root / "good.py").write_text(GOOD, encoding="utf-8")
    case = CASES[name](root)
    case.findings.add(GOOD_FINDING)
    return root, case


def relative(root: Path, path: str) -> str:
    return Path(path).relative_to(root).as_posix()


# -- the engine --------------------------------------------------------------------------------


def check(paths: List[Path]) -> engine.Report:
    """``engine.check`` with every rule; an exception fails the test with its last frames only
    (pytest needs many minutes to render the thousands of frames of a RecursionError, or of the
    chain of exceptions LibCST raises while unwinding one)."""
    try:
        return engine.check(paths, ALL_CODES)
    except Exception as error:
        frames = "".join(traceback.format_exception(error, limit=-8, chain=False))
        pytest.fail(f"check() raised {type(error).__name__}\n{frames}", pytrace=False)


def assert_engine_report(root: Path, case: Case, report) -> None:
    assert not report.internal_errors, report.internal_errors
    internal = [f for f in report.failures if f.internal]
    assert not internal, internal
    tracebacks = getattr(report.project, "internal_tracebacks", {})
    assert not tracebacks, tracebacks
    failed: Dict[str, List[str]] = {}
    for failure in report.failures:
        failed.setdefault(relative(root, failure.path), []).append(failure.message)
    for name, messages in failed.items():
        assert name in case.failing | case.may_fail, f"{name} should parse: {messages}"
        assert len(messages) == 1, f"{name}: {messages}"
        message = messages[0]
        assert message.strip() and "\n" not in message and "Traceback" not in message, message
    missing = case.failing - set(failed)
    assert not missing, f"no message for {sorted(missing)}"
    found = {(relative(root, v.path), v.line, v.code) for v in report.violations}
    assert case.findings <= found, (
        f"missing findings {sorted(case.findings - found)}; got {sorted(found)}"
    )
    assert not [f for f in found if f[2] in case.forbidden], sorted(found)


@pytest.mark.parametrize("name", sorted(CASES))
def test_engine(tmp_path: Path, name: str) -> None:
    root, case = build(tmp_path, name)
    started = time.perf_counter()
    report = check([root])
    elapsed = time.perf_counter() - started
    print(f"{name}: engine {elapsed:.2f}s")
    assert_engine_report(root, case, report)
    for level in ("class", "instance"):
        _, failures, _ = engine.package_specs([root], level=level)
        assert not [f for f in failures if f.internal]


# -- the CLI -----------------------------------------------------------------------------------


def cli(args: List[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO_ROOT)
    env.pop("NO_COLOR", None)
    return subprocess.run(
        [sys.executable, "-m", "linter", *args],
        cwd=str(cwd),
        env=env,
        capture_output=True,
        timeout=timeout,
    )


def text_of(result: subprocess.CompletedProcess) -> Tuple[str, str]:
    return (
        result.stdout.decode("utf-8", "replace"),
        result.stderr.decode("utf-8", "replace"),
    )


def lines_naming(output: str, name: str) -> List[str]:
    """Output lines that name the file ``name`` (its last path part; the display may replace
    undecodable bytes)."""
    tail = name.rsplit("/", 1)[-1]
    shown = tail.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    stem = shown.split("\ufffd")[0]
    pattern = re.compile(r"(^|[/\s])" + re.escape(stem))
    return [line for line in output.splitlines() if pattern.search(line)]


def assert_cli_report(case: Case, result: subprocess.CompletedProcess) -> None:
    stdout, stderr = text_of(result)
    both = stdout + stderr
    assert "Traceback" not in both, both
    assert "internal error" not in both, both
    assert result.returncode == 1, f"exit {result.returncode}\n{both}"
    for name in sorted(case.failing):
        lines = lines_naming(both, name)
        assert len(lines) == 1, f"{name}: expected one line, got {lines}\n{both}"
        assert "SHP001" in lines[0], lines[0]
    for name in sorted(case.may_fail):
        assert len(lines_naming(both, name)) <= 1, both
    for name, line, code in sorted(case.findings):
        wanted = [
            text
            for text in lines_naming(stdout, name)
            if re.search(rf":{line}:\d+: {code}\b", text)
        ]
        assert wanted, f"no {code} at {name}:{line}\n{both}"
    for code in sorted(case.forbidden):
        assert f" {code} " not in stdout, f"{code} reported\n{stdout}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_cli(tmp_path: Path, name: str) -> None:
    root, case = build(tmp_path, name)
    result = cli(["check", "--no-cache", "--select", "ALL", str(root)], cwd=tmp_path)
    assert_cli_report(case, result)
    for level in ("class", "instance"):
        spec = cli(["spec", "--level", level, str(root)], cwd=tmp_path)
        stdout, stderr = text_of(spec)
        assert "Traceback" not in stdout + stderr and "internal error" not in stderr, stderr
        assert spec.returncode in (0, 1), stderr
        json.loads(stdout)


# -- inputs that could hang or kill the process --------------------------------------------------

ENGINE_IN_A_SUBPROCESS = """
import json, resource, sys
from pathlib import Path
if sys.argv[2] == "limit":  # a file that never ends must not eat the machine
    limit = 3 * 1024 ** 3
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
from linter.run import engine
from rules import load_all
report = engine.check([Path(sys.argv[1])], sorted(load_all()))
print(json.dumps({
    "violations": [[v.path, v.line, v.code] for v in report.violations],
    "failures": [[f.path, f.message, f.internal] for f in report.failures],
    "internal": [e[1] for e in report.internal_errors],
}))
"""


def engine_subprocess(root: Path, timeout: float = 20, limit_memory: bool = False) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO_ROOT)
    try:
        result = subprocess.run(
            [
                sys.executable,
                "-c",
                ENGINE_IN_A_SUBPROCESS,
                str(root),
                "limit" if limit_memory else "-",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"the engine did not finish within {timeout:.0f}s (it hangs on this input)")
    assert result.returncode == 0, (
        f"the engine process died with status {result.returncode}"
        f"{' (signal %d)' % -result.returncode if result.returncode < 0 else ''}\n"
        f"{result.stderr[-2000:]}"
    )
    return json.loads(result.stdout)


def assert_subprocess_report(
    root: Path, data: dict, failing: Set[str], may_fail: Set[str] = frozenset()
) -> None:
    assert not data["internal"], data["internal"]
    failed = {relative(root, path): message for path, message, internal in data["failures"]}
    assert not [f for f in data["failures"] if f[2]], data["failures"]
    assert failing <= set(failed) <= failing | may_fail, failed
    found = {(relative(root, path), line, code) for path, line, code in data["violations"]}
    assert GOOD_FINDING in found, found


def cli_with_timeout(root: Path, cwd: Path, timeout: float = 20) -> subprocess.CompletedProcess:
    try:
        return cli(["check", "--no-cache", str(root)], cwd=cwd, timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"pkgcheck did not finish within {timeout:.0f}s (it hangs on this input)")


def special_file_case(tmp_path: Path, kind: str) -> Tuple[Path, str]:
    root = tmp_path / "tree"
    root.mkdir()
    (root / "steamship.json").write_text("{}\n", encoding="utf-8")
    (root / "good.py").write_text(GOOD, encoding="utf-8")
    if kind == "fifo":
        name = "pipe.py"
        os.mkfifo(root / name)
    elif kind == "dev_zero":
        name = "zeros.py"
        os.symlink("/dev/zero", root / name)
    elif kind == "dev_urandom":
        name = "noise.py"
        os.symlink("/dev/urandom", root / name)
    else:
        raise ValueError(kind)
    return root, name


SPECIAL_FILES = ["fifo", "dev_zero", "dev_urandom"]


@pytest.mark.parametrize("kind", SPECIAL_FILES)
def test_engine_special_files(tmp_path: Path, kind: str) -> None:
    """A FIFO would block a read forever; a link to a device never ends. pkgcheck reads
    regular files only, and says so for the rest."""
    root, name = special_file_case(tmp_path, kind)
    data = engine_subprocess(root, limit_memory=True)
    assert_subprocess_report(root, data, failing={name})


@pytest.mark.parametrize("kind", SPECIAL_FILES)
def test_cli_special_files(tmp_path: Path, kind: str) -> None:
    root, name = special_file_case(tmp_path, kind)
    result = cli_with_timeout(root, tmp_path)
    assert_cli_report(Case(failing={name}, findings={GOOD_FINDING}), result)


DEEP = {
    "parens_5000": nested(5000, "(", ")"),
    "lists_3000": nested(3000, "[", "]"),
    "unary_minus_10000": "import steamship\nx = " + "-" * 10000 + "1\n",
    "not_10000": "import steamship\nx = " + "not " * 10000 + "1\n",
}


@pytest.mark.parametrize("kind", sorted(DEEP))
def test_engine_survives_nesting_that_overflows_the_parser(tmp_path: Path, kind: str) -> None:
    """CPython rejects these with a SyntaxError (or MemoryError/RecursionError from its
    parser); LibCST's native parser overflows its stack and the process dies with SIGSEGV.
    pkgcheck must report the file and go on."""
    root = tmp_path / "tree"
    root.mkdir()
    (root / "steamship.json").write_text("{}\n", encoding="utf-8")
    (root / "good.py").write_text(GOOD, encoding="utf-8")
    (root / "deep.py").write_text(DEEP[kind], encoding="utf-8")
    data = engine_subprocess(root, timeout=60)
    assert_subprocess_report(root, data, failing={"deep.py"})


def test_cli_survives_nesting_that_overflows_the_parser(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    (root / "steamship.json").write_text("{}\n", encoding="utf-8")
    (root / "good.py").write_text(GOOD, encoding="utf-8")
    (root / "deep.py").write_text(DEEP["parens_5000"], encoding="utf-8")
    result = cli_with_timeout(root, tmp_path, timeout=60)
    assert result.returncode >= 0, f"pkgcheck died with signal {-result.returncode}"
    assert_cli_report(Case(failing={"deep.py"}, findings={GOOD_FINDING}), result)


@pytest.mark.parametrize("kind", ["lists", "calls", "parens"])
def test_deep_nesting_is_not_pathologically_slow(tmp_path: Path, kind: str) -> None:
    """1,000 nested brackets: CPython refuses more than 200 at once; LibCST's parse time grows
    quadratically with the depth (lists: ~3 s, calls: ~13 s here). A file that cannot be valid
    Python must not cost more than a large valid one."""
    opening, closing = {"lists": ("[", "]"), "calls": ("f(", ")"), "parens": ("(", ")")}[kind]
    root = tmp_path / "tree"
    root.mkdir()
    (root / "steamship.json").write_text("{}\n", encoding="utf-8")
    (root / "deep.py").write_text(nested(1000, opening, closing), encoding="utf-8")
    (root / "good.py").write_text(GOOD, encoding="utf-8")
    started = time.perf_counter()
    report = check([root])
    elapsed = time.perf_counter() - started
    print(f"1000-deep {kind}: {elapsed:.2f}s")
    assert_engine_report(root, Case(may_fail={"deep.py"}), report)
    assert elapsed < 2, f"{elapsed:.1f}s for one 1000-deep {kind} expression"


# -- valid code that must not be refused ------------------------------------------------------

LONG_VALID = {
    # a long prompt written as implicit concatenation, one piece per line
    "implicit_concatenation_600": "x = (\n"
    + "".join(f"    'line {i} '\n" for i in range(600))
    + ")\n",
    "plus_chain_600": "x = " + " + ".join(f"'p{i}'" for i in range(600)) + "\n",
    "and_chain_600": "x = " + " and ".join(f"a{i}" for i in range(600)) + "\n",
    "elif_chain_600": "if a == 0:\n    pass\n"
    + "".join(f"elif a == {i}:\n    pass\n" for i in range(1, 600)),
    "attribute_chain_600": "x = a" + ".b" * 600 + "\n",
    "method_chain_250": "x = query" + ".filter(1)" * 250 + "\n",
    "nested_calls_190": "x = " + "f(" * 190 + "1" + ")" * 190 + "\n",
}


@pytest.mark.parametrize("kind", sorted(LONG_VALID))
def test_long_valid_chains_are_analysed(tmp_path: Path, kind: str) -> None:
    """Code CPython compiles must not be reported as 'nested too deeply' (SHP001)."""
    import ast

    source = "from steamship.invocable import PackageService\n" + LONG_VALID[kind]
    compile(source, "long.py", "exec", ast.PyCF_ONLY_AST)  # the premise: valid Python
    root = tmp_path / "tree"
    root.mkdir()
    (root / "steamship.json").write_text("{}\n", encoding="utf-8")
    (root / "long.py").write_text(source, encoding="utf-8")
    (root / "good.py").write_text(GOOD, encoding="utf-8")
    report = check([root])
    assert not report.internal_errors
    assert not report.failures, [f.message for f in report.failures]


@pytest.mark.parametrize("kind", sorted(LONG_VALID))
def test_long_chain_in_a_file_with_findings(tmp_path: Path, kind: str) -> None:
    """The same chains in a package module that has a finding: locating the finding computes the
    file's positions, which must survive the chain just as the facts did. (A long prompt written
    as implicit concatenation is the likely case; a RecursionError — or, for the elif chain, a
    KeyError from LibCST's PositionProvider — there loses every finding of the run.)"""
    root = tmp_path / "tree"
    root.mkdir()
    (root / "steamship.json").write_text("{}\n", encoding="utf-8")
    (root / "good.py").write_text(GOOD + LONG_VALID[kind], encoding="utf-8")
    report = check([root])
    assert_engine_report(root, Case(findings={GOOD_FINDING}), report)
    if kind == "implicit_concatenation_600":
        result = cli(["check", "--no-cache", str(root)], cwd=tmp_path)
        assert_cli_report(Case(findings={GOOD_FINDING}), result)


# -- size ----------------------------------------------------------------------------------------


def big_module(lines: int) -> Tuple[str, int]:
    """A package module of about ``lines`` lines: a package with 300 routes (one duplicate)
    followed by helper functions; returns the text and the line of the duplicate route."""
    out = [
        "from steamship.invocable import PackageService, post, get",
        "",
        "",
        "class Big(PackageService):",
    ]
    duplicate_line = 0
    for i in range(300):
        if i == 150:
            duplicate_line = len(out) + 1
            out.append("    @post('route_0')")
        else:
            out.append(f"    @post('route_{i}')")
        out += [
            f"    def route_{i}(self, a: int, b: str = 'x') -> dict:",
            f"        '''Route {i}.'''",
            "        return {'a': a, 'b': b}",
            "",
        ]
    i = 0
    while len(out) < lines:
        out += [
            "",
            f"def helper_{i}(a, b=None):",
            f"    values = [a, b, {i}]",
            "    if a > b:",
            "        return {'k': values, 'n': len(values)}",
            "    return None",
        ]
        i += 1
    return "\n".join(out) + "\n", duplicate_line


def check_big_file(tmp_path: Path, lines: int, limit: float) -> None:
    source, duplicate_line = big_module(lines)
    assert source.count("\n") >= lines
    root = tmp_path / "tree"
    root.mkdir()
    (root / "steamship.json").write_text("{}\n", encoding="utf-8")
    (root / "big.py").write_text(source, encoding="utf-8")
    started = time.perf_counter()
    report = check([root])
    elapsed = time.perf_counter() - started
    print(f"{lines:,}-line file: engine {elapsed:.2f}s")
    assert not report.internal_errors and not report.failures
    found = {(v.line, v.code) for v in report.violations}
    assert (duplicate_line, "SHP101") in found, sorted(found)[:10]
    assert elapsed < limit, f"{elapsed:.1f}s for one {lines:,}-line file"
    started = time.perf_counter()
    result = cli(["check", "--no-cache", str(root)], cwd=tmp_path)
    print(f"{lines:,}-line file: CLI {time.perf_counter() - started:.2f}s")
    assert result.returncode == 1, text_of(result)
    assert f"big.py:{duplicate_line}:" in text_of(result)[0]


def test_a_10000_line_file(tmp_path: Path) -> None:
    check_big_file(tmp_path, 10_000, limit=45)


@pytest.mark.slow
def test_a_50000_line_file(tmp_path: Path) -> None:
    """Most of the time goes to positions: one finding in the file makes pkgcheck parse it a
    second time and run LibCST's PositionProvider over all of it."""
    check_big_file(tmp_path, 50_000, limit=180)


def spec_time(tmp_path: Path, methods: int, repeats: int) -> float:
    """Best time to build the instance spec of a package with ``methods`` routes (the parse is
    done once and not measured; each repetition starts from a fresh project, so no memo helps)."""
    root = tmp_path / f"tree{methods}"
    root.mkdir()
    (root / "steamship.json").write_text("{}\n", encoding="utf-8")
    lines = ["from steamship.invocable import PackageService, post", "class Big(PackageService):"]
    for i in range(methods):
        lines += [f"    @post('r{i}')", f"    def r{i}(self, a: int) -> int:", "        return a"]
    (root / "big.py").write_text("\n".join(lines) + "\n", encoding="utf-8")
    facts = engine.open_project([root]).load_path(root / "big.py")
    best = float("inf")
    for _ in range(repeats):
        project = engine.open_project([root])
        project.adopt(root / "big.py", facts)
        builder = SpecBuilder(project)
        started = time.perf_counter()
        spec = builder.instance_spec(Ref("class", "big", "Big"))
        best = min(best, time.perf_counter() - started)
        assert spec is not None and len(spec.methods()) == methods + 3
    return best


def test_spec_of_a_class_with_many_routes_scales_linearly(tmp_path: Path) -> None:
    """Eight times the routes may cost about eight times as much, not sixty-four: a class of a
    few thousand generated routes must not take minutes. (Today ``class_attribute`` scans the
    whole class body for every route: quadratic.) Best of several runs, so that load on the
    machine cannot make a quadratic builder look linear."""
    small = spec_time(tmp_path, 800, repeats=3)
    large = spec_time(tmp_path, 6400, repeats=2)
    ratio = large / small
    print(f"spec of 800 routes: {small:.3f}s, of 6400 routes: {large:.3f}s ({ratio:.1f}x)")
    assert ratio < 24, f"{small:.3f}s -> {large:.3f}s for 8x the routes"


# -- paths ---------------------------------------------------------------------------------------


def test_engine_missing_path(tmp_path: Path) -> None:
    """A path that does not exist is reported, not silently skipped (a typo in CI must not
    look like a clean run); the other paths are still checked."""
    root, case = build(tmp_path, "empty_directory")
    missing = root / "no_such_module.py"
    report = check([missing, root / "good.py"])
    assert not report.internal_errors
    messages = [f.message for f in report.failures if Path(f.path) == missing]
    assert len(messages) == 1, report.failures
    assert GOOD_FINDING in {(relative(root, v.path), v.line, v.code) for v in report.violations}


def test_cli_missing_path(tmp_path: Path) -> None:
    root, _ = build(tmp_path, "empty_directory")
    result = cli(
        ["check", "--no-cache", str(root / "no_such_module.py"), str(root / "good.py")],
        cwd=tmp_path,
    )
    stdout, stderr = text_of(result)
    both = stdout + stderr
    assert "Traceback" not in both
    assert len(lines_naming(both, "no_such_module.py")) == 1, both
    assert GOOD_FINDING[0] + ":5:" in stdout, (
        f"the run stopped at the missing path (exit {result.returncode})\n{both}"
    )
    assert result.returncode == 1, both


def test_engine_empty_directory_alone(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    report = check([tmp_path / "empty"])
    assert not report.violations and not report.failures and not report.internal_errors


def test_cli_empty_directory_alone(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = cli(["check", "--no-cache", str(tmp_path / "empty")], cwd=tmp_path)
    stdout, stderr = text_of(result)
    assert result.returncode == 0, stdout + stderr
    assert "Traceback" not in stdout + stderr
    assert len((stdout + stderr).strip().splitlines()) == 1, stdout + stderr


@pytest.mark.parametrize("fmt", ["text", "json", "github", "sarif"])
def test_cli_non_utf8_file_name_in_every_format(tmp_path: Path, fmt: str) -> None:
    root, _ = build(tmp_path, "non_utf8_file_name")
    result = cli(["check", "--no-cache", "--format", fmt, str(root)], cwd=tmp_path)
    stdout, stderr = text_of(result)
    assert "Traceback" not in stdout + stderr
    assert result.returncode == 1, f"exit {result.returncode}: {stderr}"
    assert "nonutf8_" in stdout
    if fmt in ("json", "sarif"):
        json.loads(stdout)


# -- the cache the CLI keeps in the tree --------------------------------------------------------


def test_cache_shipped_in_the_tree_cannot_hide_findings(tmp_path: Path) -> None:
    """``.pkgcheck_cache/`` lives in the analysed tree, so a pull request can bring one: its
    keys are computable (file texts, paths, version, options). Entries written by someone else
    must not replace the analysis — here a results entry rewritten to "no findings"."""
    root = tmp_path / "tree"
    root.mkdir()
    (root / "steamship.json").write_text("{}\n", encoding="utf-8")
    (root / "good.py").write_text(GOOD, encoding="utf-8")
    first = cli(["check", str(root)], cwd=tmp_path)
    assert first.returncode == 1, text_of(first)
    entries = list((root / ".pkgcheck_cache").rglob("results/*.json"))
    assert entries, "the CLI wrote no results cache (the test needs one to tamper with)"
    for entry in entries:
        entry.write_text(
            json.dumps({"violations": [], "failures": [], "notices": []}), encoding="utf-8"
        )
    second = cli(["check", str(root)], cwd=tmp_path)
    stdout, stderr = text_of(second)
    assert second.returncode == 1 and "SHP101" in stdout, (
        f"a forged cache entry hid the finding (exit {second.returncode})\n{stdout}{stderr}"
    )


def test_cache_directory_that_is_a_symlink_is_not_followed(tmp_path: Path) -> None:
    """A tree whose ``.pkgcheck_cache`` links elsewhere must not make pkgcheck write there."""
    root = tmp_path / "tree"
    outside = tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "steamship.json").write_text("{}\n", encoding="utf-8")
    (root / "good.py").write_text(GOOD, encoding="utf-8")
    os.symlink(outside, root / ".pkgcheck_cache")
    result = cli(["check", str(root)], cwd=tmp_path)
    assert result.returncode == 1, text_of(result)
    assert sorted(p.name for p in outside.rglob("*")) == [], "pkgcheck wrote outside the tree"
