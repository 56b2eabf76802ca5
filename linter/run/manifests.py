"""Check ``steamship.json`` files: the manifest rules (SHP5xx) over each manifest of a run.

A manifest is checked when it is named (or lies at the root of a project whose directory is
named): what it says about the package module beside it is reported in the manifest, at the
line and column of the key concerned, so a run over the Python files alone (flake8) never
reports it.

A manifest that is an empty object, ``{}``, is taken for what it almost always is, a bare
marker of a project's root (as ``pyproject.toml`` would be), and is not checked: deploying with
it fails, but nobody deploys with it.
"""

from __future__ import annotations

import json
import os
import traceback
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

from linter.project.index import Project, Ref
from linter.semantic.context import Context
from linter.semantic.model import Where
from linter.source.facts import ModuleFacts
from linter.source.jsondoc import JsonDoc, JsonError, read_json

MANIFEST = "steamship.json"
#: a manifest larger than this is not read: steamship's own are a few hundred bytes
MAX_BYTES = 8 * 1024 * 1024


def is_manifest(path: Path) -> bool:
    return path.name == MANIFEST


def manifest_context(project: Project, path: Path, context: Optional[Context] = None) -> "object":
    """The :class:`rules.manifest.ManifestContext` of the manifest at ``path``."""
    from linter.sdk.deploy import deploy_facts
    from linter.semantic.builder import SpecBuilder  # noqa: F401 - the context's
    from rules.manifest import ManifestContext

    doc = read_manifest(path)
    release = project.steamship.version or "(unknown release)"
    facts = deploy_facts(project.steamship.version, project.steamship.guessed)
    context = context or Context(project, [])
    manifest = ManifestContext(context, path, doc, facts, release)
    for relative in facts.api_paths:
        candidate = path.parent / relative
        if candidate.is_file():
            manifest.api_path = candidate
            break
    if manifest.api_path is None:
        manifest.has_packages = _may_define_a_package(project, context)
    else:
        loaded = project.load_path(manifest.api_path)
        manifest.api = loaded
        if isinstance(loaded, ModuleFacts):
            found: List[Ref] = []
            known = True
            for cls in loaded.classes:
                if cls.local or "." in cls.qualname:
                    continue
                ref = Ref("class", loaded.name, cls.qualname)
                verdict = context.builder.is_invocable(ref)
                if verdict is None:
                    known = False
                elif verdict:
                    found.append(ref)
            manifest.invocables = found if known or len(found) > 1 else None
    return manifest


def _may_define_a_package(project: Project, context: Context) -> bool:
    """Whether a module of the project defines a class that is, or may be, a package or plugin
    (an Invocable): the prefilter's walk of the project, then the classes of what it keeps."""
    from linter.project.scope import in_scope, project_files
    from linter.project.files import DEFAULT_EXCLUDES

    for path in in_scope(project, project_files(project, DEFAULT_EXCLUDES)):
        loaded = project.load_path(path)
        if not isinstance(loaded, ModuleFacts):
            return True  # unreadable or unparsable: it may
        for cls in loaded.classes:
            if not cls.local and context.builder.is_invocable(Ref("class", loaded.name, cls.qualname)) is not False:
                return True
    return False


def read_manifest(path: Path):  # type: ignore[no-untyped-def]
    """The manifest's document, or why it cannot be read (a :class:`JsonError`)."""
    import stat

    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            return JsonError("is not a regular file")
        if info.st_size > MAX_BYTES:
            return JsonError(f"is {info.st_size} bytes long; pkgcheck reads manifests of up to {MAX_BYTES}")
        data = path.read_bytes()
    except OSError as error:
        return JsonError(f"cannot be read ({error.strerror or error})")
    return read_json(data)


def check_manifests(
    project: Project, paths: Sequence[Path], enabled: Iterable[str]
) -> Tuple[List["object"], List[Tuple[str, str, str]]]:
    """Violations of the enabled manifest rules in each manifest of ``paths``, and the rules
    that crashed (code, message, traceback)."""
    from linter.run.checker import Violation
    from rules import load_all
    from rules.manifest import ManifestRule

    registry = load_all()
    wanted = set(enabled)
    rules = [cls() for code, cls in registry.items() if code in wanted and issubclass(cls, ManifestRule)]
    violations: List[Violation] = []
    internal: List[Tuple[str, str, str]] = []
    if not rules:
        return violations, internal
    crashed: Set[str] = set()
    context = Context(project, [])
    for path in paths:
        path = Path(os.path.abspath(path))
        marker = read_manifest(path)
        if isinstance(marker, JsonDoc) and marker.value == {}:
            continue  # a bare root marker (see the module's docstring)
        try:
            manifest = manifest_context(project, path, context)
        except Exception as error:  # noqa: BLE001 - reported, never a traceback to the user
            internal.append(("SHP5xx", f"internal error reading {path} ({type(error).__name__}: {error})",
                             traceback.format_exc()))
            continue
        for rule in rules:
            try:
                for finding in rule.check_manifest(manifest):  # type: ignore[attr-defined]
                    violations.append(_violation(project, manifest, finding, registry, Violation))
            except Exception as error:  # noqa: BLE001 - one rule must not lose the others'
                if rule.code not in crashed:
                    crashed.add(rule.code)
                    internal.append(
                        (rule.code,
                         f"internal error in {rule.code} ({type(error).__name__}: {error}); please report it",
                         traceback.format_exc())
                    )
    violations.sort(key=lambda v: (v.path, v.line, v.column, v.code, v.message))
    return violations, internal


def _violation(  # type: ignore[no-untyped-def]
    project: Project, manifest, finding, registry: Dict[str, type], violation_class
):
    from linter.run.checker import describe

    doc = manifest.doc
    if finding.place is not None:
        line, column = finding.place
        end = column + 1
    elif isinstance(doc, JsonDoc):
        line, column = doc.place(finding.key)
        key = _placed_key(doc, finding.key)
        end = column + (len(json.dumps(key, ensure_ascii=False)) if key is not None else 1)
    else:
        line, column, end = 1, 1, 2
    fields = {}
    related = []
    for name, value in finding.fields.items():
        if isinstance(value, Where):
            module = project.module(value.module)
            if module is not None and project.needs_spans(module):
                project.place(module, [value.node])
            shown, where, at = describe(project, value)
            fields[name] = shown
            if where is not None:
                related.append((where, at, name.replace("_", " ")))
        else:
            fields[name] = value
    message = registry[finding.code].message.format(**fields)
    return violation_class(finding.code, message, str(manifest.path), line, column, line, end, tuple(related))


def _placed_key(doc: JsonDoc, key: Tuple[object, ...]) -> Optional[object]:
    key = tuple(key)
    while key:
        if key in doc.keys:
            return key[-1]
        key = key[:-1]
    return None
