"""Helpers for the CLI, config, reporter and noqa tests: tiny projects and throwaway rules.

Each temporary project holds a ``steamship.json`` so that it is its own project root: nothing
above it (the repository, the user's home) leaks into a test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Type

from click.testing import CliRunner, Result

import rules
from linter.frontends.cli.main import main

REPO_ROOT = Path(__file__).resolve().parent.parent

#: One SHP101 (duplicate route) at line 5, column 5.
BUGGY = """\
from steamship.invocable import PackageService, post
class Svc(PackageService):
    @post("a")
    def a(self) -> str: return "a"
    @post("/a")          # duplicate of the route above: SHP101
    def b(self) -> str: return "b"
"""

CLEAN = """\
from steamship.invocable import PackageService, post
class Svc(PackageService):
    @post("a")
    def a(self) -> str: return "a"
    @post("b")
    def b(self) -> str: return "b"
"""

#: Two findings with mechanical fixes (SHP108 at line 5, SHP404 at line 7).
FIXABLE = """\
from steamship.invocable import PackageService, get, post
class Svc(PackageService):
    @get("report")
    def report(self) -> str: return ""
    @post("run/")
    def run(self) -> str:
        self.invoke_later("report", verb="GET")
        return ""
"""

RULE_DOC = """Flags every decorator of a method (a test double).

## Why is this bad?
It is not; the tests need a rule whose findings they control.

## Example
```python
x = 1
```

## Use instead
```python
x = 1
```
"""


def make_project(root: Path, files: Dict[str, str]) -> Path:
    """A project at ``root`` (marked by ``steamship.json``) with ``files`` (dedented)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "steamship.json").write_text("{}\n", encoding="utf-8")
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def throwaway_rule(
    code: str,
    *,
    opt_in: bool = False,
    crash: bool = False,
    name: str = "FlagDecorator",
) -> Type[rules.Rule]:
    """A rule reporting every method decorator (or crashing); it registers itself on creation."""

    def check(self: rules.Rule, context: object) -> Iterator[rules.Finding]:
        if crash:
            raise ZeroDivisionError("boom in a test rule")
        for module in context.modules:  # type: ignore[attr-defined]
            for cls in module.classes:
                for method in cls.methods:
                    for decorator in method.decorators:
                        yield self.finding(
                            context.where(module, decorator.node),  # type: ignore[attr-defined]
                            decorator=decorator.source,
                            method=method.name,
                        )

    namespace = {
        "__doc__": RULE_DOC,
        "code": code,
        "message": "decorator {decorator} on {method}",
        "opt_in": opt_in,
        "check": check,
    }
    return type(f"{name}{code[3:]}", (rules.Rule,), namespace)


@contextmanager
def throwaway_rules() -> Iterator[Callable[..., Type[rules.Rule]]]:
    """Make throwaway rules; they leave ``rules.REGISTRY`` when the block ends."""
    rules.load_all()
    made: List[str] = []

    def make(code: str, **options: object) -> Type[rules.Rule]:
        made.append(code)
        return throwaway_rule(code, **options)  # type: ignore[arg-type]

    try:
        yield make
    finally:
        for code in made:
            rules.REGISTRY.pop(code, None)


def invoke(args: Sequence[str], env: Optional[Dict[str, str]] = None) -> Result:
    """Run the CLI in-process (in the current directory); no exception may escape it."""
    try:
        runner = CliRunner(mix_stderr=False)  # type: ignore[call-arg]  # click < 8.2
    except TypeError:
        runner = CliRunner()  # click >= 8.2 always keeps stderr apart
    result = runner.invoke(main, list(args), env=env, catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"an exception escaped the CLI: {result.exception!r}\n{result.output}")
    return result


def run_module(args: Sequence[str], cwd: Path) -> subprocess.CompletedProcess:
    """``python -m linter ARGS`` in a real subprocess."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env.pop("NO_COLOR", None)
    return subprocess.run(
        [sys.executable, "-m", "linter", *args],
        cwd=str(cwd),
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def json_report(result: Result) -> List[dict]:
    return json.loads(result.stdout)
