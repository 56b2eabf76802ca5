"""Fuzzing ``pkgcheck lsp``: random editing sessions against the language server.

A session starts a fresh server on a copy of a small project (the ``lsp_routes`` fixture, a
package and a mixin it adds, plus :data:`JOBS`, a module that schedules the package's routes
from outside), then plays a random sequence of what an editor does:

- ``didOpen``, ``didClose``; ``didChange`` with incremental edits at random places (snippets of
  routes, decorators, brackets, quotes, ``# noqa``, non-ASCII and astral characters, so most
  buffers stop parsing for a while) or with a whole new text (another module, an empty buffer,
  a module of :func:`test_fuzz.module_source`);
- saves (the buffer written to disk, then ``didSave``), files deleted on disk (open or not),
  modules renamed (closed, moved, opened under the new name: the imports of the others break),
  and ``steamship.json`` rewritten, broken or deleted;
- requests at random positions: definition, references, hover, completion, prepareRename,
  rename (new names valid and not), codeAction; some awaited at once, some left in flight
  while the edits go on.

Properties, per session:

- the server never dies and answers every request (a result or an LSP error response) within
  :data:`TIMEOUT` seconds; no handler fails (``window/logMessage`` reports no traceback);
- once the last buffers are saved, the diagnostics last published for each open file equal
  ``pkgcheck --format json --no-cache`` on the same files (code, range in UTF-16 units as LSP
  counts them, message, severity, rule URL), and every closed file's diagnostics are cleared.

The server runs in this process, on a thread of its own with its own event loop, and the
client (pygls's) talks to it over an in-memory pipe with the real JSON-RPC framing: a session
costs what its analyses cost, not a Python start-up. Each session gets a new server (the
server module is reloaded) so that sessions do not depend on one another.

Default run: 30 sessions, the same every time. Slow profile (``pytest -m slow -s
tests/test_fuzz_lsp.py``): :data:`SCALE_EXAMPLES` (10,000) sessions split over every core
(tests/fuzz_shards.py). A session is a server's life of up to a dozen analyses plus a CLI run
(~0.2 s of a core): 10,000 took 20.3 minutes on the 2-core machine (docs/SECURITY.md);
``PKGCHECK_FUZZ_LSP_EXAMPLES`` asks for another count.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import re
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Set, Tuple

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("pygls")
from lsprotocol import types  # noqa: E402
from pygls.exceptions import JsonRpcException  # noqa: E402
from pygls.io_ import run_async  # noqa: E402
from pygls.lsp.client import LanguageClient  # noqa: E402

from fuzz_shards import SUPPRESSED, assert_sharded  # noqa: E402
from linter.frontends.cli.main import main  # noqa: E402
from linter.run import workers  # noqa: E402
from test_fuzz import module_source  # noqa: E402

FIXTURE = Path(__file__).parent / "fixtures" / "lsp_routes"
#: sessions in the slow profile (see docs/SECURITY.md for what one run measured)
SCALE_EXAMPLES = int(os.environ.get("PKGCHECK_FUZZ_LSP_EXAMPLES", os.environ.get("PKGCHECK_FUZZ_EXAMPLES", "10000")))
#: seconds any answer may take (an analysis of this project takes well under one)
TIMEOUT = 60.0

JOBS = '''"""Schedules the greeter's work from outside the package class."""
from api import Greeter


def kick(pkg: Greeter) -> None:
    pkg.invoke_later("report", arguments={"day": "monday"})
    pkg.invoke_later("greet", arguments={"name": "x", "times": 2})
    pkg.invoke_later("repor")
