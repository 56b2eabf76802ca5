"""``pkgcheck lsp``: the language server (pygls over stdio).

Diagnostics are pkgcheck's findings for every open file, the unsaved buffers in place of the
files (:mod:`linter.frontends.lsp.analysis`); navigation, completion, hover and rename follow
the route model of the last analysis whose buffers all parsed. Every handler is guarded: an
exception is logged to the client (``window/logMessage``) and the server goes on.
"""

from __future__ import annotations

import asyncio
import functools
import io
import os
import re
import sys
import threading
import time
import tokenize
import traceback
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Set, Tuple, TypeVar
from urllib.parse import unquote, urlparse

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path

from linter import __version__
from linter.frontends.lsp.analysis import (
    Analyser,
    CallSite,
    FileFindings,
    Model,
    Place,
    RouteSite,
    build_model,
    describe_route,
    noqa_edit,
    signature,
    string_content,
)
from linter.frontends.lsp.columns import Columns, lines_with_ends
from linter.frontends.reporters import rule_url
from linter.run.checker import PARSE_ERROR, Violation

#: seconds of quiet a burst of didChange waits for before the buffers are analysed
DEBOUNCE = float(os.environ.get("PKGCHECK_LSP_DEBOUNCE", "0.05"))
#: a handler named here raises (the tests' way to check that a crash is survived)
FAULT = os.environ.get("PKGCHECK_LSP_FAULT", "")

F = TypeVar("F", bound=Callable[..., Any])


def path_of(uri: str) -> Optional[Path]:
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    return Path(os.path.abspath(unquote(parsed.path)))


def uri_of(path: Path) -> str:
    return from_fs_path(str(path)) or path.as_uri()


class PkgcheckServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("pkgcheck", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.analyser = Analyser()
        self.findings: Dict[Path, FileFindings] = {}
        self.published: Dict[Path, List[types.Diagnostic]] = {}
        self.models: Dict[Path, Model] = {}  # project root -> last good model
        self.model_stale = True
        self.last_good: Dict[Path, str] = {}
        self.lock = threading.Lock()
        self.pending: Optional[asyncio.Task] = None  # type: ignore[type-arg]
        self.shut_down = False
        #: when the last didChange came (time.monotonic())
        self.last_change = 0.0
        #: the buffers opened, edited or saved since the last analysis
        self.touched: Set[Path] = set()

    def touch(self, uri: str) -> None:
        path = path_of(uri)
        if path is not None:
            self.touched.add(path)

    # -- buffers -------------------------------------------------------------------------
    def buffers(self) -> Dict[Path, str]:
        result = {}
        for uri, document in list(self.workspace.text_documents.items()):
            path = path_of(uri)
            if path is not None:
                result[path] = document.source
        return result

    def columns(self, path: Path, text: Optional[str] = None) -> Columns:
        """The columns of ``path``: ``text``, else its buffer, else the file on disk."""
        if text is None:
            text = self.buffers().get(path)
        if text is None:
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                text = None
        return Columns(text, self.workspace.position_codec)

    def place_range(self, place: Place) -> types.Range:
        span = place.span
        return self.columns(place.path).range(span.line, span.column, span.end_line, span.end_column)

    def location(self, place: Place) -> types.Location:
        return types.Location(uri=uri_of(place.path), range=self.place_range(place))

    def log(self, message: str, kind: types.MessageType = types.MessageType.Error) -> None:
        try:
            self.window_log_message(types.LogMessageParams(type=kind, message=message))
        except Exception:  # the client is gone: nothing more to tell
            pass

    # -- diagnostics ---------------------------------------------------------------------
    def analyse(self) -> None:
        """Check the open buffers and publish every open file's diagnostics that changed."""
        with self.lock:
            buffers = self.buffers()
            found = self.analyser.findings(buffers)
            self.findings = found
            for path, text in buffers.items():
                file = found.get(path)
                if file is not None and not any(v.code == PARSE_ERROR for v in file.violations):
                    if self.last_good.get(path) != text:
                        self.last_good[path] = text
                        self.model_stale = True
            touched, self.touched = self.touched, set()
            # A buffer closed while the analysis ran gets nothing: didClose cleared its
            # diagnostics, and what was found with its text must not reappear in the editor.
            still_open = set(self.buffers())
            for path in buffers:
                if path not in still_open:
                    continue
                file = found.get(path)
                columns = self.columns(path, buffers[path])
                diagnostics = [self.diagnostic(v, columns) for v in file.violations] if file else []
                # an edited buffer always gets its diagnostics (the client waits for them);
                # another open file only when the edit changed its findings
                if path in touched or self.published.get(path) != diagnostics:
                    self.published[path] = diagnostics
                    self.text_document_publish_diagnostics(
                        types.PublishDiagnosticsParams(uri=uri_of(path), diagnostics=diagnostics)
                    )
            # A buffer closed just after the check above may have had its stale diagnostics sent
            # after didClose's empty ones: every analysis clears what a closed file still shows
            # (didClose schedules one, so one always runs after the close).
            for path in [p for p in self.published if p not in still_open]:
                del self.published[path]
                self.text_document_publish_diagnostics(
                    types.PublishDiagnosticsParams(uri=uri_of(path), diagnostics=[])
                )

    def diagnostic(self, violation: Violation, columns: Columns) -> types.Diagnostic:
        """The finding as an LSP diagnostic; ``columns`` are those of the text it was found in."""
        info = self.analyser.infos.get(violation.code)
        severity = types.DiagnosticSeverity.Error
        if info is not None and getattr(info, "severity", "error") == "warning":
            severity = types.DiagnosticSeverity.Warning
        related = [
            types.DiagnosticRelatedInformation(
                location=types.Location(
                    uri=uri_of(Path(os.path.abspath(path))),
                    range=types.Range(
                        start=types.Position(line=max(line - 1, 0), character=0),
                        end=types.Position(line=max(line - 1, 0), character=0),
                    ),
                ),
                message=label,
            )
            for path, line, label in violation.related
        ]
        return types.Diagnostic(
            range=columns.range(violation.line, violation.column, violation.end_line, violation.end_column),
            message=violation.message,
            severity=severity,
            code=violation.code,
            code_description=types.CodeDescription(href=rule_url(violation.code)),
            source="pkgcheck",
            related_information=related or None,
        )

    async def schedule(self, delay: float) -> None:
        """Analyse after ``delay`` unless another change comes first (debounce)."""
        if self.pending is not None and not self.pending.done():
            self.pending.cancel()

        async def later() -> None:
            await asyncio.sleep(delay)
            try:
                await asyncio.get_running_loop().run_in_executor(None, self.analyse)
            except Exception:
                self.log(f"pkgcheck: analysis failed:\n{traceback.format_exc()}")

        self.pending = asyncio.ensure_future(later())

    # -- the model -----------------------------------------------------------------------
    def model_for(self, path: Path) -> Optional[Model]:
        """The route model of the project holding ``path``, from the last buffers that parsed."""
        with self.lock:
            if self.model_stale:
                self.models = {}
                self.model_stale = False
            runs = self.analyser.runs([path])
            if not runs:
                return None
            root = runs[0].group.root
            if root not in self.models:
                overrides = {p: t for p, t in self.last_good.items()}
                self.models[root] = build_model(runs[0], overrides, self.analyser.cache_for(root, runs[0].options))
            return self.models[root]


server = PkgcheckServer()


def guarded(name: str) -> Callable[[F], F]:
    """Catch, log and swallow what a handler raises (a JSON-RPC error, which is an answer to
    the client, passes: pygls sends it as the request's error response)."""

    def wrap(handler: F) -> F:
        if asyncio.iscoroutinefunction(handler):

            @functools.wraps(handler)
            async def run_async(*args: Any) -> Any:
                try:
                    if FAULT == name:
                        raise RuntimeError(f"fault injected into {name}")
                    return await handler(*args)
                except JsonRpcException:
                    raise  # a refusal meant for the client: pygls sends it as an error response
                except Exception:
                    server.log(f"pkgcheck: {name} failed:\n{traceback.format_exc()}")
                    return None

            return run_async  # type: ignore[return-value]

        @functools.wraps(handler)
        def run(*args: Any) -> Any:
            try:
                if FAULT == name:
                    raise RuntimeError(f"fault injected into {name}")
                return handler(*args)
            except JsonRpcException:
                raise  # a refusal meant for the client: pygls sends it as an error response
            except Exception:
                server.log(f"pkgcheck: {name} failed:\n{traceback.format_exc()}")
                return None

        return run  # type: ignore[return-value]

    return wrap


def _position(ls: PkgcheckServer, params: Any) -> Tuple[Optional[Path], int, int]:
    """(path, 1-based line, 1-based column in characters) of a text document position."""
    path = path_of(params.text_document.uri)
    if path is None:
        return None, params.position.line + 1, params.position.character + 1
    line, column = ls.columns(path).from_client(params.position)
    return path, line, column


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
@guarded("didOpen")
async def did_open(ls: PkgcheckServer, params: types.DidOpenTextDocumentParams) -> None:
    ls.touch(params.text_document.uri)
    await ls.schedule(0)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
@guarded("didChange")
async def did_change(ls: PkgcheckServer, params: types.DidChangeTextDocumentParams) -> None:
    ls.touch(params.text_document.uri)
    # The first change after a pause is analysed at once; changes that follow it closely (typing)
    # wait until DEBOUNCE seconds pass without one, and are analysed together.
    now = time.monotonic()
    quiet = now - ls.last_change >= DEBOUNCE
    ls.last_change = now
    await ls.schedule(0 if quiet else DEBOUNCE)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
@guarded("didSave")
async def did_save(ls: PkgcheckServer, params: types.DidSaveTextDocumentParams) -> None:
    ls.touch(params.text_document.uri)
    await ls.schedule(0)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
@guarded("didClose")
async def did_close(ls: PkgcheckServer, params: types.DidCloseTextDocumentParams) -> None:
    # Cleared at once; ``published`` is left to the analysis scheduled here, which (under the
    # lock, after any analysis still running with the buffer) clears it again if need be.
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[]))
    await ls.schedule(0)


