"""``pkgcheck upgrade``: what moving the project to another steamship release would break."""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Tuple

import click

from linter.frontends.cli.common import EXIT_CLEAN, EXIT_FINDINGS, VERBOSE, CliError, no_files_note


@click.command("upgrade")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--to",
    "target",
    default=None,
    metavar="RELEASE",
    help="The steamship release to move to (default: the newest pkgcheck knows).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="How to print the report.",
)
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks of internal errors.")
@click.pass_context
def upgrade_command(
    ctx: click.Context, paths: Tuple[Path, ...], target: Optional[str], fmt: str, verbose: bool
) -> None:
    """Report what moving PATHS to another steamship release would break.

    Each project is checked with the release it uses now (the installed steamship, else the
    one its requirements pin or allow) and with RELEASE, and its package specs are built under
    both: findings that appear or go away, and routes that appear, vanish or change. Exit
    status 1 when the move adds a finding or a breaking spec change.
    """
    from linter.sdk.releases import ReleaseError
    from linter.tools.upgrade import render, target_source, upgrade
    from rules import default_codes

    ctx.meta[VERBOSE] = verbose
    targets = list(paths) or [Path(".")]
    for path in targets:
        if not path.exists():
            raise CliError(f"{path}: no such file or directory")
    try:
        source = target_source(target)
    except ReleaseError as error:
        raise CliError(f"--to: {error}") from None
    upgrades = upgrade(targets, default_codes(), source)
    if not upgrades:
        click.echo(f"pkgcheck: note: {no_files_note(targets)}", err=True)
    if source.note:
        click.echo(f"pkgcheck: note: {source.note}", err=True)
    # which release each run used is the report's own header: the other notes are said
    said = (n for item in upgrades for n in item.notices if not n.startswith("checked against steamship"))
    for notice in dict.fromkeys(said):
        click.echo(f"pkgcheck: note: {notice}", err=True)
    click.echo(render(upgrades, fmt), nl=False)
    ctx.exit(EXIT_FINDINGS if any(item.breaks for item in upgrades) else EXIT_CLEAN)
