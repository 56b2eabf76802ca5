"""``pkgcheck lsp`` end to end: a real LSP client (pytest-lsp) drives the server, started as a
subprocess over stdio, on a copy of the ``lsp_routes`` fixture."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator, Dict, List, Optional

import pytest

pytest.importorskip("pygls")
pytest_lsp = pytest.importorskip("pytest_lsp")
from lsprotocol import types  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient  # noqa: E402

FIXTURE = Path(__file__).parent / "fixtures" / "lsp_routes"
REPO = Path(__file__).resolve().parent.parent
TIMEOUT = 60


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    shutil.copytree(FIXTURE, root)
    return root


def uri(path: Path) -> str:
    return path.resolve().as_uri()


@asynccontextmanager
async def session(
    root: Path, env: Optional[Dict[str, str]] = None, initialized: bool = True
) -> AsyncIterator[LanguageClient]:
    environment = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    config = ClientServerConfig(
        server_command=[sys.executable, "-m", "linter", "lsp"], server_env=environment
    )
    client = await config.start()
    params = types.InitializeParams(
        capabilities=types.ClientCapabilities(),
        process_id=os.getpid(),
        root_uri=uri(root),
        workspace_folders=[types.WorkspaceFolder(uri=uri(root), name="proj")],
    )
    client.capabilities = params.capabilities
    await asyncio.wait_for(client.initialize_async(params), TIMEOUT)
    if initialized:
        client.initialized(types.InitializedParams())
    try:
        yield client
    finally:
        await close(client)


async def close(client: LanguageClient) -> None:
    """Shut the server down the LSP way (if the test has not), then stop the client."""
    server = client._server
    if server is not None and server.returncode is None:
        try:
            await asyncio.wait_for(client.shutdown_async(None), TIMEOUT)
            client.exit(None)
            await asyncio.wait_for(server.wait(), TIMEOUT)
        except (asyncio.TimeoutError, RuntimeError):
            server.kill()
    await client.stop()


def open_file(client: LanguageClient, path: Path, text: Optional[str] = None) -> None:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri(path), language_id="python", version=1,
                text=path.read_text() if text is None else text,
            )
        )
    )


def change_file(client: LanguageClient, path: Path, text: str, version: int = 2) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri(path), version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


async def diagnostics_for(client: LanguageClient, path: Path, until=lambda d: True) -> List[types.Diagnostic]:
    """The next diagnostics published for ``path`` that satisfy ``until``."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        found = client.diagnostics.get(uri(path))
        if found is not None and until(found):
            return list(found)
        await asyncio.sleep(0.05)
    raise AssertionError(f"no diagnostics for {path} (have {client.diagnostics.get(uri(path))})")


def position_of(path: Path, needle: str, offset: int = 1, text: Optional[str] = None) -> types.Position:
    lines = (path.read_text() if text is None else text).splitlines()
    for row, line in enumerate(lines):
        if needle in line:
            return types.Position(line=row, character=line.index(needle) + offset)
    raise AssertionError(needle)


def doc(path: Path) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=uri(path))


