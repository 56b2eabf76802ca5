"""Comparison of pkgcheck's reconstructed specs with the runtime oracle's, with readable diffs.

Spec shape (both sides): ``PackageSpec.dict(by_alias=True)``, i.e.
``{name, doc, sdkVersion, usedMixins, methods: [{path, verb, returns, doc, args: [{name, kind,
values}], config, className}]}``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Tuple

LEVELS = ("class", "instance")

# Compared exactly, per package.
PACKAGE_FIELDS = ("name", "doc", "sdkVersion", "usedMixins")
# Compared exactly, per route (args: the list of names).
ROUTE_FIELDS = ("className", "args", "config")
# Compared exactly, per route, in a separate test.
DETAIL_FIELDS = ("doc", "values")
# Compared as an agreement ratio over all oracle inputs.
SOFT_FIELDS = ("returns", "kind")

Route = Tuple[str, str]  # (verb, path)


def route_label(route: Route) -> str:
    return f"{route[0]} {route[1]}"


def route_sort_key(route: Route) -> Tuple[str, str]:
    return (route[1], route[0])


def short(value: Any, limit: int = 300) -> str:
    text = json.dumps(value, sort_keys=True, default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def is_error(entry: Any) -> bool:
    return isinstance(entry, dict) and "error" in entry and "methods" not in entry


def module_of(key: str, modules: Iterable[str]) -> Optional[str]:
    """The longest discovered module name that is a dotted prefix of ``key``."""
    best = None
    for mod in modules:
        if key.startswith(mod + ".") and (best is None or len(mod) > len(best)):
            best = mod
    return best


def methods_by_route(spec: Dict[str, Any]) -> Tuple[Dict[Route, Dict[str, Any]], List[Route]]:
    """Map (verb, path) -> method; also return routes listed more than once."""
    mapping: Dict[Route, Dict[str, Any]] = {}
    dups: List[Route] = []
    for method in spec.get("methods") or []:
        route = (str(method.get("verb")), str(method.get("path")))
        if route in mapping:
            dups.append(route)
        mapping[route] = method
    return mapping, dups


def arg_names(method: Dict[str, Any]) -> List[str]:
    return [a.get("name") for a in (method.get("args") or [])]


@dataclass
class LevelSplit:
    """Which runtime packages can be compared at one level, and which are skipped and why."""

    comparable: Dict[str, Dict[str, Any]] = field(default_factory=dict)
    skipped: Dict[str, str] = field(default_factory=dict)  # key -> reason
    failed_modules: Dict[str, str] = field(default_factory=dict)  # module -> error


def split_runtime(runtime: Dict[str, Any], level: str) -> LevelSplit:
    out = LevelSplit()
    for err in runtime.get("errors", []):
        if "module" in err:
            out.failed_modules[err["module"]] = err["error"]
    for key, entry in runtime.get("packages", {}).items():
        spec = entry.get(level)
        class_spec = entry.get("class")
        if is_error(class_spec):
            out.skipped[key] = f"runtime class spec failed: {class_spec['error']}"
        elif is_error(spec):
            out.skipped[key] = f"runtime raised at instantiation: {spec['error']}"
        else:
            out.comparable[key] = spec
    return out


def compare_package(expected: Dict[str, Any], actual: Any) -> List[str]:
    """Exact comparison of one package (runtime ``expected`` vs pkgcheck ``actual``).

    Returns human-readable difference lines (empty if equal on the strict fields).
    """
    if not isinstance(actual, dict):
        return [f"pkgcheck gave a {type(actual).__name__}, not a spec object: {short(actual)}"]
    if is_error(actual):
        return [f"pkgcheck reported an error: {short(actual['error'])}"]
    lines: List[str] = []
    for name in PACKAGE_FIELDS:
        if expected.get(name) != actual.get(name):
            lines.append(
                f"{name}: runtime {short(expected.get(name))} != pkgcheck {short(actual.get(name))}"
            )
    exp_routes, exp_dups = methods_by_route(expected)
    act_routes, act_dups = methods_by_route(actual)
    if sorted(act_dups) != sorted(exp_dups):  # a release before 2.17.0 lists every registration
        lines.append(
            "routes listed more than once: runtime "
            + (", ".join(route_label(r) for r in sorted(exp_dups, key=route_sort_key)) or "none")
            + "; pkgcheck "
            + (", ".join(route_label(r) for r in sorted(act_dups, key=route_sort_key)) or "none")
        )
    only_rt = sorted(set(exp_routes) - set(act_routes), key=route_sort_key)
    only_pc = sorted(set(act_routes) - set(exp_routes), key=route_sort_key)
    if only_rt:
        lines.append("routes only in runtime : " + ", ".join(route_label(r) for r in only_rt))
        for r in only_rt:
            m = exp_routes[r]
            lines.append(
                f"    {route_label(r)}: className={m.get('className')!r} args={arg_names(m)}"
                f" config={short(m.get('config'))}"
            )
    if only_pc:
        lines.append("routes only in pkgcheck: " + ", ".join(route_label(r) for r in only_pc))
        for r in only_pc:
            m = act_routes[r]
            lines.append(
                f"    {route_label(r)}: className={m.get('className')!r} args={arg_names(m)}"
                f" config={short(m.get('config'))}"
            )
    for r in sorted(set(exp_routes) & set(act_routes), key=route_sort_key):
        e, a = exp_routes[r], act_routes[r]
        diffs = []
        for name in ROUTE_FIELDS:
            ev = arg_names(e) if name == "args" else e.get(name)
            av = arg_names(a) if name == "args" else a.get(name)
            if ev != av:
                diffs.append(f"{name:<9}: runtime {short(ev)} != pkgcheck {short(av)}")
        if diffs:
            lines.append(route_label(r))
            lines.extend("    " + d for d in diffs)
    return lines


def compare_details(expected: Dict[str, Any], actual: Any) -> List[str]:
    """Exact comparison of method docs and enum ``values`` on routes/args present on both sides."""
    if not isinstance(actual, dict) or is_error(actual):
        return []
    lines: List[str] = []
    exp_routes, _ = methods_by_route(expected)
    act_routes, _ = methods_by_route(actual)
    for r in sorted(set(exp_routes) & set(act_routes), key=route_sort_key):
        e, a = exp_routes[r], act_routes[r]
        diffs = []
        if e.get("doc") != a.get("doc"):
            diffs.append(f"doc: runtime {short(e.get('doc'))} != pkgcheck {short(a.get('doc'))}")
        a_args = {x.get("name"): x for x in a.get("args") or []}
        for arg in e.get("args") or []:
            other = a_args.get(arg.get("name"))
            if other is not None and arg.get("values") != other.get("values"):
                diffs.append(
                    f"arg {arg.get('name')} values: runtime {short(arg.get('values'))}"
                    f" != pkgcheck {short(other.get('values'))}"
                )
        if diffs:
            lines.append(route_label(r))
            lines.extend("    " + d for d in diffs)
    return lines


@dataclass(frozen=True)
class SoftComparison:
    input_id: str
    package: str
    route: Route
    field: str  # "returns" or "arg <name> kind"
    runtime: Any
    pkgcheck: Any

    @property
    def agrees(self) -> bool:
        return self.runtime == self.pkgcheck


def soft_comparisons(
    input_id: str, package: str, expected: Dict[str, Any], actual: Any
) -> List[SoftComparison]:
    """kind/returns comparisons for routes (and args, matched by name) present on both sides."""
    if not isinstance(actual, dict) or is_error(actual):
        return []
    out: List[SoftComparison] = []
    exp_routes, _ = methods_by_route(expected)
    act_routes, _ = methods_by_route(actual)
    for r in sorted(set(exp_routes) & set(act_routes), key=route_sort_key):
        e, a = exp_routes[r], act_routes[r]
        out.append(SoftComparison(input_id, package, r, "returns", e.get("returns"), a.get("returns")))
        a_args = {x.get("name"): x for x in a.get("args") or []}
        for arg in e.get("args") or []:
            other = a_args.get(arg.get("name"))
            if other is not None:
                out.append(
                    SoftComparison(
                        input_id, package, r, f"arg {arg.get('name')} kind",
                        arg.get("kind"), other.get("kind"),
                    )
                )
    return out


def compare_level(
    runtime: Dict[str, Any], pkgcheck: Dict[str, Any], level: str
) -> Tuple[Dict[str, List[str]], LevelSplit]:
    """Compare every comparable runtime package at ``level``.

    Returns ({package key or '<packages>': difference lines}, split). Only packages with
    differences appear in the dict.
    """
    split = split_runtime(runtime, level)
    modules = runtime.get("modules", [])
    problems: Dict[str, List[str]] = {}

    missing = sorted(k for k in split.comparable if k not in pkgcheck)
    known = set(runtime.get("packages", {}))
    extra = []
    for key in sorted(pkgcheck):
        if key in known:
            continue
        mod = module_of(key, modules)
        if mod is not None and mod in split.failed_modules:
            continue  # the runtime could not import that module: nothing to compare against
        extra.append(key)
    if missing or extra:
        lines = []
        if missing:
            lines.append("packages only in runtime : " + ", ".join(missing))
        if extra:
            lines.append("packages only in pkgcheck: " + ", ".join(extra))
        problems["<packages>"] = lines

    for key, expected in sorted(split.comparable.items()):
        if key not in pkgcheck:
            continue
        lines = compare_package(expected, pkgcheck[key])
        if lines:
            problems[key] = lines
    return problems, split


def format_problems(title: str, problems: Dict[str, List[str]]) -> str:
    out = [title]
    for key, lines in problems.items():
        out.append(f"  {key}:")
        out.extend("      " + line for line in lines)
    return "\n".join(out)
