"""Run the rules over a project and turn their findings into located violations."""

from __future__ import annotations

import os
import re
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

from linter.context import Context
from linter.facts import ModuleFacts, ParseFailure, Span
from linter.index import BUNDLED_VERSION, Project
from linter.scope import in_scope, project_files
from linter.spec import Where

PARSE_ERROR = "SHP001"


@dataclass(frozen=True)
class Violation:
    code: str
    message: str
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    #: other places involved: (path, line, label)
    related: Tuple[Tuple[str, int, str], ...] = ()


@dataclass
class Analysis:
    """Everything one run found, for every in-scope file of the project."""

    project: Project
    violations: List[Violation] = field(default_factory=list)
    failures: List[ParseFailure] = field(default_factory=list)
    #: (where, message, traceback) for rules that crashed
    internal_errors: List[Tuple[str, str, str]] = field(default_factory=list)
    notices: List[str] = field(default_factory=list)
    analysed: List[Path] = field(default_factory=list)


def pinned_steamship(root: Path) -> Optional[str]:
    """The steamship version the project pins with ``==`` (requirements*.txt, pyproject.toml)."""
    pattern = re.compile(r"""(?im)^[\s"']*steamship\s*(?:\[[^\]]*\])?\s*==\s*([\w.+!-]+)""")
    candidates = sorted(root.glob("requirements*.txt")) + [root / "pyproject.toml", root / "setup.cfg"]
    for candidate in candidates:
        try:
            text = candidate.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        match = pattern.search(text)
        if match:
            return match.group(1)
    return None


def analyse(
    project: Project,
    enabled: Iterable[str],
    excludes: Sequence[str],
    extra_files: Sequence[Path] = (),
    prefilter: bool = True,
) -> Analysis:
    """Findings of the ``enabled`` rules for every in-scope module of ``project``.

    ``extra_files`` are analysed even when they lie outside the project's walk (a file named on
    the command line inside an excluded directory, flake8's stdin).
    """
    from rules import load_all

    registry = load_all()
    analysis = Analysis(project)
    files = project_files(project, excludes)
    known = set(files)
    for extra in extra_files:
        extra = Path(os.path.abspath(extra))
        if extra not in known:
            files.append(extra)
            known.add(extra)
    chosen = in_scope(project, files) if prefilter else files
    modules: List[ModuleFacts] = []
    for path in chosen:
        loaded = project.load_path(path)
        if isinstance(loaded, ModuleFacts):
            modules.append(loaded)
        else:
            analysis.failures.append(loaded)
    analysis.analysed = list(chosen)
    enabled = set(enabled)
    pinned = pinned_steamship(project.root)
    skip_sdk = False
    if project.steamship.kind == "catalogue" and pinned and pinned != BUNDLED_VERSION:
        skip_sdk = True
        analysis.notices.append(
            f"the project pins steamship=={pinned} but no steamship is installed here; "
            f"pkgcheck used its catalogue of steamship {BUNDLED_VERSION} and skipped the checks "
            "that depend on steamship's own code (install the pinned steamship, or pass "
            "--steamship-path, to run them)"
        )
    context = Context(project, modules, sdk_exact=not skip_sdk)
    findings = []
    for code, rule_class in registry.items():
        if code not in enabled or code == PARSE_ERROR:
            continue
        rule = rule_class()
        try:
            findings.extend(rule.check(context))
        except Exception as error:  # one broken rule must not lose the others' findings
            analysis.internal_errors.append(
                (code, f"internal error in {code} ({type(error).__name__}: {error}); please report it", traceback.format_exc())
            )
    analysis.violations = locate(project, findings, registry)
    return analysis


def locate(project: Project, findings: Iterable[object], registry: Dict[str, type]) -> List[Violation]:
    seen: Set[Tuple[str, str, int, str]] = set()
    violations = []
    for finding in findings:
        module = project.module(finding.at.module)  # type: ignore[attr-defined]
        if module is None or project.is_steamship(module.name) and not _is_project_file(project, module):
            continue
        fields = {}
        related = []
        for key, value in finding.fields.items():  # type: ignore[attr-defined]
            if isinstance(value, Where):
                place, path, line = describe(project, value)
                fields[key] = place
                if path is not None:
                    related.append((path, line, key))
            else:
                fields[key] = value
        message = registry[finding.code].message.format(**fields)  # type: ignore[attr-defined]
        key = (finding.code, module.name, finding.at.node, message)  # type: ignore[attr-defined]
        if key in seen:
            continue
        seen.add(key)
        span = project.span(module, finding.at.node) or Span(1, 1, 1, 1)  # type: ignore[attr-defined]
        violations.append(
            Violation(
                finding.code,  # type: ignore[attr-defined]
                message,
                module.path,
                span.line,
                span.column,
                span.end_line,
                span.end_column,
                tuple(related),
            )
        )
    violations.sort(key=lambda v: (v.path, v.line, v.column, v.code, v.message))
    return violations


def _is_project_file(project: Project, module: ModuleFacts) -> bool:
    path = Path(module.path)
    return path.is_absolute() and str(path).startswith(str(project.root) + os.sep)


def describe(project: Project, where: Where) -> Tuple[str, Optional[str], int]:
    """``path:line`` of a place, for messages; plus its path and line for related locations."""
    module = project.module(where.module)
    if module is None:
        return where.module, None, 0
    span = project.span(module, where.node)
    line = span.line if span else 0
    shown = display_path(project, module.path)
    return (f"{shown}:{line}" if line else shown), module.path, line


def display_path(project: Project, path: str) -> str:
    candidate = Path(path)
    if not candidate.is_absolute():
        return path  # the catalogue's "steamship/..." paths
    for base in (project.root, Path.cwd()):
        try:
            return candidate.relative_to(base).as_posix()
        except ValueError:
            continue
    directory = project.steamship.directory
    if directory is not None:
        try:
            return candidate.relative_to(directory.parent).as_posix()
        except ValueError:
            pass
    return candidate.as_posix()