@server.feature(types.SHUTDOWN)
def shutdown(ls: PkgcheckServer, params: None) -> None:
    ls.shut_down = True
    if ls.pending is not None:
        ls.pending.cancel()


@server.feature(types.EXIT)
def exit_now(ls: PkgcheckServer, params: None) -> None:
    """Leave at once: nothing is left to write (every cache entry is written whole when made),
    and tearing down an interpreter that holds a project's analysis can take a second."""
    try:
        sys.stdout.flush()
    finally:
        os._exit(0 if ls.shut_down else 1)


# -- navigation ------------------------------------------------------------------------------


@server.feature(types.TEXT_DOCUMENT_DEFINITION)
@guarded("definition")
def definition(ls: PkgcheckServer, params: types.DefinitionParams) -> Optional[List[types.Location]]:
    path, line, column = _position(ls, params)
    if path is None:
        return None
    model = ls.model_for(path)
    if model is None:
        return None
    call = model.call_at(path, line, column)
    if call is not None:
        return [ls.location(t.def_name) for t in call.targets if t.def_name is not None] or None
    mixin = model.mixin_at(path, line, column)
    if mixin is not None and mixin.target is not None:
        return [ls.location(mixin.target)]
    return None


@server.feature(types.TEXT_DOCUMENT_REFERENCES)
@guarded("references")
def references(ls: PkgcheckServer, params: types.ReferenceParams) -> Optional[List[types.Location]]:
    path, line, column = _position(ls, params)
    if path is None:
        return None
    model = ls.model_for(path)
    site = model.route_at(path, line, column) if model else None
    if model is None or site is None:
        return None
    found = [ls.location(c.method_string) for c in model.callers(site) if c.method_string is not None]
    if params.context.include_declaration and site.path_string is not None:
        found.insert(0, ls.location(site.path_string))
    return found


