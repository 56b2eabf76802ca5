"""The ``pkgcheck`` command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional, Tuple

import click

from linter import __version__


@click.group()
@click.version_option(__version__, prog_name="pkgcheck")
def main() -> None:
    """Static checks for Steamship packages."""


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--level", type=click.Choice(["instance", "class"]), default="instance",
              show_default=True, help="instance: what GET /__dir__ serves; class: cls._package_spec.")
@click.option("--format", "fmt", type=click.Choice(["json"]), default="json", show_default=True)
@click.option("--steamship-path", type=click.Path(path_type=Path), default=None,
              help="A site-packages directory holding the steamship to analyse against.")
def spec(paths: Tuple[Path, ...], level: str, fmt: str, steamship_path: Optional[Path]) -> None:
    """Print the static PackageSpec of every package under PATHS."""
    from linter.engine import package_specs

    for path in paths:
        if not path.exists():
            raise click.UsageError(f"{path}: no such file or directory")
    specs, failures, _ = package_specs(list(paths), level, steamship_path)
    for failure in failures:
        click.echo(f"{failure.path}: {failure.message}", err=True)
    click.echo(json.dumps({name: s.to_dict() for name, s in sorted(specs.items())}, indent=2))
