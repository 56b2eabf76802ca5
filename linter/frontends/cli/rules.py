"""``pkgcheck rules`` (the catalogue) and ``pkgcheck rule CODE`` (one rule's documentation).
"""

from __future__ import annotations

import click

from linter.frontends.cli.common import CliError, rule_infos


@click.command("rules")
def rules_command() -> None:
    """List every rule: code, name, whether it is on by default, summary."""
    infos = list(rule_infos().values())
    name_width = max((len(info.name) for info in infos), default=4)
    click.echo(f"{'code':<7} {'name':<{name_width}}  {'default':<7}  summary")
    for info in infos:
        state = "off" if info.opt_in else "on"
        click.echo(f"{info.code:<7} {info.name:<{name_width}}  {state:<7}  {info.summary}")


@click.command("rule")
@click.argument("code")
def rule_command(code: str) -> None:
    """Print the documentation of rule CODE, such as SHP301."""
    infos = rule_infos()
    info = infos.get(code.strip().upper())
    if info is None:
        raise CliError(f"unknown rule code {code!r} (pkgcheck rules lists the codes)")
    click.echo(f"# {info.name} ({info.code})\n")
    click.echo(info.documentation)
    if info.opt_in:
        click.echo(f"\nThis rule is opt-in: enable it with --extend-select {info.code}.")
