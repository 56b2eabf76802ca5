"""``pkgcheck diff``: the API changes between two revisions or spec files, breaking or not.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import click

from linter.frontends.cli.common import EXIT_CLEAN, EXIT_FINDINGS, VERBOSE, CliError


@click.command("diff")
@click.argument("base")
@click.argument("head", required=False, default="HEAD")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="How to print the changes.",
)
@click.option(
    "--path",
    "subdir",
    type=click.Path(path_type=Path),
    default=None,
    metavar="SUBDIR",
    help="The project directory inside the repository (default: the current directory).",
)
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks of internal errors.")
@click.pass_context
def diff_command(
    ctx: click.Context, base: str, head: str, fmt: str, subdir: Optional[Path], verbose: bool
) -> None:
    """Report the API changes between two revisions, and whether they break clients.

    BASE and HEAD (default: HEAD) are git revisions, read from the repository's object store
    (the working tree and index are not touched), or spec files (*.json) printed by
    `pkgcheck spec --extended` (a plain `pkgcheck spec` file does not say which arguments
    are optional, so a new argument in it counts as breaking). A file of either revision that
    could shape a package and does not parse is an error, not a removed route. Exit status: 1
    when a change is breaking, 0 otherwise, 2 on error.
    """
    from linter.tools.diff import DiffError, render_changes, run_diff

    ctx.meta[VERBOSE] = verbose
    try:
        changes = run_diff(base, head, path=subdir)
    except DiffError as error:
        raise CliError(str(error)) from None
    click.echo(render_changes(changes, fmt), nl=False)
    ctx.exit(EXIT_FINDINGS if any(change.breaking for change in changes) else EXIT_CLEAN)
