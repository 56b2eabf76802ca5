"""What the language server knows, without any LSP type: findings for the open files (the
CLI's, with the buffers' texts in place of the files') and the route model the editor
navigates (routes with their places, ``invoke_later`` calls with the routes they reach).

The findings come from the same engine, settings files, project boundaries and release
selection as ``pkgcheck check`` (:func:`linter.frontends.cli.settings.plan_runs`,
:func:`linter.run.engine.check_group`); unsaved buffers are the project's overrides, and the
results cache makes a run after an edit re-check only what the edit can change.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from linter.frontends.cli.common import rule_infos
from linter.frontends.cli.settings import Options, Run, SettingsFinder, merge_options, plan_runs
from linter.frontends.config import per_file_ignored
from linter.frontends.reporters import RuleInfo
from linter.project.files import iter_python_files
from linter.project.index import Project, Ref
from linter.run.cache import Cache
from linter.run.checker import PARSE_ERROR, Violation
from linter.run.engine import ROOT_MARKERS
from linter.semantic.model import Route, Spec, clean_path
from linter.source.facts import ModuleFacts, Span
from linter.source.noqa import NoqaIndex

#: merge_options with nothing from a command line: the settings files alone decide
NO_COMMAND_LINE: Dict[str, object] = dict(
    select=None, extend_select=None, ignore=None, per_file_ignores=None, exclude=None,
    extend_exclude=None, fmt=None, output_file=None, steamship_path=None, steamship_version=None,
    statistics=None, show_suppressed=None, exit_zero=None, quiet=None, cache=None,
)  # fmt: skip


def settings_finder(infos: Dict[str, RuleInfo]) -> SettingsFinder:
    """The settings as ``pkgcheck check`` without options reads them (a new finder per run:
    a settings file edited while the server runs is read again)."""
    return SettingsFinder(
        lambda settings: merge_options(settings, infos, **NO_COMMAND_LINE),  # type: ignore[arg-type]
        infos,
        config_file=None,
        isolated=False,
    )


def parse_error_message(info: Optional[RuleInfo], problem: str) -> str:
    try:
        return info.message.format(problem=problem) if info and info.message else problem
    except (KeyError, IndexError, ValueError):
        return problem


class MemoryCache(Cache):
    """The engine's cache kept in memory for the server's life, over the on-disk one when the
    CLI would use that (a marked project, ``cache`` on), else alone (nothing written).

    Between two edits only the edited buffer's facts change: the other modules' facts are
    taken from here without reading or decoding an entry, and the results entry of the last
    run (what :mod:`linter.run.incremental` plans from) is the previous analysis's. Facts are
    never changed once made (positions are kept by the project, not in them), so sharing them
    between the projects of successive runs is safe.
    """

    def __init__(self, project_root: Path, disk: bool) -> None:
        super().__init__(project_root)
        self.disk = disk
        self.facts: Dict[str, ModuleFacts] = {}
        self.spans: Dict[str, Dict[int, Optional[Span]]] = {}
        self.results: Dict[str, str] = {}

    def _usable(self) -> bool:
        return self.disk and super()._usable()

    def get_facts(self, text: str, name: str, path: str, is_package: bool) -> Optional[ModuleFacts]:
        key = self.facts_key(text, name, path, is_package)
        found = self.facts.get(key)
        if found is None:
            found = super().get_facts(text, name, path, is_package)
            if found is not None:
                self.facts[key] = found
        return found

    def put_facts(self, text: str, facts: ModuleFacts) -> None:
        self.facts[self.facts_key(text, facts.name, facts.path, facts.is_package)] = facts
        super().put_facts(text, facts)

    def get_spans(self, text: str) -> Dict[int, Optional[Span]]:
        key = self.spans_key(text)
        if key not in self.spans:
            self.spans[key] = super().get_spans(text)
        return dict(self.spans[key])

    def put_spans(self, text: str, spans: Dict[int, Optional[Span]]) -> None:
        known = self.spans.setdefault(self.spans_key(text), {})
        if any(node not in known for node in spans):
            known.update(spans)
            super().put_spans(text, spans)

    def get_results(self, key: str) -> Optional[Any]:
        body = self.results.get(key)
        if body is None:
            return super().get_results(key)
        return json.loads(body)

    def put_results(self, key: str, data: Any) -> None:
        # Kept as text (the planner of the next run must get its own copy), and in memory
        # only: an entry made with unsaved buffers is of no use to a later ``pkgcheck check``.
        self.results = {key: json.dumps(data, separators=(",", ":"))}


@dataclass
class FileFindings:
    """The findings to show in one open file, and what produced them."""

    path: Path
    violations: List[Violation]
    options: Optional[Options] = None
    root: Optional[Path] = None


class Analyser:
    """Findings for open buffers, the CLI's way."""

    def __init__(self) -> None:
        self.infos = rule_infos()
        self.caches: Dict[Tuple[Path, bool], MemoryCache] = {}

    def cache_for(self, root: Path, options: Options) -> MemoryCache:
        """The project's cache: on disk too where ``pkgcheck check`` would keep one."""
        disk = bool(options.cache) and any((root / marker).exists() for marker in ROOT_MARKERS)
        cache = self.caches.get((root, disk))
        if cache is None:
            cache = self.caches[(root, disk)] = MemoryCache(root, disk)
        return cache

    def runs(self, paths: Sequence[Path]) -> List[Run]:
        return plan_runs([Path(os.path.abspath(p)) for p in paths], settings_finder(self.infos))

    def findings(self, buffers: Dict[Path, str]) -> Dict[Path, FileFindings]:
        """Each open Python file's findings with ``buffers`` (path -> text) in place of the files;
        suppressed findings (``# noqa`` in the buffer, per-file-ignores) left out, as the CLI's
        report leaves them out."""
        from linter.run.engine import check_group

        result: Dict[Path, FileFindings] = {}
        paths = sorted(p for p in buffers if p.suffix == ".py")
        if not paths:
            return result
        for run in self.runs(paths):
            options = run.options
            report = check_group(
                run.group,
                options.enabled,
                excludes=options.excludes,
                steamship_path=options.steamship_path,
                steamship_version=options.steamship_version,
                overrides=dict(buffers),
                cache=self.cache_for(run.group.root, options),  # type: ignore[arg-type]
                walk=run.walk,
            )
            violations = list(report.violations)
            if PARSE_ERROR in options.enabled:
                for failure in report.failures:
                    span = failure.span
                    violations.append(
                        Violation(
                            PARSE_ERROR,
                            parse_error_message(self.infos.get(PARSE_ERROR), failure.message),
                            failure.path,
                            span.line if span else 1,
                            span.column if span else 1,
                            span.end_line if span else 1,
                            span.end_column if span else 1,
                        )
                    )
            for file in run.group.files:
                result[file] = FileFindings(file, [], options, run.group.root)
            for violation in violations:
                path = Path(violation.path)
                if path not in result:
                    continue
                text = buffers.get(path)
                if per_file_ignored(options.per_file_ignores, violation.path, violation.code):
                    continue
                if text is not None and NoqaIndex(text).suppression(violation.code, violation.line):
                    continue
                result[path].violations.append(violation)
        for found in result.values():
            found.violations.sort(key=lambda v: (v.line, v.column, v.code, v.message))
        return result