@server.feature(types.TEXT_DOCUMENT_HOVER)
@guarded("hover")
def hover(ls: PkgcheckServer, params: types.HoverParams) -> Optional[types.Hover]:
    path, line, column = _position(ls, params)
    if path is None:
        return None
    model = ls.model_for(path)
    if model is None:
        return None
    site = model.route_at(path, line, column)
    sites: List[RouteSite] = [site] if site is not None else []
    if site is None:
        call = model.call_at(path, line, column)
        if call is not None:
            sites = call.targets
            if not sites:
                text = f"No route {call.verb or '?'} {call.path or '?'} on the receiving package."
                return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text))
    if not sites:
        return None
    text = "\n\n---\n\n".join(describe_route(s) for s in sites)
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text))


_CALL_OPEN = re.compile(r"invoke_later\(\s*(?:method\s*=\s*)?(?P<quote>['\"])(?P<typed>[^'\"\n]*)$")
_ARGUMENTS_OPEN = re.compile(
    r"invoke_later\(\s*(?:method\s*=\s*)?['\"](?P<route>[^'\"\n]*)['\"][^()]*?arguments\s*=\s*\{(?P<inside>[^{}]*)$",
    re.S,
)


@server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=['"', "'", "/"]))
@guarded("completion")
def completion(ls: PkgcheckServer, params: types.CompletionParams) -> Optional[types.CompletionList]:
    path = path_of(params.text_document.uri)
    if path is None:
        return None
    text = ls.buffers().get(path)
    if text is None:  # closed (perhaps deleted) since the request was sent: nothing is typed there
        return None
    columns = ls.columns(path, text)
    line, column = columns.from_client(params.position)
    row, character = line - 1, column - 1
    before_line = columns.line(row)[:character]
    before = "\n".join(columns.lines[max(0, row - 10):row] + [before_line])
    model = ls.model_for(path)
    if model is None:
        return None
    routes = model.receivers_at(path, row + 1)
    items: List[types.CompletionItem] = []
    opened = _CALL_OPEN.search(before_line)
    if opened is not None:
        start = columns.to_client(line, column - len(opened.group("typed")))
        replace = types.Range(start=start, end=columns.to_client(line, column))
        for site in routes:
            route = site.route
            label = route.raw_path if route.raw_path else route.path
            items.append(
                types.CompletionItem(
                    label=label,
                    kind=types.CompletionItemKind.Method,
                    detail=signature(route),
                    documentation=route.doc or None,
                    text_edit=types.TextEdit(range=replace, new_text=label),
                    filter_text=label,
                )
            )
        return types.CompletionList(is_incomplete=False, items=items)
    inside = None
    for inside in _ARGUMENTS_OPEN.finditer(before):
        pass
    if inside is not None:
        wanted = "/" + inside.group("route").lstrip("/") if inside.group("route") else "/"
        for site in routes:
            if site.route.path == wanted:
                for arg in site.route.args:
                    items.append(
                        types.CompletionItem(
                            label=arg.name,
                            kind=types.CompletionItemKind.Field,
                            detail=arg.kind,
                            insert_text=f'"{arg.name}": ',
                        )
                    )
        return types.CompletionList(is_incomplete=False, items=items)
    return None


# -- rename ----------------------------------------------------------------------------------