# -- diagnostics ---------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_diagnostics_of_a_saved_file_equal_the_cli_json(project: Path) -> None:
    api = project / "api.py"
    cli = subprocess.run(
        [sys.executable, "-m", "linter", "--format", "json", "--no-cache", str(api)],
        capture_output=True, text=True, cwd=project, env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    expected = json.loads(cli.stdout)
    assert [item["code"] for item in expected] == ["SHP401"]
    async with session(project) as client:
        open_file(client, api)
        found = await diagnostics_for(client, api, lambda d: len(d) > 0)
    assert [
        (d.code, d.range.start.line + 1, d.range.start.character + 1, d.range.end.line + 1,
         d.range.end.character + 1, d.message, d.code_description.href)
        for d in found
    ] == [
        (e["code"], e["line"], e["column"], e["end_line"], e["end_column"], e["message"], e["url"])
        for e in expected
    ]


@pytest.mark.asyncio
async def test_related_locations_become_related_information(project: Path) -> None:
    api = project / "api.py"
    # A second route POST /greet in the mixin: SHP301 in the package, pointing at both routes.
    mixin = project / "mixin.py"
    mixin.write_text(mixin.read_text() + GRET_ROUTE.replace('"gret"', '"greet"'))
    cli = subprocess.run(
        [sys.executable, "-m", "linter", "--format", "sarif", "--no-cache", str(api)],
        capture_output=True, text=True, cwd=project, env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    results = json.loads(cli.stdout)["runs"][0]["results"]
    wanted = [r for r in results if r.get("relatedLocations")]
    assert wanted, results
    async with session(project) as client:
        open_file(client, api)
        found = await diagnostics_for(client, api, lambda d: any(x.related_information for x in d))
    with_related = [d for d in found if d.related_information]
    lines = sorted(
        loc["physicalLocation"]["region"]["startLine"] for r in wanted for loc in r["relatedLocations"]
    )
    assert sorted(
        info.location.range.start.line + 1 for d in with_related for info in d.related_information
    ) == lines


@pytest.mark.asyncio
async def test_unsaved_mixin_edit_changes_the_package_diagnostics(project: Path) -> None:
    api, mixin = project / "api.py", project / "mixin.py"
    async with session(project) as client:
        open_file(client, api)
        open_file(client, mixin)
        before = await diagnostics_for(client, api, lambda d: len(d) > 0)
        assert [d.code for d in before] == ["SHP401"]
        # The mixin buffer (never saved) now also serves POST /gret: the package's call reaches it.
        text = mixin.read_text() + GRET_ROUTE
        change_file(client, mixin, text)
        after = await diagnostics_for(client, api, lambda d: [x.code for x in d] != ["SHP401"])
        assert after == []
        # and back: the finding returns when the buffer loses the route again
        change_file(client, mixin, mixin.read_text(), version=3)
        again = await diagnostics_for(client, api, lambda d: len(d) > 0)
        assert [d.code for d in again] == ["SHP401"]
    assert "gret" not in mixin.read_text()  # nothing written


GRET_ROUTE = '''
    @post("gret")
    def gret(self, name: str) -> str:
        return name
'''


@pytest.mark.asyncio
async def test_syntax_error_reports_shp001_and_navigation_uses_the_last_good_analysis(project: Path) -> None:
    api = project / "api.py"
    text = api.read_text()
    async with session(project) as client:
        open_file(client, api)
        await diagnostics_for(client, api, lambda d: len(d) > 0)
        broken = text.replace("def schedule(self, name: str) -> Task:", "def schedule(self, name: str) -> Task")
        change_file(client, api, broken)
        found = await diagnostics_for(client, api, lambda d: any(x.code == "SHP001" for x in d))
        assert [d.code for d in found] == ["SHP001"]
        result = await client.text_document_definition_async(
            types.DefinitionParams(text_document=doc(api), position=position_of(api, '"greet", arg', 2, broken))
        )
    assert result and result[0].range.start.line == position_of(api, "def greet", 4).line


# -- navigation ----------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_definition_follows_route_strings_into_mixins_and_mixin_classes(project: Path) -> None:
    api, mixin = project / "api.py", project / "mixin.py"
    async with session(project) as client:
        open_file(client, api)
        own = await client.text_document_definition_async(
            types.DefinitionParams(text_document=doc(api), position=position_of(api, '"greet", arg', 2))
        )
        into_mixin = await client.text_document_definition_async(
            types.DefinitionParams(text_document=doc(api), position=position_of(api, '"report", arg', 2))
        )
        to_class = await client.text_document_definition_async(
            types.DefinitionParams(text_document=doc(api), position=position_of(api, "[ReportMixin]", 3))
        )
        nothing = await client.text_document_definition_async(
            types.DefinitionParams(text_document=doc(api), position=position_of(api, '"/gret"', 2))
        )
    assert [(Path(x.uri[7:]).name, x.range.start.line) for x in own] == [("api.py", position_of(api, "def greet").line)]
    assert [(Path(x.uri[7:]).name, x.range.start.line) for x in into_mixin] == [
        ("mixin.py", position_of(mixin, "def report").line)
    ]
    assert to_class and to_class[0].uri == uri(mixin)
    assert to_class[0].range.start.line == position_of(mixin, "class ReportMixin").line
    assert not nothing


@pytest.mark.asyncio
async def test_references_from_a_route_method_find_its_invoke_later_calls(project: Path) -> None:
    api, mixin = project / "api.py", project / "mixin.py"
    async with session(project) as client:
        open_file(client, mixin)
        from_def = await client.text_document_references_async(
            types.ReferenceParams(
                text_document=doc(mixin), position=position_of(mixin, "def report", 5),
                context=types.ReferenceContext(include_declaration=False),
            )
        )
        from_decorator = await client.text_document_references_async(
            types.ReferenceParams(
                text_document=doc(mixin), position=position_of(mixin, '"report"', 2),
                context=types.ReferenceContext(include_declaration=False),
            )
        )
    expected = [(uri(api), position_of(api, '"report", arg').line)]
    assert [(x.uri, x.range.start.line) for x in from_def] == expected
    assert [(x.uri, x.range.start.line) for x in from_decorator] == expected


@pytest.mark.asyncio
async def test_completion_offers_routes_and_argument_names(project: Path) -> None:
    api = project / "api.py"
    text = api.read_text()
    typed = text.replace(
        '        self.invoke_later("greet", arguments={"name": name})\n',
        '        self.invoke_later("\n',
    )
    async with session(project) as client:
        open_file(client, api)
        await diagnostics_for(client, api, lambda d: len(d) > 0)
        change_file(client, api, typed)
        routes = await client.text_document_completion_async(
            types.CompletionParams(text_document=doc(api), position=position_of(api, 'invoke_later("', 14, typed))
        )
        arguments = await client.text_document_completion_async(
            types.CompletionParams(
                text_document=doc(api), position=position_of(api, 'arguments={"day', 11, text)
            )
        )
    by_label = {item.label: item for item in routes.items}
    assert {"greet", "report", "schedule"} <= set(by_label)
    assert by_label["greet"].detail == "POST /greet(name: <class 'str'>, times: <class 'int'>) -> <class 'str'>"
    assert by_label["greet"].documentation == "Say hello."
    assert [item.label for item in arguments.items] == ["day"]


@pytest.mark.asyncio
async def test_hover_shows_the_spec_entry(project: Path) -> None:
    api = project / "api.py"
    async with session(project) as client:
        open_file(client, api)
        on_def = await client.text_document_hover_async(
            types.HoverParams(text_document=doc(api), position=position_of(api, "def greet", 5))
        )
        on_call = await client.text_document_hover_async(
            types.HoverParams(text_document=doc(api), position=position_of(api, '"report", arg', 2))
        )
    assert "**POST /greet**" in on_def.contents.value
    assert "`times`: `<class 'int'>`" in on_def.contents.value
    assert "Served by: `Greeter`" in on_def.contents.value
    assert "**POST /report**" in on_call.contents.value
    assert "From mixin: `mixin.ReportMixin`" in on_call.contents.value


@pytest.mark.asyncio
async def test_rename_edits_the_decorator_and_every_call(project: Path) -> None:
    api, mixin = project / "api.py", project / "mixin.py"
    async with session(project) as client:
        open_file(client, api)
        refused = await client.text_document_prepare_rename_async(
            types.PrepareRenameParams(text_document=doc(api), position=position_of(api, '"/gret"', 2))
        )
        ready = await client.text_document_prepare_rename_async(
            types.PrepareRenameParams(text_document=doc(api), position=position_of(api, '"report", arg', 2))
        )
        edit = await client.text_document_rename_async(
            types.RenameParams(
                text_document=doc(api), position=position_of(api, '"report", arg', 2), new_name="daily_report"
            )
        )
    assert refused is None
    assert ready is not None and (ready.start.character, ready.end.character) == (
        position_of(api, '"report", arg', 1).character, position_of(api, '"report", arg', 7).character
    )
    changes = {(Path(k[7:]).name, e.range.start.line, e.new_text) for k, edits in edit.changes.items() for e in edits}
    assert changes == {
        ("api.py", position_of(api, '"report", arg').line, "daily_report"),
        ("mixin.py", position_of(mixin, '@post("report")').line, "daily_report"),
    }


# -- code actions --------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_code_actions_offer_the_fix_and_noqa(project: Path) -> None:
    api = project / "api.py"
    async with session(project) as client:
        open_file(client, api)
        found = await diagnostics_for(client, api, lambda d: len(d) > 0)
        actions = await client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=doc(api), range=found[0].range,
                context=types.CodeActionContext(diagnostics=found),
            )
        )
    edits = {a.title: a.edit.changes[uri(api)][0] for a in actions}
    fix = next(e for t, e in edits.items() if t.startswith("Replace"))
    assert fix.new_text == '"/greet"'
    line = api.read_text().splitlines()[found[0].range.start.line]
    assert line[fix.range.start.character:fix.range.end.character] == '"/gret"'
    noqa = edits["Suppress SHP401 with # noqa: SHP401"]
    # the fixture's line already ends in a comment without noqa: one is added at the end
    assert noqa.new_text == "  # noqa: SHP401"


