"""``pkgcheck manifest``: print (or write) the configTemplate ``ship deploy`` would write."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import click

from linter.frontends.cli.common import EXIT_CLEAN, VERBOSE, CliError


@click.command("manifest")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--write", is_flag=True, help="Update configTemplate in steamship.json in place (nothing else changes).")
@click.option(
    "--steamship-version",
    default=None,
    metavar="RELEASE",
    help="Build the template as this steamship release does (default: the release the project uses).",
)
@click.option(
    "--steamship-path",
    type=click.Path(path_type=Path),
    default=None,
    help="Read steamship's source from here (a site-packages or the steamship package).",
)
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks of internal errors.")
@click.pass_context
def manifest_command(
    ctx: click.Context,
    path: Optional[Path],
    write: bool,
    steamship_version: Optional[str],
    steamship_path: Optional[Path],
    verbose: bool,
) -> None:
    """Print the configTemplate that `ship deploy` would write for the package at PATH.

    PATH is the package's directory or its steamship.json (default: the working directory).
    The template is built from the package's Config class without running any of its code, as
    the release the project uses builds it (types, descriptions, defaults). With --write,
    steamship.json is updated in place: only the value of configTemplate changes.
    """
    from linter.sdk.releases import ReleaseError
    from linter.tools.manifest import ManifestError, deploy_template, render_template, rewrite_template

    ctx.meta[VERBOSE] = verbose
    target = Path(os.path.abspath(path or Path(".")))
    if not target.exists():
        raise CliError(f"{path or '.'}: no such file or directory")
    directory = target if target.is_dir() else target.parent
    manifest = directory / "steamship.json" if target.is_dir() else target
    if write and not manifest.is_file():
        raise CliError(f"{manifest}: no such file; --write updates an existing steamship.json")
    try:
        result = deploy_template(directory, steamship_version, steamship_path)
    except ReleaseError as error:
        raise CliError(f"--steamship-version: {error}") from None
    except ManifestError as error:
        raise CliError(str(error)) from None
    if not write:
        click.echo(render_template(result.template), nl=False)
        ctx.exit(EXIT_CLEAN)
    from linter.frontends.cli.common import write_atomically

    try:
        data = manifest.read_bytes()
        text = data.decode("utf-8")
    except OSError as error:
        raise CliError(f"{manifest}: cannot read ({error.strerror or error})") from None
    except UnicodeDecodeError:
        raise CliError(f"{manifest}: not UTF-8 text; nothing written") from None
    try:
        new = rewrite_template(text, result.template)
    except ManifestError as error:
        raise CliError(f"{manifest}: {error}; nothing written") from None
    if new == text:
        click.echo(f"pkgcheck: configTemplate in {manifest.name} is up to date", err=True)
        ctx.exit(EXIT_CLEAN)
    try:
        write_atomically(manifest, new)
    except OSError as error:
        raise CliError(f"cannot write {manifest}: {error.strerror or error}") from None
    click.echo(f"pkgcheck: updated configTemplate in {manifest.name} (steamship {result.release})", err=True)
    ctx.exit(EXIT_CLEAN)
