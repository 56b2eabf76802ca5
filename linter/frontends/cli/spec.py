"""``pkgcheck spec``: the static PackageSpec of every package, as JSON or OpenAPI.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Dict, List, Optional, Sequence, Tuple

import click

from linter.frontends.cli.common import (
    VERBOSE,
    CliError,
    check_steamship_path,
    check_steamship_version,
    no_files_note,
    steamship_version_option,
)

if TYPE_CHECKING:
    from linter.run.engine import NamedSpec, ProjectSpecs


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--level",
    type=click.Choice(["instance", "class"]),
    default="instance",
    show_default=True,
    help="instance: what GET /__dir__ serves; class: cls._package_spec.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "openapi"]),
    default="json",
    show_default=True,
    help="json: the specs as GET /__dir__ serves them; openapi: OpenAPI 3.1, one per package.",
)
@click.option(
    "--package",
    default=None,
    metavar="NAME",
    help="Only this package (module.Class, or Class when unambiguous); with --format openapi, "
    "print its bare document.",
)
@click.option(
    "--include-reserved",
    is_flag=True,
    help="With --format openapi, also list the reserved routes (/__dir__, /__instance_init__).",
)
@click.option(
    "--extended",
    is_flag=True,
    help="With --format json, give each argument what steamship's spec leaves out and "
    "`pkgcheck diff` compares: `required` (it has no default) and `schema` (the JSON schema "
    "of what a caller sends, models written out).",
)
@click.option(
    "--steamship-path",
    type=click.Path(path_type=Path),
    default=None,
    help="A site-packages directory holding the steamship to analyse against.",
)
@steamship_version_option
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks of internal errors.")
@click.pass_context
def spec(
    ctx: click.Context,
    paths: Tuple[Path, ...],
    level: str,
    fmt: str,
    package: Optional[str],
    include_reserved: bool,
    extended: bool,
    steamship_path: Optional[Path],
    steamship_version: Optional[str],
    verbose: bool,
) -> None:
    """Print the static PackageSpec of every package under PATHS.

    PATHS in several projects (directories holding a root marker such as pyproject.toml or
    steamship.json) are read project by project, and each package's name is prefixed with its
    project's directory (relative to the directory holding them all) and a colon.
    """
    from linter.run.checker import release_notices, unmodelled_runtime
    from linter.run.engine import project_specs, qualified_specs

    ctx.meta[VERBOSE] = verbose
    if extended and fmt != "json":
        raise CliError("--extended applies to --format json only")
    for path in paths:
        if not path.exists():
            raise CliError(f"{path}: no such file or directory")
    if steamship_path is not None:
        check_steamship_path(steamship_path, "--steamship-path")
    if steamship_version is not None:
        check_steamship_version(steamship_version, "--steamship-version")
    groups = project_specs(list(paths), level, steamship_path, steamship_version=steamship_version)
    said = [
        notice
        for group in groups
        for notice in release_notices(
            group.project,
            unmodelled_runtime(group.project),
            "these specs are built as those releases build them",
        )
    ]
    said += [
        f"steamship {group.project.steamship.version} has no PackageSpec nor /__dir__: "
        "shown is each App's route table"
        for group in groups
        if not group.project.behaviour.has_spec
    ]
    for notice in dict.fromkeys(said):
        click.echo(f"pkgcheck: note: {notice}", err=True)
    if not groups:
        # as `check` says it: an empty result must not pass for a project without packages
        click.echo(f"pkgcheck: note: {no_files_note(paths)}", err=True)
    for group in groups:
        for failure in group.failures:
            click.echo(f"{failure.path}: {failure.message}", err=True)
    named = qualified_specs(groups)
    for notice in completeness_notes(groups, named):
        click.echo(f"pkgcheck: note: {notice}", err=True)
    if package is not None:
        from linter.tools.openapi import find_package

        try:
            chosen = find_package(named, package)
        except LookupError as error:
            raise CliError(str(error)) from None
        named = {chosen: named[chosen]}
    if fmt == "openapi":
        from linter.tools.openapi import openapi_document

        documents = {
            key: openapi_document(
                found.name, found.spec, found.project, include_reserved=include_reserved
            )
            for key, found in sorted(named.items())
        }
        # one package asked for: its bare document, which OpenAPI tools read as is
        shown = next(iter(documents.values())) if package is not None else documents
        click.echo(json.dumps(shown, indent=2))
        return
    if extended:
        from linter.tools.diff import spec_dicts

        shown_specs = {
            key: spec_dicts({key: found.spec}, found.project)[key] for key, found in sorted(named.items())
        }
    else:
        shown_specs = {key: found.spec.to_dict() for key, found in sorted(named.items())}
    click.echo(json.dumps(shown_specs, indent=2))


def completeness_notes(groups: Sequence["ProjectSpecs"], named: Dict[str, "NamedSpec"]) -> List[str]:
    """What the specs shown may lack, and why: a spec some of whose routes cannot be known (an
    unresolvable base, mixin or path), and a module name two files could answer to."""
    notes = [
        f"the spec of {key} may be incomplete: {'; '.join(found.spec.notes)}"
        for key, found in sorted(named.items())
        if found.spec.notes
    ]
    for group in groups:
        project = group.project
        notes.extend(unknown_kind_notes(group, f"{project.root.name}:" if len(groups) > 1 else ""))
        for name, (chosen, others) in sorted(project.ambiguous.items()):
            shown = ", ".join(relative_to(path, project.root) for path in others)
            read = relative_to(chosen, project.root)
            notes.append(f"module {name} could be {read} or {shown}: pkgcheck reads {read}")
    return notes


def relative_to(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def unknown_kind_notes(group: "ProjectSpecs", prefix: str) -> List[str]:
    """Classes of the checked files that may be packages: a base whose kind pkgcheck cannot
    know stands between them and steamship's package class, so no spec of theirs is shown."""
    from linter.project.index import Ref
    from linter.source.facts import ModuleFacts

    project = group.project
    target = project.behaviour.package_class
    notes = []
    for name, module in sorted(project.loaded_modules(), key=lambda item: item[0]):
        if not isinstance(module, ModuleFacts) or project.is_steamship(name):
            continue
        for cls in module.classes:
            ref = Ref("class", name, cls.qualname)
            if project.is_subclass(ref, target) is None:
                unknown = ", ".join(project.unknown_bases(ref)) or "a base"
                notes.append(
                    f"{prefix}{name}.{cls.qualname} may be a package or a mixin, but its kind cannot be known "
                    f"({unknown}): no spec is shown for it"
                )
    return notes