def apply(text: str, edits: List[types.TextEdit]) -> str:
    """``text`` with LSP ``edits`` (none overlapping) applied."""
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))

    def offset(position: types.Position) -> int:
        return min(offsets[min(position.line, len(lines))] + position.character, len(text))

    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[:offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end):]
    return text


@pytest.mark.asyncio
async def test_a_fix_that_adds_an_import_is_the_fix_of_the_cli(project: Path, tmp_path: Path) -> None:
    """SHP404's fix (``verb="GET"`` -> ``Verb.GET``) also imports Verb: the quick fix, applied to
    the unsaved buffer, gives what ``pkgcheck --fix`` writes for the same text."""
    api = project / "api.py"
    text = api.read_text().replace(
        'self.invoke_later("greet", arguments=', 'self.invoke_later("greet", verb="POST", arguments='
    )
    async with session(project) as client:
        open_file(client, api, text)
        found = await diagnostics_for(client, api, lambda d: any(x.code == "SHP404" for x in d))
        wanted = [d for d in found if d.code == "SHP404"]
        actions = await client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=doc(api), range=wanted[0].range, context=types.CodeActionContext(diagnostics=wanted),
            )
        )
    fix = next(a for a in actions if a.title.startswith("Replace") and "SHP404" in a.title)
    fixed = apply(text, list(fix.edit.changes[uri(api)]))
    copy = tmp_path / "cli"
    shutil.copytree(project, copy)
    (copy / "api.py").write_text(text)
    subprocess.run(
        [sys.executable, "-m", "linter", "--fix", "--no-cache", "--select", "SHP404", str(copy / "api.py")],
        capture_output=True, text=True, cwd=copy, env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert fixed == (copy / "api.py").read_text()
    assert "verb=Verb.POST" in fixed and "import Verb" in fixed
    assert api.read_text() != fixed  # the server wrote nothing


def test_noqa_edit_appends_to_an_existing_noqa() -> None:
    from linter.frontends.lsp.analysis import noqa_edit

    assert noqa_edit("x = 1  # noqa: E501", "SHP401") == (len("x = 1  # noqa: E501"),) * 2 + (", SHP401",)
    assert noqa_edit("x = 1  # noqa: SHP401", "SHP401") is None
    assert noqa_edit("x = 1  # noqa", "SHP401") is None
    assert noqa_edit("x = 1   ", "SHP401") == (5, 8, "  # noqa: SHP401")


# -- robustness ----------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_requests_before_initialized_are_answered(project: Path) -> None:
    api = project / "api.py"
    async with session(project, initialized=False) as client:
        open_file(client, api)
        early = await asyncio.wait_for(
            client.text_document_hover_async(
                types.HoverParams(text_document=doc(api), position=position_of(api, "def greet", 5))
            ),
            TIMEOUT,
        )
        client.initialized(types.InitializedParams())
        found = await diagnostics_for(client, api, lambda d: len(d) > 0)
    assert early is not None and "**POST /greet**" in early.contents.value
    assert [d.code for d in found] == ["SHP401"]


@pytest.mark.asyncio
async def test_a_crashing_handler_is_logged_and_the_server_goes_on(project: Path) -> None:
    api = project / "api.py"
    async with session(project, env={"PKGCHECK_LSP_FAULT": "hover"}) as client:
        open_file(client, api)
        crashed = await client.text_document_hover_async(
            types.HoverParams(text_document=doc(api), position=position_of(api, "def greet", 5))
        )
        assert crashed is None
        assert any("hover failed" in m.message and "RuntimeError" in m.message for m in client.log_messages)
        still = await client.text_document_definition_async(
            types.DefinitionParams(text_document=doc(api), position=position_of(api, '"greet", arg', 2))
        )
        assert still
        found = await diagnostics_for(client, api, lambda d: len(d) > 0)
        assert [d.code for d in found] == ["SHP401"]


@pytest.mark.asyncio
async def test_shutdown_and_exit_within_a_second(project: Path) -> None:
    async with session(project) as client:
        open_file(client, project / "api.py")
        await diagnostics_for(client, project / "api.py", lambda d: len(d) > 0)
        start = time.monotonic()
        await client.shutdown_async(None)
        client.exit(None)
        await asyncio.wait_for(client._server.wait(), 5)
        elapsed = time.monotonic() - start
        assert client._server.returncode == 0
    assert elapsed < 1.0


def test_without_pygls_the_command_says_to_install_the_extra(tmp_path: Path) -> None:
    blocker = tmp_path / "block"
    blocker.mkdir()
    (blocker / "pygls.py").write_text("raise ImportError('blocked for the test')\n")
    done = subprocess.run(
        [sys.executable, "-m", "linter", "lsp"], capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(blocker), str(REPO)])},
    )
    assert done.returncode == 2
    assert "pip install 'steamship-pkgcheck[lsp]'" in done.stderr
    assert "Traceback" not in done.stderr


