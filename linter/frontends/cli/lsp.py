"""``pkgcheck lsp``: the language server on stdio (needs ``pip install 'steamship-pkgcheck[lsp]'``)."""

from __future__ import annotations

import click

from linter.frontends.cli.status import EXIT_ERROR


@click.command("lsp")
@click.pass_context
def lsp_command(ctx: click.Context) -> None:
    """Serve diagnostics, quick fixes and route navigation to an editor over stdio (LSP).

    The editor runs `pkgcheck lsp`; each workspace folder is analysed with the settings,
    project boundaries and steamship release `pkgcheck check` would use.
    """
    try:
        import lsprotocol  # noqa: F401
        import pygls  # noqa: F401
    except ImportError:
        click.echo(
            "pkgcheck: error: the language server needs pygls: "
            "pip install 'steamship-pkgcheck[lsp]'",
            err=True,
        )
        ctx.exit(EXIT_ERROR)
    from linter.frontends.lsp.server import serve

    serve()