def _string_range(ls: PkgcheckServer, place: Place) -> Optional[types.Range]:
    """The range of the characters between the quotes of the string literal at ``place``."""
    text = ls.buffers().get(place.path)
    if text is None:
        try:
            text = place.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
    columns = ls.columns(place.path, text)
    span = place.span
    if span.line != span.end_line or span.line > len(columns.lines):
        return None
    source = columns.line(span.line - 1)[span.column - 1:span.end_column - 1]
    inner = string_content(source)
    if inner is None:
        return None
    return columns.range(span.line, span.column + inner[0], span.line, span.column + inner[1])


def _rename_target(ls: PkgcheckServer, params: Any) -> Tuple[Optional[Model], Optional[RouteSite], Optional[Place]]:
    path, line, column = _position(ls, params)
    if path is None:
        return None, None, None
    model = ls.model_for(path)
    if model is None:
        return None, None, None
    site = model.route_at(path, line, column)
    if site is not None and site.path_string is not None and (
        site.def_name is None or not _inside(site.def_name, path, line, column)
    ):
        return model, site, site.path_string
    call: Optional[CallSite] = model.call_at(path, line, column)
    if call is not None and call.method_string is not None and len(call.targets) == 1:
        if _inside(call.method_string, path, line, column):
            return model, call.targets[0], call.method_string
    return model, None, None


def _inside(place: Place, path: Path, line: int, column: int) -> bool:
    from linter.frontends.lsp.analysis import contains

    return contains(place, path, line, column)


@server.feature(types.TEXT_DOCUMENT_PREPARE_RENAME)
@guarded("prepareRename")
def prepare_rename(ls: PkgcheckServer, params: types.PrepareRenameParams) -> Optional[types.Range]:
    _, site, place = _rename_target(ls, params)
    if site is None or place is None:
        return None
    return _string_range(ls, place)


@server.feature(types.TEXT_DOCUMENT_RENAME)
@guarded("rename")
def rename(ls: PkgcheckServer, params: types.RenameParams) -> Optional[types.WorkspaceEdit]:
    model, site, place = _rename_target(ls, params)
    if model is None or site is None or site.path_string is None:
        return None
    new = params.new_name
    if not new or any(ch in new for ch in "'\"\\\n\r"):
        raise JsonRpcInvalidParams(message=f"not a route path: {new!r}")
    changes: Dict[str, List[types.TextEdit]] = {}
    places = [site.path_string] + [c.method_string for c in model.callers(site) if c.method_string]
    for item in places:
        found = _string_range(ls, item)
        if found is None:
            continue
        edits = changes.setdefault(uri_of(item.path), [])
        if all(e.range != found for e in edits):
            edits.append(types.TextEdit(range=found, new_text=new))
    return types.WorkspaceEdit(changes=changes)


# -- code actions ----------------------------------------------------------------------------


def _literal_at(text: str, line: int, column: int, columns: Columns) -> Optional[Tuple[str, types.Range]]:
    """The string token starting at 1-based (line, column), with its range."""
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.STRING and token.start == (line, column - 1):
                return token.string, columns.range(
                    token.start[0], token.start[1] + 1, token.end[0], token.end[1] + 1
                )
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None
    return None


def _fix_edits(
    ls: PkgcheckServer, file: FileFindings, text: str
) -> Dict[Violation, Tuple[str, List[types.TextEdit]]]:
    """The fixes ``--fix`` (and, for SHP401, ``--unsafe-fixes``) would make, as text edits."""
    from linter.tools.fix import _planner, string_literal
    from linter.tools.fixplan import Edit

    if file.options is None or file.root is None or not file.violations:
        return {}
    options = file.options
    buffers = ls.buffers()
    planner = _planner(
        file.root, [file.path], buffers, options.excludes, (options.steamship_path, options.steamship_version)
    )
    result = {}
    for violation in file.violations:
        plan = planner.plan(violation, violation.code == "SHP401")
        if not isinstance(plan, Edit):
            continue
        found = _literal_at(text, plan.line, plan.column, ls.columns(file.path, text))
        if found is None:
            continue
        literal, where = found
        if plan.needs_import is not None:
            # --fix adds the import too: take its whole rewrite of the buffer, as line edits
            edits = _rewrite_edits(text, plan)
            if edits:
                title = f"Replace {literal} with {plan.expression} ({violation.code})"
                result[violation] = (title, edits)
            continue
        if plan.new is not None:
            start = re.match(r"[rRuUbB]*", literal)
            prefix = start.group(0) if start else ""
            rest = literal[len(prefix):]
            quote = rest[:3] if rest[:3] in ('"""', "'''") else rest[:1]
            new_text = string_literal(plan.new, prefix, quote)
            if new_text is None:
                continue
            title = f"Replace {literal} with {new_text} ({violation.code})"
        else:
            new_text = plan.expression or ""
            title = f"Replace {literal} with {new_text} ({violation.code})"
        result[violation] = (title, [types.TextEdit(range=where, new_text=new_text)])
    return result