def test_importing_linter_or_asking_the_version_does_not_import_pygls() -> None:
    probe = (
        "import sys\n"
        "import linter, linter.frontends.cli.main as cli\n"
        "try:\n"
        "    cli.main(['--version'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pygls', 'lsprotocol')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[]"
    assert "pkgcheck" in done.stdout


def test_a_warm_analyser_finds_what_a_fresh_one_finds(project: Path) -> None:
    """The in-memory cache between edits changes nothing but the time: after edits to a mixin
    buffer, the warm analyser's findings are a fresh one's."""
    from linter.frontends.lsp.analysis import Analyser

    api, mixin = project / "api.py", project / "mixin.py"
    warm = Analyser()
    texts = [mixin.read_text(), mixin.read_text() + GRET_ROUTE, mixin.read_text()]

    def summary(analyser: Analyser, text: str) -> List[tuple]:
        found = analyser.findings({api: api.read_text(), mixin: text})
        return [(str(p), v.code, v.line, v.column, v.message) for p in (api, mixin) for v in found[p].violations]

    results = [summary(warm, text) for text in texts]
    assert results == [summary(Analyser(), text) for text in texts]
    assert [code for _, code, *_ in results[0]] == ["SHP401"] and results[1] == []
    cache = next(iter(warm.caches.values()))
    assert cache.facts and cache.results  # what the next edit plans from


# -- found by tests/test_fuzz_lsp.py -------------------------------------------------------


@pytest.mark.asyncio
async def test_a_file_closed_during_its_analysis_keeps_no_diagnostics(project: Path) -> None:
    """Opened and closed at once: the analysis that didOpen started, still running when didClose
    cleared the file, used to publish the file's findings after the clearing, and the editor
    showed them for a file no longer open."""
    api, mixin = project / "api.py", project / "mixin.py"
    async with session(project) as client:
        open_file(client, api)
        client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=doc(api)))
        open_file(client, mixin)  # analysed after the close: its diagnostics come after all of api's
        await diagnostics_for(client, mixin)
        await asyncio.sleep(0.5)
        cleared = client.diagnostics.get(uri(api))
    assert cleared is not None and list(cleared) == []