'''

MANIFESTS = [
    "{}\n",
    '{"type": "package", "handle": "greeter", "version": "0.0.1", "entrypoint": "api.handler"}\n',
    '{"type": "package", "handle": 3}\n',
    '{"type": ',
    "",
]

#: what an incremental edit inserts: pieces of routes and calls, syntax that breaks the module
SNIPPETS = [
    "", " ", "\n", "    ", "\t", '"', "'", "(", ")", "[", "]", "{", "}", ":", ",", "#", "\\", "x", "pass",
    "greet", "gret", "report", "/", '"report"', '"/greet"', '"gret"', "'schedule'", "é", "😀", "中文",
    "# noqa: SHP401", "  # noqa", "def ", "class ", "self.", "return ", 'verb="GET", ', "arguments={}",
    '\n    @post("extra")\n    def extra(self, n: int) -> str:\n        return ""\n',
    '\n    @get("greet")\n    def greet_again(self) -> str:\n        return ""\n',
    '\n        self.invoke_later("missing", arguments={"q": 1})\n',
    '\n        self.invoke_later("report", arguments={"dy": 1})\n',
    "\nimport nowhere\n", "\nfrom mixin import ReportMixin\n", "\nfrom jobs import kick\n",
    "\nclass Other(PackageService):\n    pass\n", '\n"""', "\nif True:\n", "\n  x = 1\n",
]  # fmt: skip

#: names a module can be renamed to (a subdirectory without __init__.py included)
NEW_NAMES = ["greeter.py", "api.py", "mixin.py", "jobs.py", "tasks.py", "mixins.py", "sub/helpers.py"]
#: route names a rename asks for (the last ones are not route paths: the server must refuse them)
NEW_ROUTE_NAMES = ["daily_report", "/greet", "report", "a/b", "é", 'bad"quote', "", "two\nlines"]

#: the inside of a one-line string literal, and what an edit puts there
STRING_CONTENT = re.compile(r"\"([^\"\n\\]*)\"")
ROUTE_NAMES = ["greet", "gret", "report", "/report", "schedule", "", "greet/", "extra"]
#: where the requests have something to act on: string literals, def names, mixin lists, calls
SPOTS = re.compile(r"\"[^\"\n]*\"|'[^'\n]*'|def \w+|\[\w+\]|invoke_later\(\s*[\"']?")

# (positions, strings and places are drawn with sampled_from, uniformly: Hypothesis's integers
# favour the small ends of their ranges, which would keep most draws in a file's first lines)
REQUESTS = ["definition", "references", "hover", "completion", "prepareRename", "rename", "codeAction"]


def utf16_position(text: str, offset: int) -> types.Position:
    """The LSP position (UTF-16 code units, lines split at ``\\n``) of a code-point offset."""
    line = text.count("\n", 0, offset)
    start = text.rfind("\n", 0, offset) + 1
    return types.Position(line=line, character=len(text[start:offset].encode("utf-16-le")) // 2)


def utf16_column(line_text: str, column: int) -> int:
    """A 1-based code-point column of ``line_text`` as a 0-based LSP character."""
    before = line_text[: column - 1]
    return len(before.encode("utf-16-le")) // 2 + max(0, column - 1 - len(line_text))


class Feed:
    """A writer that hands its bytes to a StreamReader of another thread's event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, reader: asyncio.StreamReader) -> None:
        self.loop, self.reader = loop, reader
        self.closed = False

    def _feed(self, data: bytes) -> None:
        if not self.closed:  # what is written after the end is lost, as on a closed pipe
            self.reader.feed_data(data)

    def write(self, data: bytes) -> None:
        if not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._feed, data)

    def close(self) -> None:
        if not self.closed and not self.loop.is_closed():
            self.closed = True
            self.loop.call_soon_threadsafe(self.reader.feed_eof)


@dataclass
class InProcessServer:
    """A fresh ``pkgcheck lsp`` server running on its own thread, fed through memory."""

    server: Any
    thread: threading.Thread
    loop: asyncio.AbstractEventLoop
    #: what the client writes to the server
    feed: Feed
    #: analyses scheduled (one per didOpen, didChange, didSave, didClose handled), begun and ended
    scheduled: int = 0
    started: int = 0
    ended: int = 0
    crashed: List[BaseException] = field(default_factory=list)

    def stop(self) -> None:
        if not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.server._stop_event.set)
        self.feed.close()
        self.thread.join(TIMEOUT)


def start_server(to_client: Feed) -> InProcessServer:
    import linter.frontends.lsp.server as server_module

    module = importlib.reload(server_module)  # a new server, with nothing from the last session
    server = module.server
    ready = threading.Event()
    box: Dict[str, Any] = {}
    crashed: List[BaseException] = []

    def serve() -> None:
        async def run() -> None:
            box["loop"] = asyncio.get_running_loop()
            box["reader"] = asyncio.StreamReader()
            server._stop_event = threading.Event()
            server.protocol.set_writer(to_client)
            ready.set()
            await run_async(stop_event=server._stop_event, reader=box["reader"], protocol=server.protocol)

        try:
            asyncio.run(run())
        except BaseException as error:  # noqa: B902 - reported as the server's death
            crashed.append(error)
            ready.set()

    thread = threading.Thread(target=serve, name="pkgcheck-lsp", daemon=True)
    thread.start()
    assert ready.wait(TIMEOUT), "the server did not start"
    assert not crashed, crashed
    running = InProcessServer(server, thread, box["loop"], Feed(box["loop"], box["reader"]), crashed=crashed)
    analyse, schedule = server.analyse, server.schedule

    def counted() -> None:
        running.started += 1
        try:
            analyse()
        finally:
            running.ended += 1

    async def scheduled(delay: float) -> None:
        running.scheduled += 1
        await schedule(delay)

    server.analyse, server.schedule = counted, scheduled
    return running


class Session:
    """The client side of one session: the project on disk, the buffers the editor holds."""

    def __init__(self, root: Path, data: Any) -> None:
        self.root = root
        self.data = data
        self.buffers: Dict[Path, str] = {}
        self.versions: Dict[Path, int] = {}
        self.ever_opened: Set[Path] = set()
        self.published: Dict[str, List[types.Diagnostic]] = {}
        self.logs: List[str] = []
        self.in_flight: List[Tuple[str, "asyncio.Future[Any]"]] = []
        #: the notifications sent that the server answers with an analysis
        self.notifications = 0
        self.client = LanguageClient("pkgcheck-fuzz", "1")
        #: generated modules an edit can paste in place of a buffer. Drawn before the server
        #: starts: drawing them makes Hypothesis call ast.parse, which on CPython 3.11 is not
        #: safe beside another thread's (the server's analysis) ("AST constructor recursion
        #: depth mismatch", seen here; CPython keeps that depth per interpreter, not per thread)
        self.pasted: List[str] = []

        @self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(params: types.PublishDiagnosticsParams) -> None:
            self.published[params.uri] = list(params.diagnostics)

        @self.client.feature(types.WINDOW_LOG_MESSAGE)
        def logged(params: types.LogMessageParams) -> None:
            self.logs.append(params.message)

    # -- what is on disk and in the editor ------------------------------------------------------
    def python_files(self) -> List[Path]:
        return sorted(p for p in self.root.rglob("*.py"))

    def draw(self, strategy: st.SearchStrategy, label: str) -> Any:
        return self.data.draw(strategy, label=label)

    def pick(self, choices: List[Any], label: str) -> Any:
        return self.draw(st.sampled_from(choices), label)

    def pick_path(self, paths: List[Path], label: str) -> Path:
        """One of ``paths``, drawn by its name in the project (the examples print the same way
        in every temporary directory)."""
        return self.root / self.pick([p.relative_to(self.root).as_posix() for p in paths], label)

    # -- notifications --------------------------------------------------------------------------
    def open(self, path: Path, text: str) -> None:
        self.buffers[path] = text
        self.versions[path] = 1
        self.ever_opened.add(path)
        self.notifications += 1
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(uri=uri(path), language_id="python", version=1, text=text)
            )
        )

    def close(self, path: Path) -> None:
        del self.buffers[path]
        self.notifications += 1
        self.client.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri(path)))
        )

    def change(self, path: Path, start: int, end: int, new: Optional[str], whole: Optional[str] = None) -> None:
        """Replace characters [start, end) of the buffer with ``new``, or the whole of it."""
        text = self.buffers[path]
        self.versions[path] += 1
        if whole is not None:
            self.buffers[path] = whole
            change: Any = types.TextDocumentContentChangeWholeDocument(text=whole)
        else:
            assert new is not None
            change = types.TextDocumentContentChangePartial(
                range=types.Range(start=utf16_position(text, start), end=utf16_position(text, end)), text=new
            )
            self.buffers[path] = text[:start] + new + text[end:]
        self.notifications += 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri(path), version=self.versions[path]),
                content_changes=[change],
            )
        )

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="") as file:
            file.write(self.buffers[path])
        self.notifications += 1
        self.client.text_document_did_save(
            types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri(path)))
        )

    # -- requests -------------------------------------------------------------------------------
    def position(self, path: Path) -> types.Position:
        """A random position in the buffer, sometimes just past a line's end or the last line;
        half of them on or at the edge of what the requests act on (strings, names)."""
        text = self.buffers[path]
        spots = list(SPOTS.finditer(text))
        if spots and self.draw(st.booleans(), "on a spot?"):
            spot = spots[self.draw(st.sampled_from(range(len(spots))), "spot")]
            return utf16_position(text, self.draw(st.sampled_from(range(spot.start(), spot.end() + 1)), "offset"))
        lines = text.split("\n")
        row = self.draw(st.sampled_from(range(len(lines) + 1)), "line")
        line = lines[row] if row < len(lines) else ""
        column = self.draw(st.integers(0, len(line) + 2), "column")
        return types.Position(line=row, character=utf16_column(line, column + 1))

    def request(self, kind: str, path: Path) -> "asyncio.Future[Any]":
        document = types.TextDocumentIdentifier(uri=uri(path))
        client = self.client
        if kind == "definition":
            return client.text_document_definition_async(
                types.DefinitionParams(text_document=document, position=self.position(path))
            )
        if kind == "references":
            return client.text_document_references_async(
                types.ReferenceParams(
                    text_document=document, position=self.position(path),
                    context=types.ReferenceContext(include_declaration=self.draw(st.booleans(), "declaration")),
                )
            )  # fmt: skip
        if kind == "hover":
            return client.text_document_hover_async(
                types.HoverParams(text_document=document, position=self.position(path))
            )
        if kind == "completion":
            return client.text_document_completion_async(
                types.CompletionParams(text_document=document, position=self.position(path))
            )
        if kind == "prepareRename":
            return client.text_document_prepare_rename_async(
                types.PrepareRenameParams(text_document=document, position=self.position(path))
            )
        if kind == "rename":
            return client.text_document_rename_async(
                types.RenameParams(
                    text_document=document, position=self.position(path),
                    new_name=self.pick(NEW_ROUTE_NAMES, "new route name"),
                )
            )  # fmt: skip
        assert kind == "codeAction"
        # (the draws never depend on what the server sent: its timing would change the examples)
        if self.draw(st.booleans(), "a whole line?"):
            lines = self.buffers[path].split("\n")
            row = self.draw(st.sampled_from(range(len(lines))), "line")
            start = types.Position(line=row, character=0)
            end = types.Position(line=row, character=len(lines[row].encode("utf-16-le")) // 2)
        else:
            start, end = sorted([self.position(path), self.position(path)], key=lambda p: (p.line, p.character))
        diagnostics = [
            d for d in self.published.get(uri(path), []) if start.line <= d.range.start.line <= end.line
        ]
        return client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=document, range=types.Range(start=start, end=end),
                context=types.CodeActionContext(diagnostics=diagnostics),
            )
        )  # fmt: skip


def uri(path: Path) -> str:
    return path.as_uri()


async def answered(kind: str, future: "asyncio.Future[Any]") -> None:
    """The request's answer came in time: a result, or an LSP error response."""
    try:
        await asyncio.wait_for(future, TIMEOUT)
    except asyncio.TimeoutError:
        raise AssertionError(f"{kind}: no answer within {TIMEOUT:.0f} s") from None
    except JsonRpcException:
        pass  # an error response is an answer


async def step(session: Session) -> None:
    """One thing an editor does, drawn at random."""
    open_paths = sorted(session.buffers)
    closed = [p for p in session.python_files() if p not in session.buffers]
    actions = ["edit"] * 5 + ["request"] * 4 + ["open", "close", "save", "delete", "rename", "manifest"]
    action = session.pick(actions, "action")
    root = session.root
    if action in ("edit", "request", "close", "save") and not open_paths:
        action = "open"
    if action == "open" and not closed:
        action = "manifest"
    if action == "edit":
        path = session.pick_path(open_paths, "buffer")
        text = session.buffers[path]
        strings = list(STRING_CONTENT.finditer(text))
        kind = session.draw(st.integers(0, 9), "kind of edit")
        if kind == 0:
            whole = session.pick(
                ["", JOBS, (FIXTURE / "api.py").read_text(), (FIXTURE / "mixin.py").read_text()] + session.pasted,
                "whole text",
            )
            session.change(path, 0, 0, None, whole=whole)
        elif kind <= 3 and strings:  # a route string retyped: the module still parses
            string = strings[session.draw(st.sampled_from(range(len(strings))), "string")]
            session.change(path, string.start(1), string.end(1), session.pick(ROUTE_NAMES, "route name"))
        else:
            start = session.draw(st.sampled_from(range(len(text) + 1)), "start")
            end = session.draw(st.integers(start, min(len(text), start + 40)), "end")
            session.change(path, start, end, session.pick(SNIPPETS, "inserted"))
    elif action == "request":
        kind = session.pick(REQUESTS, "request")
        future = session.request(kind, session.pick_path(open_paths, "buffer"))
        if session.draw(st.booleans(), "await now?"):
            await answered(kind, future)
        else:
            session.in_flight.append((kind, future))
    elif action == "open":
        path = session.pick_path(closed, "file")
        session.open(path, path.read_text(encoding="utf-8"))
    elif action == "close":
        session.close(session.pick_path(open_paths, "buffer"))
    elif action == "save":
        session.save(session.pick_path(open_paths, "buffer"))
    elif action == "delete":
        files = session.python_files()
        if not files:
            return
        path = session.pick_path(files, "deleted file")
        path.unlink()
        if path in session.buffers and session.draw(st.booleans(), "close its buffer?"):
            session.close(path)
    elif action == "rename":
        files = session.python_files()
        new = root / session.pick(NEW_NAMES, "new name")
        if not files or new.exists():
            return
        old = session.pick_path(files, "renamed file")
        was_open = old in session.buffers
        text = session.buffers[old] if was_open else old.read_text(encoding="utf-8")
        if was_open:
            session.close(old)
        new.parent.mkdir(parents=True, exist_ok=True)
        old.rename(new)
        if was_open:
            session.open(new, text)
    else:
        manifest = root / "steamship.json"
        choice = session.pick(MANIFESTS + [None], "steamship.json")
        if choice is None:
            if manifest.exists():
                manifest.unlink()
        else:
            manifest.write_text(choice, encoding="utf-8")


def cli_findings(paths: List[Path]) -> Dict[Path, List[Dict[str, Any]]]:
    """``pkgcheck --format json --no-cache`` on ``paths``, by file."""
    result = CliRunner().invoke(main, ["--format", "json", "--no-cache", *map(str, paths)])
    assert result.exit_code in (0, 1), (result.exit_code, result.output, result.exc_info)
    found: Dict[Path, List[Dict[str, Any]]] = {}
    for item in json.loads(result.stdout):
        found.setdefault(Path(os.path.abspath(item["path"])), []).append(item)
    return found


SEVERITIES = {"error": types.DiagnosticSeverity.Error, "warning": types.DiagnosticSeverity.Warning}


def expected_diagnostics(text: str, items: List[Dict[str, Any]]) -> List[Tuple[Any, ...]]:
    lines = text.split("\n")

    def character(line: int, column: int) -> int:
        return utf16_column(lines[line - 1] if 0 < line <= len(lines) else "", column)

    return sorted(
        (item["code"], item["line"] - 1, character(item["line"], item["column"]), item["end_line"] - 1,
         character(item["end_line"], item["end_column"]), item["message"], SEVERITIES[item["severity"]], item["url"])
        for item in items
    )  # fmt: skip


def server_diagnostics(found: List[types.Diagnostic]) -> List[Tuple[Any, ...]]:
    return sorted(
        (d.code, d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character, d.message,
         d.severity, d.code_description.href if d.code_description else None)
        for d in found
    )  # fmt: skip


async def settle(running: InProcessServer, notifications: int) -> None:
    """Wait until the server has handled all ``notifications``, the analysis the last one
    scheduled has run to its end (so it saw the last buffers and files), and none is running."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        pending = running.server.pending
        if (
            running.scheduled == notifications and pending is not None and pending.done()
            and not pending.cancelled() and running.started == running.ended
        ):  # fmt: skip
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"the server was still analysing {TIMEOUT:.0f} s after the last save")


async def play(root: Path, data: Any) -> None:
    session = Session(root, data)
    session.pasted = session.draw(st.lists(module_source("api", ["mixin", "jobs"], "flat"), max_size=2), "pasted")
    client = session.client
    client_loop = asyncio.get_running_loop()
    client_reader = asyncio.StreamReader()
    to_client = Feed(client_loop, client_reader)
    running = start_server(to_client)
    client.protocol.set_writer(running.feed)
    reading = asyncio.ensure_future(
        run_async(stop_event=client._stop_event, reader=client_reader, protocol=client.protocol)
    )
    try:
        await asyncio.wait_for(
            client.initialize_async(
                types.InitializeParams(
                    capabilities=types.ClientCapabilities(), root_uri=uri(root),
                    workspace_folders=[types.WorkspaceFolder(uri=uri(root), name="proj")],
                )
            ),
            TIMEOUT,
        )  # fmt: skip
        client.initialized(types.InitializedParams())
        names = [p.relative_to(root).as_posix() for p in session.python_files()]
        first = session.draw(st.lists(st.sampled_from(names), min_size=1, unique=True), "opened")
        for path in (root / name for name in first):
            session.open(path, path.read_text(encoding="utf-8"))
        for _ in range(session.draw(st.integers(1, 12), "steps")):
            await step(session)
            assert running.thread.is_alive(), f"the server died: {running.crashed}"
        for kind, future in session.in_flight:
            await answered(kind, future)
        # the last edit is made: save every buffer, then the diagnostics must be the CLI's
        for path in sorted(session.buffers):
            session.save(path)
        await settle(running, session.notifications)
        assert running.thread.is_alive(), f"the server died: {running.crashed}"
        # answered after everything the server sent before it: the client has seen it all
        await asyncio.wait_for(client.shutdown_async(None), TIMEOUT)
        failures = [m for m in session.logs if "failed" in m or "Traceback" in m]
        assert not failures, failures[0]
        open_python = sorted(p for p in session.buffers if p.suffix == ".py")
        expected = cli_findings(open_python) if open_python else {}
        for path in open_python:
            want = expected_diagnostics(session.buffers[path], expected.get(path, []))
            published = session.published.get(uri(path))
            assert published is not None, f"{path.name}: no diagnostics were published"
            have = server_diagnostics(published)
            assert have == want, (
                f"{path.name}: the server's diagnostics are not the CLI's:\n"
                f"server only: {[d for d in have if d not in want]}\nCLI only: {[d for d in want if d not in have]}"
            )
        for path in sorted(session.ever_opened - set(session.buffers)):
            assert session.published.get(uri(path)) == [], f"{path.name} was closed but keeps its diagnostics"
    finally:
        running.stop()
        client._stop_event.set()
        to_client.close()
        await asyncio.wait_for(reading, TIMEOUT)
    assert not running.thread.is_alive(), "the server did not stop"


def run_session(data: Any) -> None:
    """One random editing session on a new copy of the project (see the module's docstring)."""
    in_pool = workers.IN_PROJECT_POOL
    # as `pkgcheck lsp` does (serve()): analyse in this process, never fork beside threads
    workers.IN_PROJECT_POOL = True
    try:
        with tempfile.TemporaryDirectory() as directory:
            root = Path(os.path.realpath(directory)) / "proj"
            shutil.copytree(FIXTURE, root)
            (root / "jobs.py").write_text(JOBS, encoding="utf-8")
            asyncio.run(play(root, data))
    finally:
        workers.IN_PROJECT_POOL = in_pool


@settings(max_examples=30, deadline=None, suppress_health_check=SUPPRESSED)
@given(st.data())
def test_editing_sessions(data: Any) -> None:
    run_session(data)


@pytest.mark.slow
def test_editing_sessions_at_scale() -> None:
    assert_sharded("test_editing_sessions_at_scale", st.data(), run_session, SCALE_EXAMPLES)