def _rewrite_edits(text: str, plan: Any) -> List[types.TextEdit]:
    """The line edits that turn ``text`` into what ``--fix`` makes of it with ``plan``."""
    import difflib

    from linter.source.parse import SyntaxProblem
    from linter.tools.fix import apply_edits

    try:
        updated, applied = apply_edits(text.encode("utf-8"), [plan])
    except SyntaxProblem:
        return []
    if not applied:
        return []
    old, new = lines_with_ends(text), lines_with_ends(updated.decode("utf-8"))
    edits = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag != "equal":
            edits.append(
                types.TextEdit(
                    range=types.Range(
                        start=types.Position(line=i1, character=0), end=types.Position(line=i2, character=0)
                    ),
                    new_text="".join(new[j1:j2]),
                )
            )
    return edits


@server.feature(
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]),
)
@guarded("codeAction")
def code_action(ls: PkgcheckServer, params: types.CodeActionParams) -> Optional[List[types.CodeAction]]:
    path = path_of(params.text_document.uri)
    file = ls.findings.get(path) if path else None
    if path is None or file is None:
        return None
    text = ls.buffers().get(path, "")
    columns = ls.columns(path, text)
    wanted_lines = range(params.range.start.line + 1, params.range.end.line + 2)
    chosen = [v for v in file.violations if v.line in wanted_lines]
    if not chosen:
        return []
    with ls.lock:  # the fix planner parses: never beside an analysis (CPython 3.11's parser is not thread-safe)
        fixes = _fix_edits(ls, FileFindings(path, chosen, file.options, file.root), text)
    uri = params.text_document.uri
    actions: List[types.CodeAction] = []
    for violation in chosen:
        diagnostic = ls.diagnostic(violation, columns)
        if violation in fixes:
            title, edits = fixes[violation]
            actions.append(
                types.CodeAction(
                    title=title,
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[diagnostic],
                    edit=types.WorkspaceEdit(changes={uri: edits}),
                    is_preferred=violation.code != "SHP401",
                )
            )
        if violation.code == PARSE_ERROR or violation.line > len(columns.lines):
            continue
        line_text = columns.line(violation.line - 1)
        noqa = noqa_edit(line_text, violation.code)
        if noqa is None:
            continue
        start, end, new = noqa
        actions.append(
            types.CodeAction(
                title=f"Suppress {violation.code} with # noqa: {violation.code}",
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[diagnostic],
                edit=types.WorkspaceEdit(
                    changes={
                        uri: [
                            types.TextEdit(
                                range=columns.range(violation.line, start + 1, violation.line, end + 1),
                                new_text=new,
                            )
                        ]
                    }
                ),
            )
        )
    return actions


def serve() -> None:
    from linter.run import workers

    # The engine forks worker processes to parse a cold project; forking this process, whose
    # other threads (the event loop, the executor) may hold locks, can leave a child hung for
    # ever. The server analyses in this process alone, as a process of the engine's project
    # pool does (after the first analysis, an edit re-parses one buffer anyway).
    workers.IN_PROJECT_POOL = True
    server.start_io()