# -- the route model ------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    path: Path
    span: Span


@dataclass
class RouteSite:
    """A route a package serves, with where its method is written."""

    route: Route
    spec: Spec
    #: the decorator's path string, the def's name
    path_string: Optional[Place]
    def_name: Optional[Place]

    @property
    def key(self) -> Tuple[str, str, str]:
        decl = self.route.decl
        assert decl is not None
        return (decl.declared_in.module, decl.declared_in.qualname, decl.method_name)


@dataclass
class CallSite:
    """An ``invoke_later`` call: its route string, verb argument and the routes it reaches."""

    path: Optional[str]
    verb: Optional[str]
    method_string: Optional[Place]
    verb_place: Optional[Place]
    call_place: Optional[Place]
    targets: List[RouteSite] = field(default_factory=list)
    #: the packages that can receive it (None: cannot tell)
    packages: Optional[List[Ref]] = None


@dataclass
class MixinSite:
    place: Place
    target: Optional[Place]


@dataclass
class Model:
    """The routes and calls of the projects of the open files."""

    routes: List[RouteSite] = field(default_factory=list)
    calls: List[CallSite] = field(default_factory=list)
    mixins: List[MixinSite] = field(default_factory=list)
    #: package class -> its routes, and the routes packages adding a mixin serve
    package_routes: Dict[Ref, List[RouteSite]] = field(default_factory=dict)
    #: (path, class span) of every class, with the packages whose routes its calls reach
    classes: List[Tuple[Place, List[Ref]]] = field(default_factory=list)

    def call_at(self, path: Path, line: int, column: int) -> Optional[CallSite]:
        for call in self.calls:
            for place in (call.method_string, call.verb_place):
                if place is not None and contains(place, path, line, column):
                    return call
        return None

    def route_at(self, path: Path, line: int, column: int) -> Optional[RouteSite]:
        for site in self.routes:
            for place in (site.path_string, site.def_name):
                if place is not None and contains(place, path, line, column):
                    return site
        return None

    def mixin_at(self, path: Path, line: int, column: int) -> Optional[MixinSite]:
        for site in self.mixins:
            if contains(site.place, path, line, column):
                return site
        return None

    def callers(self, site: RouteSite) -> List[CallSite]:
        return [call for call in self.calls if any(t.key == site.key for t in call.targets)]

    def receivers_at(self, path: Path, line: int) -> List[RouteSite]:
        """The routes an invoke_later written at ``line`` can name: those of the packages of
        the innermost class around it, else of every package."""
        best: Optional[Tuple[Place, List[Ref]]] = None
        for place, packages in self.classes:
            if place.path == path and place.span.line <= line <= place.span.end_line:
                if best is None or place.span.line >= best[0].span.line:
                    best = (place, packages)
        packages = best[1] if best and best[1] else list(self.package_routes)
        seen: Dict[Tuple[str, str], RouteSite] = {}
        for package in packages:
            for site in self.package_routes.get(package, []):
                seen.setdefault((site.route.verb, site.route.path), site)
        return list(seen.values())