@pytest.mark.asyncio
async def test_positions_count_utf16_units_as_lsp_does(project: Path) -> None:
    """LSP counts characters in UTF-16 code units: one astral character (an emoji) is two.
    The server used to count code points both ways, so after an emoji its ranges ended one
    unit short and the cursor positions it read landed to the right of where the client meant."""
    api = project / "api.py"
    text = (
        api.read_text()
        .replace('return self.invoke_later("/gret"', 'return "😀é" and self.invoke_later("/gret"')
        .replace('self.invoke_later("report"', '"😀😀😀" and self.invoke_later("report"')
    )
    api.write_text(text, encoding="utf-8")
    cli = subprocess.run(
        [sys.executable, "-m", "linter", "--format", "json", "--no-cache", str(api)],
        capture_output=True, text=True, cwd=project, env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    (expected,) = json.loads(cli.stdout)
    line = text.splitlines()[expected["line"] - 1]

    def units(column: int) -> int:
        return len(line[: column - 1].encode("utf-16-le")) // 2

    row = position_of(api, '"report"', 0, text).line
    line_text = text.splitlines()[row]
    before_t = line_text[: line_text.index('"report"') + len('"repor')]  # the cursor on the t of report
    async with session(project) as client:
        open_file(client, api)
        found = await diagnostics_for(client, api, lambda d: len(d) > 0)
        on_report = await client.text_document_hover_async(
            types.HoverParams(
                text_document=doc(api),
                position=types.Position(line=row, character=len(before_t.encode("utf-16-le")) // 2),
            )
        )
    assert [(d.code, d.range.start.character, d.range.end.character) for d in found] == [
        ("SHP401", units(expected["column"]), units(expected["end_column"]))
    ]
    assert units(expected["column"]) == expected["column"]  # one more than the code points before it
    assert on_report is not None and "**POST /report**" in on_report.contents.value


@pytest.mark.asyncio
async def test_a_request_for_a_document_closed_and_deleted_since_is_answered_quietly(project: Path) -> None:
    """A completion request the editor sent just before closing a file that is then deleted
    (a rename): the server read the missing file and logged a FileNotFoundError traceback."""
    mixin = project / "mixin.py"
    async with session(project) as client:
        open_file(client, mixin)
        await diagnostics_for(client, mixin)
        client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=doc(mixin)))
        mixin.unlink()
        answer = await asyncio.wait_for(
            client.text_document_completion_async(
                types.CompletionParams(text_document=doc(mixin), position=types.Position(line=11, character=11))
            ),
            TIMEOUT,
        )
        await asyncio.sleep(0.2)
    assert answer is None
    assert not [m.message for m in client.log_messages if "failed" in m.message]


@pytest.mark.asyncio
async def test_a_rename_to_something_that_is_not_a_route_path_is_refused_with_an_error(project: Path) -> None:
    """The refusal used to be a ValueError that the handler's guard logged as a crash
    ("rename failed" and a traceback) while the client got no answer but null."""
    from pygls.exceptions import JsonRpcException

    api = project / "api.py"
    async with session(project) as client:
        open_file(client, api)
        with pytest.raises(JsonRpcException, match="not a route path"):
            await client.text_document_rename_async(
                types.RenameParams(
                    text_document=doc(api), position=position_of(api, '"report", arg', 2), new_name='bad"quote'
                )
            )
        good = await client.text_document_rename_async(
            types.RenameParams(text_document=doc(api), position=position_of(api, '"report", arg', 2), new_name="daily")
        )
    assert good is not None and good.changes
    assert not [m.message for m in client.log_messages if "failed" in m.message]
