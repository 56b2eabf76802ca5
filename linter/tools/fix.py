"""Automatic fixes: LibCST edits that keep formatting and comments, written safely.

:func:`fix_files` plans a fix per violation from the engine's facts (:mod:`linter.tools.fixplan`),
locates each target in the file being fixed with LibCST's ``PositionProvider``, rewrites only
those literals (and adds ``from steamship.utils.url import Verb`` when a fix needs it), and then:

- with ``write=False`` (``--diff``) only reports unified diffs; nothing is written;
- with ``write=True`` replaces the file atomically (a temporary file beside it, ``os.replace``),
  but refuses when the file's bytes changed on disk since they were read, or when it does not
  parse.

A file that is a symbolic link is refused in both modes: pkgcheck follows no links.

Before anything is written or shown, the project is checked again with the fixed texts in
place: a fix that would add a finding, or leave the one it was made for, is not made (each fix
is then tried alone, to keep the others; fixes that only clash together are all dropped) and
the reason is in :attr:`FixResult.declined`.

Each edit names the value it expects to replace, so a second pass (or a stale violation) changes
nothing: fixing is idempotent. The CLI's check after ``--fix`` reports what is left.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import tempfile
from collections import Counter
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from linter.project.files import find_project_root
from linter.run.checker import Violation, unmodelled_runtime
from linter.run.engine import DEFAULT_EXCLUDES, open_project
from linter.source.facts import ParseFailure
from linter.source.parse import decode_source
from linter.tools.fixplan import UNSAFE, UNSAFE_CODES, Edit, Planner


@dataclass
class FileFix:
    path: str
    #: unified diff of the change (``a/`` and ``b/`` paths relative to the working directory)
    diff: str
    fixed: List[Violation]
    written: bool


@dataclass
class FixResult:
    files: List[FileFix] = field(default_factory=list)
    #: violations a fix was applied for (or, with ``write=False``, would be)
    fixed: List[Violation] = field(default_factory=list)
    #: violations left alone, with the reason
    skipped: List[Tuple[Violation, str]] = field(default_factory=list)
    #: files not written, with the reason (does not parse, changed on disk, cannot write)
    refused: List[Tuple[str, str]] = field(default_factory=list)
    #: violations that have an unsafe fix, not applied because ``unsafe`` was False
    needs_unsafe: List[Violation] = field(default_factory=list)
    #: of ``skipped``, the fixes one would expect and that were not made: an unsafe fix
    #: refused with ``unsafe`` on, a fix the re-check rejected
    declined: List[Tuple[Violation, str]] = field(default_factory=list)

    def decline(self, violation: Violation, reason: str) -> None:
        self.skipped.append((violation, reason))
        self.declined.append((violation, reason))

    @property
    def diff(self) -> str:
        return "".join(item.diff for item in self.files)


def fix_files(
    paths: Sequence[Path],
    violations: Iterable[Violation],
    *,
    unsafe: bool,
    write: bool,
    excludes: Sequence[str] = DEFAULT_EXCLUDES,
    steamship_path: Optional[Path] = None,
    enabled: Optional[Iterable[str]] = None,
    steamship_version: Optional[str] = None,
) -> FixResult:
    """Fix the ``violations`` that lie in ``paths`` (files, or directories holding them).

    Before anything is written, the project is checked with the fixed texts in place, with the
    ``enabled`` rules (default: the rules on by default): a fix that would leave its finding or
    add one is not made (see :func:`_verify`)."""
    from rules import default_codes

    codes = tuple(sorted(set(enabled) if enabled is not None else default_codes()))
    result = FixResult()
    scope = [os.path.abspath(p) for p in paths]
    chosen = [v for v in violations if _within(os.path.abspath(v.path), scope)]
    by_root: Dict[Path, List[Violation]] = {}
    for violation in chosen:
        by_root.setdefault(find_project_root(Path(os.path.abspath(violation.path))), []).append(
            violation
        )
    for root, group in sorted(by_root.items()):
        _fix_project(root, group, result, unsafe, write, excludes, (steamship_path, steamship_version), codes)
    return result


def _within(path: str, scope: List[str]) -> bool:
    return any(path == item or path.startswith(item.rstrip(os.sep) + os.sep) for item in scope)


def _fix_project(
    root: Path,
    violations: List[Violation],
    result: FixResult,
    unsafe: bool,
    write: bool,
    excludes: Sequence[str],
    steamship: Tuple[Optional[Path], Optional[str]],
    enabled: Tuple[str, ...],
) -> None:
    # Read every file once, up front: the plan, the edit and the write all rest on these bytes.
    originals: Dict[Path, bytes] = {}
    texts: Dict[Path, str] = {}
    for path in sorted({Path(os.path.abspath(v.path)) for v in violations}):
        try:
            data = path.read_bytes()
            texts[path] = decode_source(data)
        except Exception as error:  # unreadable or undecodable: refuse the file
            result.refused.append((str(path), f"cannot read it: {error}"))
            continue
        originals[path] = data
    planner = _planner(root, list(originals), texts, excludes, steamship)
    for path in list(originals):
        loaded = planner.project.load_path(path)
        if isinstance(loaded, ParseFailure):
            result.refused.append((str(path), f"does not parse ({loaded.message})"))
            del originals[path]
    edits: Dict[Path, List[Tuple[Edit, Violation]]] = {}
    for violation in violations:
        path = Path(os.path.abspath(violation.path))
        if path not in originals:
            continue
        plan = planner.plan(violation, unsafe)
        if plan is UNSAFE:
            result.needs_unsafe.append(violation)
            result.skipped.append((violation, "unsafe fix: pass --unsafe-fixes to apply it"))
        elif isinstance(plan, str) and unsafe and violation.code in UNSAFE_CODES:
            result.decline(violation, plan)
        elif isinstance(plan, str):
            result.skipped.append((violation, plan))
        elif any((e.line, e.column) == (plan.line, plan.column) for e, _ in edits.get(path, ())):
            result.skipped.append((violation, "another fix edits the same place"))
        else:
            edits.setdefault(path, []).append((plan, violation))
    changes: Dict[Path, _Change] = {}
    for path, planned in sorted(edits.items()):
        link = _link_refusal(path)
        if link is not None:  # said only when there is something to fix in it
            result.refused.append((str(path), link))
            continue
        change = _apply(path, originals[path], planned, result)
        if change is not None:
            changes[path] = change
    if changes:
        checker = _Checker(root, texts, enabled, excludes, steamship)
        _verify(checker, changes, result)
    for path, change in sorted(changes.items()):
        _write(path, change, result, write)


def _planner(
    root: Path,
    files: List[Path],
    texts: Dict[Path, str],
    excludes: Sequence[str],
    steamship: Tuple[Optional[Path], Optional[str]],
) -> Planner:
    from linter.project.scope import in_scope, project_files
    from linter.semantic.context import Context
    from linter.source.facts import ModuleFacts

    project = open_project([root], steamship[0], overrides=texts, steamship_version=steamship[1])
    candidates = project_files(project, excludes)
    candidates.extend(path for path in files if path not in candidates)
    chosen = in_scope(project, candidates)
    chosen.extend(path for path in files if path not in chosen)
    modules = [m for m in map(project.load_path, chosen) if isinstance(m, ModuleFacts)]
    exact = unmodelled_runtime(project) is None
    return Planner(Context(project, modules, sdk_exact=exact))


@dataclass
class _Change:
    """A file's fixes, made in memory."""

    original: bytes
    #: the edits that applied, with the violation each fixes
    applied: List[Tuple[Edit, Violation]]
    updated: bytes