def contains(place: Place, path: Path, line: int, column: int) -> bool:
    """Whether 1-based (line, column) lies in the place (its end included: a cursor just
    after the closing quote still means the string)."""
    if place.path != path:
        return False
    span = place.span
    if (line, column) < (span.line, span.column):
        return False
    return (line, column) <= (span.end_line, span.end_column)


def build_model(run: Run, overrides: Dict[Path, str], cache: Optional[Cache] = None) -> Model:
    """The route model of ``run``'s project, the buffers in ``overrides`` in place; ``cache`` is
    the analyser's (the facts the last analysis made), else the CLI's on-disk cache."""
    from linter.run.engine import load_files, open_project
    from linter.semantic.calls import memo_calls, route_path, verb_of
    from linter.semantic.context import Context

    options = run.options
    project = open_project(
        run.group.paths,
        options.steamship_path,
        overrides,
        cache if cache is not None else (True if options.cache else None),
        run.group.root,
        options.steamship_version,
    )
    files = list(iter_python_files([run.group.root], options.excludes))
    files.extend(p for p in run.group.files if p not in files)
    modules, _ = load_files(project, files, options.excludes)
    context = Context(project, modules)
    model = Model()
    by_key: Dict[Tuple[str, str, str], RouteSite] = {}

    def place(module_name: str, node: Optional[int]) -> Optional[Place]:
        if node is None:
            return None
        module = project.module(module_name)
        if module is None or not module.path or project.is_steamship(module.name):
            return None
        project.place(module, [node])
        span = project.span(module, node)
        return Place(Path(module.path), span) if span else None

    for package in context.packages():
        spec = context.instance_spec(package)
        if spec is None:
            continue
        sites = model.package_routes.setdefault(package, [])
        for route in spec.methods():
            decl = route.decl
            if decl is None or project.is_steamship(decl.declared_in.module):
                continue
            key = (decl.declared_in.module, decl.declared_in.qualname, decl.method_name)
            site = by_key.get(key)
            if site is None:
                module = decl.declared_in.module
                path_string = place(module, decl.path_expr.node) if decl.path_expr else None
                site = RouteSite(route, spec, path_string, place(module, decl.function.name_node))
                by_key[key] = site
                model.routes.append(site)
            sites.append(site)
        class_spec = context.class_spec(package)
        uses = list(class_spec.mixin_uses if class_spec is not None else []) + list(spec.mixin_uses)
        for use in uses:
            # a USED_MIXIN_CLASSES entry, or add_mixin's argument; else the whole add_mixin call
            node = use.construct.node if use.construct is not None else use.site.node
            where = place(use.site.module, node)
            if where is None or use.mixin is None or any(m.place == where for m in model.mixins):
                continue
            cls = context.class_where(use.mixin)
            target = place(cls.module, cls.node) if cls is not None else None
            if target is not None:
                model.mixins.append(MixinSite(where, target))
    for module, cls, ref in context.classes():
        here = place(module.name, cls.node)
        if here is None:
            continue
        if ref in model.package_routes:
            packages = [ref]
        else:
            packages = context.packages_adding(ref) if context.builder.is_mixin(ref) else []
        model.classes.append((here, packages))
    for call in memo_calls(context):
        method = call.args.get("method")
        verb_expr = call.args.get("verb")
        path = route_path(context, call)
        verb, _ = verb_of(context, call)
        site = CallSite(
            path,
            verb,
            place(call.module.name, method.node) if method is not None and method.kind == "str" else None,
            place(call.module.name, verb_expr.node) if verb_expr is not None else None,
            place(call.module.name, call.fact.call.node),
            packages=call.packages,
        )
        for package in call.packages or []:
            for target in model.package_routes.get(package, []):
                if (target.route.verb, target.route.path) == (verb, path):
                    if all(t.key != target.key for t in site.targets):
                        site.targets.append(target)
        model.calls.append(site)
    return model


