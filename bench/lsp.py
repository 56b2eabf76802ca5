"""The language server's latency: from ``didChange`` to the ``publishDiagnostics`` of the edited
package file (the issue's benchmark for ``pkgcheck lsp``).

    python bench/lsp.py [--modules 200] [--edits 20] [--keep DIR]

It generates a project with ``bench/generate.py`` (``--modules`` modules: packages, mixins and
helpers), starts ``pkgcheck lsp`` as a subprocess over stdio with pygls's client, opens one
package file and waits for its first diagnostics (cold: the server analyses the whole project),
makes three edits to warm it, then measures ``--edits`` edits. Each edit toggles one
``invoke_later`` route string between a route that exists and a misspelt one, so the findings
really change (an SHP401 appears and goes), and the clock stops when diagnostics for that
version of the buffer arrive. Prints each latency, then the median and the 95th percentile.

Needs the ``lsp`` extra (pygls). The server's debounce (``PKGCHECK_LSP_DEBOUNCE``, 0.05 s by
default) is part of the measured time, as it is of what a user waits for.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import List, Optional, Sequence

HERE = Path(__file__).resolve().parent

from lsprotocol import types  # noqa: E402
from pygls.lsp.client import LanguageClient  # noqa: E402

ORIGINAL = 'self.invoke_later("answer",'
MISSPELT = 'self.invoke_later("answr",'


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


async def discard(stream: Optional[asyncio.StreamReader]) -> None:
    while stream is not None:
        chunk = await stream.read(65536)
        if not chunk:
            break
        if os.environ.get("PKGCHECK_BENCH_STDERR"):
            sys.stderr.write(chunk.decode(errors="replace"))


async def measure(root: Path, target: Path, edits: int) -> List[float]:
    client = LanguageClient("pkgcheck-bench", "1")
    arrived: asyncio.Queue = asyncio.Queue()  # type: ignore[type-arg]
    uri = target.as_uri()

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def published(params: types.PublishDiagnosticsParams) -> None:
        if params.uri == uri:
            arrived.put_nowait((time.perf_counter(), params))

    @client.feature(types.WINDOW_LOG_MESSAGE)
    def logged(params: types.LogMessageParams) -> None:
        print(f"server: {params.message}", file=sys.stderr, flush=True)

    environment = {**os.environ, "PYTHONPATH": str(HERE.parent)}
    await client.start_io(sys.executable, *(os.environ.get("BENCH_SERVER") or "-m linter lsp").split(), env=environment)
    drain = asyncio.ensure_future(discard(client._server.stderr))  # a full stderr pipe would block the server
    await client.initialize_async(
        types.InitializeParams(
            capabilities=types.ClientCapabilities(),
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
        )
    )
    client.initialized(types.InitializedParams())
    text = target.read_text(encoding="utf-8")
    assert ORIGINAL in text, f"{target} has no {ORIGINAL!r}"
    start = time.perf_counter()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)
        )
    )
    done, _ = await arrived.get()
    print(f"open (cold analysis of the project): {(done - start) * 1000:.0f} ms", flush=True)
    latencies: List[float] = []
    for version in range(2, edits + 5):
        misspelt = version % 2 == 0
        new = text.replace(ORIGINAL, MISSPELT) if misspelt else text
        start = time.perf_counter()
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=new)],
            )
        )
        while True:
            done, params = await asyncio.wait_for(arrived.get(), 60)
            if any(d.code == "SHP401" and "answr" in d.message for d in params.diagnostics) == misspelt:
                break
        if version >= 5:  # the first three edits warm the server
            latencies.append(done - start)
            print(f"edit {version - 4}: {(done - start) * 1000:.0f} ms", flush=True)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    drain.cancel()
    return latencies


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modules", type=int, default=200)
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--keep", type=Path, help="generate the project here (kept) instead of a temporary folder")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        root = (args.keep or Path(scratch) / "project").resolve()
        if not root.exists():
            subprocess.run(
                [sys.executable, str(HERE / "generate.py"), str(root), "--modules", str(args.modules)], check=True
            )
        target = sorted((root / "app" / "packages").glob("g*/p*.py"))[0]
        latencies = asyncio.run(measure(root, target, args.edits))
    median, p95 = statistics.median(latencies), percentile(latencies, 0.95)
    print(f"didChange -> publishDiagnostics over {len(latencies)} edits: "
          f"median {median * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