def _apply(
    path: Path, original: bytes, planned: List[Tuple[Edit, Violation]], result: FixResult
) -> Optional[_Change]:
    """The file with the planned edits made (None when it does not parse or nothing changed)."""
    from linter.source.parse import SyntaxProblem

    try:
        updated, applied = apply_edits(original, [edit for edit, _ in planned])
    except SyntaxProblem as problem:
        result.refused.append((str(path), f"does not parse ({problem.message})"))
        return None
    for edit, violation in planned:
        if edit not in applied:
            result.skipped.append(
                (violation, "the code at that place is no longer what was checked")
            )
    if updated == original:
        return None
    return _Change(original, [(e, v) for e, v in planned if e in applied], updated)


#: what a finding is compared by before and after a fix: path, code, line (before the fix)
_Key = Tuple[str, str, Optional[int]]


class _Checker:
    """Checks the project with some files' texts replaced, and says what a set of changes
    would add to the findings, or leave of those they fix."""

    def __init__(
        self,
        root: Path,
        texts: Dict[Path, str],
        enabled: Tuple[str, ...],
        excludes: Sequence[str],
        steamship: Tuple[Optional[Path], Optional[str]],
    ) -> None:
        self.root = root
        self.texts = texts
        self.enabled = enabled
        self.excludes = excludes
        #: the steamship path and release asked for
        self.steamship = steamship
        # the findings of the texts the fixes were planned on (the files as read)
        self.before = Counter(self._key(v, None) for v in self._findings({}))

    def _findings(self, replaced: Dict[Path, str]) -> List[Violation]:
        from linter.run.engine import check

        overrides = dict(self.texts)
        overrides.update(replaced)
        # the files being fixed are named too: one in an excluded directory is still compared
        report = check(
            [self.root, *self.texts],
            self.enabled,
            excludes=self.excludes,
            steamship_path=self.steamship[0],
            steamship_version=self.steamship[1],
            overrides=overrides,
        )
        return report.violations

    @staticmethod
    def _key(violation: Violation, lines: Optional[Dict[int, int]]) -> _Key:
        line: Optional[int] = violation.line
        if lines is not None:
            line = lines.get(violation.line)
        return (os.path.abspath(violation.path), violation.code, line)

    def problems(self, changes: Dict[Path, "_Change"]) -> List[str]:
        """What is wrong with making ``changes``: findings they add, findings they were made
        for and leave. Lines are compared as they were before the changes."""
        replaced = {path: decode_source(change.updated) for path, change in changes.items()}
        maps = {
            os.path.abspath(path): _line_map(self.texts[path], text)
            for path, text in replaced.items()
        }
        after: Counter = Counter()
        shown: Dict[_Key, Violation] = {}
        for violation in self._findings(replaced):
            key = self._key(violation, maps.get(os.path.abspath(violation.path)))
            after[key] += 1
            shown.setdefault(key, violation)
        problems = []
        for key in sorted(after - self.before, key=str):
            violation = shown[key]
            problems.append(
                f"it would add {violation.code} at line {violation.line} of "
                f"{os.path.basename(violation.path)}: {violation.message}"
            )
        fixed = Counter(self._key(v, None) for c in changes.values() for _, v in c.applied)
        for key in sorted(fixed, key=str):
            # (a code the check does not run cannot be seen either way: max)
            if after[key] > max(self.before[key] - fixed[key], 0):
                problems.append(f"the {key[1]} at line {key[2]} would still be reported")
        return problems