def describe_route(site: RouteSite) -> str:
    """The route's spec entry as markdown."""
    route = site.route
    lines = [f"**{route.verb} {route.path}**", ""]
    if route.doc:
        lines += [route.doc, ""]
    if route.args:
        lines.append("Arguments:")
        lines += [f"- `{arg.name}`: `{arg.kind}`" for arg in route.args]
    else:
        lines.append("No arguments.")
    lines += ["", f"Returns: `{route.returns}`"]
    if route.config:
        lines.append(f"Config: `{route.config}`")
    lines.append(f"Served by: `{site.spec.name}` ({site.spec.cls.dotted})")
    if route.origin == "mixin":
        lines.append(f"From mixin: `{route.owner.dotted}`")
    return "\n".join(lines)


def signature(route: Route) -> str:
    args = ", ".join(f"{arg.name}: {arg.kind}" for arg in route.args)
    return f"{route.verb} {route.path}({args}) -> {route.returns}"


# -- text helpers ---------------------------------------------------------------------------

_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?", re.IGNORECASE)


def noqa_edit(line_text: str, code: str) -> Optional[Tuple[int, int, str]]:
    """(start, end, text) replacing part of ``line_text`` so that it suppresses ``code``;
    None when it already does (a bare ``# noqa``, or one listing the code)."""
    found = _NOQA.search(line_text)
    if found is None:
        end = len(line_text.rstrip())
        return (end, len(line_text), f"  # noqa: {code}")
    codes = found.group("codes")
    if codes is None:
        return None
    listed = [c.upper() for c in re.split(r"[,\s]+", codes) if c]
    if code in listed:
        return None
    return (found.end("codes"), found.end("codes"), f", {code}")


_STRING_START = re.compile(r"(?P<prefix>[rRuUbBfF]{0,2})(?P<quote>'''|\"\"\"|'|\")")


def string_content(source: str) -> Optional[Tuple[int, int]]:
    """(start, end) offsets of the characters between the quotes of a plain string literal's
    source; None for anything else (f-strings, concatenations, escapes)."""
    found = _STRING_START.match(source)
    if found is None or "f" in found.group("prefix").lower():
        return None
    quote = found.group("quote")
    if not source.endswith(quote) or len(source) < 2 * len(quote) + len(found.group("prefix")):
        return None
    start, end = found.end(), len(source) - len(quote)
    if "\\" in source[start:end] or quote[0] in source[start:end]:
        return None
    return start, end


def clean(path: str) -> str:
    return clean_path(path)


def module_of(project: Project, path: Path) -> Optional[ModuleFacts]:
    loaded = project.load_path(path)
    return loaded if isinstance(loaded, ModuleFacts) else None