def _line_map(before: str, after: str) -> Dict[int, int]:
    """Line numbers of ``after`` → the line of ``before`` they come from (1-based): lines kept,
    and lines rewritten one for one; inserted lines are absent."""
    import difflib

    old, new = before.splitlines(), after.splitlines()
    lines: Dict[int, int] = {}
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
            for offset in range(j2 - j1):
                lines[j1 + offset + 1] = i1 + offset + 1
    return lines


def _verify(checker: _Checker, changes: Dict[Path, _Change], result: FixResult) -> None:
    """Keep only the fixes the re-check accepts. When all of them together add a finding (or
    leave one they were made for), each is tried alone and the guilty ones are dropped; if the
    rest still fail together, none is made."""
    if not checker.problems(changes):
        return
    for path, change in list(changes.items()):
        for edit, violation in list(change.applied):
            alone = _remake(path, change, [(edit, violation)])
            problems = checker.problems({path: alone}) if alone is not None else []
            if problems:
                result.decline(violation, problems[0])
                change.applied.remove((edit, violation))
        remade = _remake(path, change, change.applied)
        if remade is None:
            del changes[path]
        else:
            changes[path] = remade
    left = checker.problems(changes) if changes else []
    if left:
        for change in changes.values():
            for _, violation in change.applied:
                result.decline(violation, f"together with the other fixes, {left[0]}")
        changes.clear()


def _remake(
    path: Path, change: _Change, edits: List[Tuple[Edit, Violation]]
) -> Optional[_Change]:
    """``change`` with only ``edits`` made (None when that changes nothing)."""
    if not edits:
        return None
    updated, applied = apply_edits(change.original, [edit for edit, _ in edits])
    if updated == change.original:
        return None
    return _Change(change.original, [(e, v) for e, v in edits if e in applied], updated)


def _write(path: Path, change: _Change, result: FixResult, write: bool) -> None:
    fixed = [violation for _, violation in change.applied]
    diff = unified_diff(path, change.original, change.updated)
    written = False
    if write:
        refusal = commit(path, change.original, change.updated)
        if refusal is not None:
            result.refused.append((str(path), refusal))
            return
        written = True
    result.files.append(FileFix(str(path), diff, fixed, written))
    result.fixed.extend(fixed)


def apply_edits(source: bytes, edits: Sequence[Edit]) -> Tuple[bytes, List[Edit]]:
    """``source`` with ``edits`` applied, and the edits that applied. Raises
    :class:`~linter.source.parse.SyntaxProblem` when it does not parse."""
    import libcst as cst
    from libcst.metadata import MetadataWrapper

    from linter.source.parse import SyntaxProblem

    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        raise SyntaxProblem(
            f"line {error.raw_line}: {str(error).strip().splitlines()[0]}"
        ) from None
    except (RecursionError, UnicodeDecodeError, SyntaxError) as error:
        raise SyntaxProblem(str(error) or type(error).__name__) from None
    rewrite = _rewriter(edits)
    updated = MetadataWrapper(module, unsafe_skip_copy=True).visit(rewrite)
    imports = sorted({edit.needs_import for edit in rewrite.applied if edit.needs_import})
    if imports:
        from libcst.codemod import CodemodContext
        from libcst.codemod.visitors import AddImportsVisitor, ImportItem

        items = [ImportItem(module_name, name) for module_name, name in imports]
        updated = AddImportsVisitor(CodemodContext(), items).transform_module(updated)
    return updated.bytes, list(rewrite.applied)


def _rewriter(edits: Sequence[Edit]) -> Any:
    """A LibCST transformer replacing the string literals the edits name, each only while it
    still holds the value the edit expects; ``.applied`` lists the edits made."""
    import libcst as cst
    from libcst.metadata import PositionProvider

    class Rewrite(cst.CSTTransformer):
        METADATA_DEPENDENCIES = (PositionProvider,)

        def __init__(self) -> None:
            super().__init__()
            self.edits = {(edit.line, edit.column): edit for edit in edits}
            self.applied: List[Edit] = []

        def leave_SimpleString(
            self, original_node: cst.SimpleString, updated_node: cst.SimpleString
        ) -> cst.BaseExpression:
            where = self.get_metadata(PositionProvider, original_node).start
            edit = self.edits.pop((where.line, where.column + 1), None)
            if edit is None:
                return updated_node
            try:
                current = original_node.evaluated_value
            except Exception:  # an escape LibCST cannot evaluate: leave it
                return updated_node
            if current != edit.old:
                return updated_node
            if edit.expression is not None:
                replacement = cst.parse_expression(edit.expression)
                self.applied.append(edit)
                return replacement.with_changes(lpar=updated_node.lpar, rpar=updated_node.rpar)
            assert edit.new is not None
            literal = string_literal(edit.new, updated_node.prefix, updated_node.quote)
            if literal is None:
                return updated_node
            self.applied.append(edit)
            return updated_node.with_changes(value=literal)

    return Rewrite()


def string_literal(value: str, prefix: str, quote: str) -> Optional[str]:
    """``value`` spelled as a literal with ``prefix`` and ``quote``; None for prefixes whose
    spelling this does not handle (raw, bytes, f-strings)."""
    if prefix.lower() not in ("", "u"):
        return None
    escapes = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", quote[0]: "\\" + quote[0]}
    body = []
    for char in value:
        if char in escapes:
            body.append(escapes[char])
        elif not char.isprintable():
            body.append(char.encode("unicode_escape").decode("ascii"))
        else:
            body.append(char)
    return f"{prefix}{quote}{''.join(body)}{quote}"


def unified_diff(path: Path, before: bytes, after: bytes) -> str:
    shown = str(path)
    with suppress(ValueError):  # another drive (Windows)
        relative = os.path.relpath(path)
        if not relative.startswith(os.pardir):
            shown = relative
    shown = shown.replace(os.sep, "/").lstrip("/")
    old = decode_source(before).splitlines(keepends=True)
    new = decode_source(after).splitlines(keepends=True)
    return "".join(difflib.unified_diff(old, new, f"a/{shown}", f"b/{shown}"))


def _link_refusal(path: Path) -> Optional[str]:
    """Why ``path`` is not written when it is a symbolic link. Replacing the link would turn it
    into a copy and leave its target unfixed; writing the target would follow a link, which
    pkgcheck never does (docs/SECURITY.md): the target may lie outside the project."""
    if not os.path.islink(path):
        return None
    try:
        target = os.readlink(path)
    except OSError:
        target = "?"
    return (
        f"it is a symbolic link to {target}; pkgcheck does not write through links: "
        "fix the file it points to"
    )


def commit(path: Path, original: bytes, updated: bytes) -> Optional[str]:
    """Replace ``path`` by ``updated`` unless it no longer holds ``original`` or is a symbolic
    link; the reason when it was not written."""
    link = _link_refusal(path)
    if link is not None:
        return link
    expected = hashlib.sha256(original).hexdigest()
    try:
        current = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as error:
        return f"cannot read it again: {error.strerror or error}"
    if current != expected:
        return "it changed on disk since pkgcheck read it; run pkgcheck again"
    try:
        descriptor, temporary = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=".pkgcheck-fix", dir=path.parent
        )
    except OSError as error:
        return f"cannot write beside it: {error.strerror or error}"
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(updated)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, path.stat().st_mode & 0o7777)
        # The last look before the swap: the window left is the rename itself.
        link = _link_refusal(path)
        if link is not None or hashlib.sha256(path.read_bytes()).hexdigest() != expected:
            os.unlink(temporary)
            return link or "it changed on disk since pkgcheck read it; run pkgcheck again"
        os.replace(temporary, path)
    except OSError as error:
        with suppress(OSError):
            os.unlink(temporary)
        return f"cannot write it: {error.strerror or error}"
    return None
