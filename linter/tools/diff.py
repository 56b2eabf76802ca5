"""Breaking-change detection between two static specs: two git revisions, or two spec JSON files.

A change is *breaking* when a client that worked against the old package can fail against the
new one: a route removed, a path that lost a verb and gained the other, an argument removed, a
new argument without a default (steamship calls the method with the caller's keyword arguments,
so the call raises ``TypeError``), an argument whose type changed, an optional argument made
required, Enum values removed, and inside a model argument (pydantic, TypedDict: compared by
the JSON schema :mod:`linter.semantic.schemas` gives, what a caller sends) a field removed, added
required, made required or retyped. Added routes, new optional arguments and fields, and new
Enum values are compatible. A removed field counts as breaking although pydantic ignores what
a caller still sends for it: the value has no effect any more.

Specs are compared as the dicts ``pkgcheck spec`` prints (``{"module.Class": spec}``). That JSON
mirrors the runtime's ``/__dir__`` and carries no defaults nor model fields, so an argument
dict may also carry ``"required"`` (``true``/``false``) and ``"schema"``: :func:`spec_dicts`
adds them when the specs come from source (a git revision, or ``pkgcheck spec --extended``);
without a schema on both sides a model's fields are not compared. A new argument whose
``required`` is
unknown — a file printed by plain ``pkgcheck spec`` — is reported as ``argument-added-unknown``
and counted as breaking: a CI gate should rather ask a human than let a required argument
through.

Revisions are read from git's object store (``git ls-tree`` and ``git cat-file --batch``) into a
temporary directory outside the working tree, which is deleted afterwards; the working tree, the
index and the stash are never touched. A file of a revision that cannot be read, decoded or
parsed, and that could shape a package (it is in the engine's scope, or resolving a name needed
it), is an error (:class:`DiffError`, exit 2): without it a package or a route would read as
removed or added.
"""

from __future__ import annotations

import ast
import fnmatch
import json
import os
import re
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from typing import Dict, List, Mapping, Optional, Sequence, Set, Tuple

from linter.project.files import ROOT_MARKERS
from linter.project.index import Project
from linter.sdk.locate import locate_steamship
from linter.semantic.model import Spec
from linter.source.facts import ParseFailure

#: What the engine reads from a project: Python files, root markers, pinned requirements.
MATERIALISED = ("*.py", "*.pyi", "requirements*.txt", *ROOT_MARKERS)
BREAKING = "breaking"
COMPATIBLE = "compatible"


class DiffError(Exception):
    """A revision, file or path that cannot be read: the command exits 2."""


@dataclass(frozen=True)
class Change:
    #: ``package-removed``, ``package-added``, ``route-removed``, ``route-added``,
    #: ``verb-changed``, ``argument-removed``, ``argument-added-required``,
    #: ``argument-added-optional``, ``argument-added-unknown``, ``argument-type-changed``,
    #: ``argument-now-required``, ``argument-now-optional``, ``enum-values-removed``,
    #: ``enum-values-added``; inside an argument's model (by its schema): ``field-removed``,
    #: ``field-added-required``, ``field-added-optional``, ``field-now-required``,
    #: ``field-now-optional``, ``field-type-changed``, ``field-values-removed``,
    #: ``field-values-added``, and ``argument-schema-changed`` for any other change
    kind: str
    breaking: bool
    package: str
    #: ``VERB /path`` (empty for package-level changes)
    route: str
    detail: str

    def to_dict(self) -> dict:
        return asdict(self)


# -- comparing ----------------------------------------------------------------------------------


def diff_specs(old: Mapping[str, dict], new: Mapping[str, dict]) -> List[Change]:
    """The changes from ``old`` to ``new`` (spec dicts keyed ``module.Class``), sorted."""
    changes: List[Change] = []
    for package in sorted(set(old) | set(new)):
        if package not in new:
            changes.append(
                Change("package-removed", True, package, "", f"package {package} was removed")
            )
        elif package not in old:
            changes.append(
                Change("package-added", False, package, "", f"package {package} was added")
            )
        else:
            changes.extend(_diff_package(package, old[package], new[package]))
    return sorted(changes, key=lambda c: (c.package, c.route, c.kind, c.detail))


def _routes(spec: Mapping[str, object]) -> Dict[Tuple[str, str], dict]:
    methods = spec.get("methods") or []
    if not isinstance(methods, list):
        raise DiffError("a spec's 'methods' is not a list")
    return {(str(m.get("verb")), str(m.get("path"))): m for m in methods if isinstance(m, dict)}


def _diff_package(
    package: str, old: Mapping[str, object], new: Mapping[str, object]
) -> List[Change]:
    changes: List[Change] = []
    before, after = _routes(old), _routes(new)
    for path in sorted({p for _, p in before} | {p for _, p in after}):
        lost = sorted(v for v, p in before if p == path and (v, p) not in after)
        gained = sorted(v for v, p in after if p == path and (v, p) not in before)
        for verb, other in zip(lost, gained):
            changes.append(
                Change(
                    "verb-changed",
                    True,
                    package,
                    f"{verb} {path}",
                    f"{path} is now served by {other}, no longer by {verb}",
                )
            )
        for verb in lost[len(gained) :]:
            changes.append(
                Change(
                    "route-removed",
                    True,
                    package,
                    f"{verb} {path}",
                    f"route {verb} {path} was removed",
                )
            )
        for verb in gained[len(lost) :]:
            changes.append(
                Change(
                    "route-added",
                    False,
                    package,
                    f"{verb} {path}",
                    f"route {verb} {path} was added",
                )
            )
    for key in sorted(set(before) & set(after)):
        changes.extend(_diff_args(package, f"{key[0]} {key[1]}", before[key], after[key]))
    return changes


def _diff_args(package: str, route: str, old: dict, new: dict) -> List[Change]:
    changes: List[Change] = []
    before = {a["name"]: a for a in old.get("args") or [] if isinstance(a, dict) and "name" in a}
    after = {a["name"]: a for a in new.get("args") or [] if isinstance(a, dict) and "name" in a}

    def add(kind: str, breaking: bool, detail: str) -> None:
        changes.append(Change(kind, breaking, package, route, detail))

    for name in before:
        if name not in after:
            add("argument-removed", True, f"argument {name!r} was removed")
    for name, arg in after.items():
        if name in before:
            continue
        required = arg.get("required")
        if required is True:
            add("argument-added-required", True, f"required argument {name!r} was added")
        elif required is False:
            add("argument-added-optional", False, f"optional argument {name!r} was added")
        else:
            add(
                "argument-added-unknown",
                True,
                f"argument {name!r} was added and may be required "
                "(the spec JSON records no defaults)",
            )
    for name in before:
        if name not in after:
            continue
        was, now = before[name], after[name]
        if canonical_kind(str(was.get("kind"))) != canonical_kind(str(now.get("kind"))):
            add(
                "argument-type-changed",
                True,
                f"argument {name!r} changed type from {was.get('kind')} to {now.get('kind')}",
            )
        if (
            canonical_kind(str(was.get("kind"))) == canonical_kind(str(now.get("kind")))
            and not isinstance(was.get("values"), list)
            and "schema" in was
            and "schema" in now
        ):
            # the same type by name, but a model's fields may have changed under it
            for kind, breaking, detail in schema_changes(was["schema"], now["schema"]):
                add(kind, breaking, f"argument {name!r}: {detail}")
        if was.get("required") is False and now.get("required") is True:
            add("argument-now-required", True, f"argument {name!r} lost its default")
        elif was.get("required") is True and now.get("required") is False:
            add("argument-now-optional", False, f"argument {name!r} gained a default")
        old_values, new_values = was.get("values"), now.get("values")
        if isinstance(old_values, list) and isinstance(new_values, list):
            removed = [v for v in old_values if v not in new_values]
            added = [v for v in new_values if v not in old_values]
            if removed:
                add(
                    "enum-values-removed",
                    True,
                    f"argument {name!r} no longer accepts {', '.join(map(repr, removed))}",
                )
            if added:
                add(
                    "enum-values-added",
                    False,
                    f"argument {name!r} also accepts {', '.join(map(repr, added))}",
                )
    return changes


_ALIASES = {
    "List": "list", "Dict": "dict", "Tuple": "tuple", "Set": "set", "FrozenSet": "frozenset",
    "Type": "type", "Text": "str", "NoneType": "None",
}  # fmt: skip


def canonical_kind(kind: str) -> str:
    """A spec ``kind`` reduced to what it means, so that a module switching to
    ``from __future__ import annotations`` (``str`` instead of ``<class 'str'>``,
    ``Optional[X]`` instead of ``typing.Optional[api.X]``) does not read as a type change."""
    text = re.sub(r"<(?:class|enum|flag) '([^']*)'>", r"\1", kind)
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError):
        return text
    return _canon(tree, 0)


def _canon(node: ast.AST, depth: int) -> str:
    if depth > 20:
        return ast.unparse(node)
    if isinstance(node, ast.Constant):
        if isinstance(node.value, str):  # a forward reference
            return canonical_kind(node.value)
        return "None" if node.value is None else repr(node.value)
    if isinstance(node, ast.Name):
        return _ALIASES.get(node.id, node.id)
    if isinstance(node, ast.Attribute):
        return _ALIASES.get(node.attr, node.attr)
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "ForwardRef"
        and node.args
    ):
        return _canon(node.args[0], depth + 1)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _union([node.left, node.right], depth)
    if isinstance(node, ast.List):
        return "[" + ", ".join(_canon(e, depth + 1) for e in node.elts) + "]"
    if isinstance(node, ast.Subscript):
        base = _canon(node.value, depth + 1)
        items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if base == "Optional" and len(items) == 1:
            return _union([items[0], ast.Constant(None)], depth)
        if base == "Union":
            return _union(items, depth)
        return f"{base}[{', '.join(_canon(i, depth + 1) for i in items)}]"
    return ast.unparse(node)


def _union(items: Sequence[ast.AST], depth: int) -> str:
    members = set()
    for item in items:
        members.update(_canon(item, depth + 1).split(" | "))
    return " | ".join(sorted(members))


# -- specs from source --------------------------------------------------------------------------


def spec_dicts(specs: Mapping[str, Spec], project: Optional[Project] = None) -> Dict[str, dict]:
    """``pkgcheck spec``'s dicts, each argument with ``required`` (no default) added when the
    route's function is known, and with ``project``, its ``schema``: the JSON schema of what a
    caller sends (:mod:`linter.semantic.schemas`), models written out in place."""
    from linter.semantic.schemas import SchemaMapper

    result: Dict[str, dict] = {}
    for name, spec in sorted(specs.items()):
        data = spec.to_dict()
        mapper = SchemaMapper(project) if project is not None else None
        for route, method in zip(spec.listed(), data["methods"]):
            if route.function is None:
                continue
            params = {p.name: p for p in route.function.params}
            module = (
                project.module(route.function_class.module)
                if project is not None and route.function_class is not None
                else None
            )
            for arg in method["args"]:
                param = params.get(arg["name"])
                if param is None:
                    continue
                arg["required"] = param.default is None and param.kind not in ("vararg", "varkw")
                if mapper is not None and route.args_known:
                    schema = mapper.schema(module, param.annotation)
                    arg["schema"] = standalone(schema, mapper.components)
        result[name] = data
    return result


def standalone(
    schema: object, components: Mapping[str, dict], seen: Tuple[str, ...] = ()
) -> object:
    """``schema`` with each ``$ref`` to a component replaced by the component; a model that
    holds itself keeps its ``$ref`` where it recurs."""
    if isinstance(schema, list):
        return [standalone(item, components, seen) for item in schema]
    if not isinstance(schema, dict):
        return schema
    ref = schema.get("$ref")
    if isinstance(ref, str):
        name = ref.rpartition("/")[2]
        if name in seen or name not in components:
            return dict(schema)
        return standalone(components[name], components, (*seen, name))
    return {key: standalone(value, components, seen) for key, value in schema.items()}


# -- comparing the shapes of arguments ------------------------------------------------------------

#: keys of a JSON schema that say nothing about what is valid
_ANNOTATIONS = ("title", "description")


def _plain(schema: object) -> object:
    """``schema`` without its annotations (a field may be *called* ``title``)."""
    if isinstance(schema, list):
        return [_plain(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    plain = {}
    for key, value in schema.items():
        if key == "properties" and isinstance(value, dict):
            plain[key] = {name: _plain(field) for name, field in value.items()}
        elif key not in _ANNOTATIONS:
            plain[key] = _plain(value)
    return plain


def schema_changes(old: object, new: object, where: str = "") -> List[Tuple[str, bool, str]]:
    """(kind, breaking, detail) for how what a caller may send changed from schema ``old`` to
    ``new`` (both standalone): fields of objects removed, added, required or not any more,
    values of enums; any other difference changes the type. ``where`` names the field
    (``address.city``), empty for the argument itself."""
    return _compare(_plain(old), _plain(new), where, 0)


def _compare(old: object, new: object, where: str, depth: int) -> List[Tuple[str, bool, str]]:
    if old == new:
        return []
    field = f"field {where!r}" if where else "its type"
    if depth > 32 or not isinstance(old, dict) or not isinstance(new, dict):
        return [_retyped(old, new, field, where)]
    if _is_record(old) and _is_record(new):
        return _compare_records(old, new, where, depth)
    old_union, new_union = old.get("anyOf"), new.get("anyOf")
    if (
        isinstance(old_union, list)
        and isinstance(new_union, list)
        and len(old_union) == len(new_union)
        and set(old) == set(new) == {"anyOf"}
    ):
        found: List[Tuple[str, bool, str]] = []
        for before, after in zip(old_union, new_union):
            found.extend(_compare(before, after, where, depth + 1))
        return found
    if "enum" in old and "enum" in new and _without(old, "enum") == _without(new, "enum"):
        found = []
        removed = [v for v in old["enum"] if v not in new["enum"]]
        added = [v for v in new["enum"] if v not in old["enum"]]
        what = f"{field} " if where else ""
        if removed:
            found.append(
                ("field-values-removed", True, f"{what}no longer accepts {_values(removed)}")
            )
        if added:
            found.append(("field-values-added", False, f"{what}also accepts {_values(added)}"))
        return found
    return [_retyped(old, new, field, where)]


def _compare_records(old: dict, new: dict, where: str, depth: int) -> List[Tuple[str, bool, str]]:
    found: List[Tuple[str, bool, str]] = []
    before, after = old["properties"], new["properties"]
    was_required, now_required = set(old.get("required", ())), set(new.get("required", ()))
    prefix = f"{where}." if where else ""
    for name in before:
        if name not in after:
            found.append(("field-removed", True, f"field {prefix + name!r} was removed"))
    for name in after:
        if name in before:
            continue
        if name in now_required:
            found.append(
                ("field-added-required", True, f"required field {prefix + name!r} was added")
            )
        else:
            found.append(
                ("field-added-optional", False, f"optional field {prefix + name!r} was added")
            )
    for name in before:
        if name not in after:
            continue
        if name in now_required and name not in was_required:
            found.append(("field-now-required", True, f"field {prefix + name!r} lost its default"))
        elif name in was_required and name not in now_required:
            found.append(
                ("field-now-optional", False, f"field {prefix + name!r} gained a default")
            )
        found.extend(_compare(before[name], after[name], prefix + name, depth + 1))
    rest = ("type", "properties", "required")
    if _without(old, *rest) != _without(new, *rest):
        found.append(_retyped(old, new, f"field {where!r}" if where else "its type", where))
    return found


def _is_record(schema: dict) -> bool:
    return schema.get("type") == "object" and isinstance(schema.get("properties"), dict)


def _without(schema: dict, *keys: str) -> dict:
    return {k: v for k, v in schema.items() if k not in keys}


def _retyped(old: object, new: object, field: str, where: str) -> Tuple[str, bool, str]:
    kind = "field-type-changed" if where else "argument-schema-changed"
    return (kind, True, f"{field} changed type from {describe(old)} to {describe(new)}")


def _values(values: Sequence[object]) -> str:
    return ", ".join(map(repr, values))


def describe(schema: object, depth: int = 0) -> str:
    """A JSON schema in a few words: ``array of string``, ``integer or null``, ``object``."""
    if not isinstance(schema, dict) or depth > 4:
        return "any value"
    if "$ref" in schema:
        return str(schema["$ref"]).rpartition("/")[2]
    if "anyOf" in schema and isinstance(schema["anyOf"], list):
        return " or ".join(describe(part, depth + 1) for part in schema["anyOf"])
    if "enum" in schema and isinstance(schema["enum"], list):
        return "one of " + _values(schema["enum"])
    kind = schema.get("type")
    if isinstance(kind, list):
        return " or ".join(map(str, kind))
    if kind == "array" and isinstance(schema.get("items"), dict):
        return f"array of {describe(schema['items'], depth + 1)}"
    if kind == "object" and isinstance(schema.get("properties"), dict):
        return "object with " + (", ".join(schema["properties"]) or "no fields")
    return str(kind) if kind is not None else "any value"


def _git(repo: Path, *args: str, stdin: Optional[bytes] = None) -> bytes:
    env = dict(os.environ, GIT_OPTIONAL_LOCKS="0", GIT_TERMINAL_PROMPT="0")
    try:
        done = subprocess.run(
            ["git", "-C", str(repo), *args], input=stdin, capture_output=True, env=env, check=False
        )
    except OSError as error:
        raise DiffError(f"cannot run git: {error}") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise DiffError(f"git {args[0]}: {message[-1] if message else 'failed'}")
    return done.stdout


def repository_root(path: Path) -> Path:
    """The top of the git work tree holding ``path``."""
    try:
        return Path(_git(path, "rev-parse", "--show-toplevel").decode().strip())
    except DiffError:
        raise DiffError(
            f"{path} is not inside a git repository (spec files must end in .json)"
        ) from None


def materialise(repo_root: Path, rev: str, destination: Path) -> int:
    """Write the files of ``rev`` that the engine reads into ``destination``, from the object
    store; return how many. Symlinks and submodules are skipped: a link could point out of the
    snapshot."""
    try:
        commit = (
            _git(repo_root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
            .decode()
            .strip()
        )
    except DiffError:
        raise DiffError(f"{rev!r} is not a commit of the repository at {repo_root}") from None
    listing = _git(repo_root, "ls-tree", "-r", "-z", "--full-tree", commit)
    wanted: List[Tuple[str, PurePosixPath]] = []
    for entry in listing.split(b"\0"):
        if not entry:
            continue
        meta, _, raw_path = entry.partition(b"\t")
        mode, kind, sha = meta.decode().split(" ")
        path = PurePosixPath(raw_path.decode("utf-8", "surrogateescape"))
        if kind != "blob" or mode == "120000" or path.is_absolute() or ".." in path.parts:
            continue
        if any(fnmatch.fnmatch(path.name, pattern) for pattern in MATERIALISED):
            wanted.append((sha, path))
    if not wanted:
        return 0
    batch = _git(
        repo_root, "cat-file", "--batch", stdin=b"".join(f"{sha}\n".encode() for sha, _ in wanted)
    )
    offset = 0
    for sha, path in wanted:
        end = batch.index(b"\n", offset)
        header = batch[offset:end].decode().split(" ")
        if len(header) != 3 or header[0] != sha:
            raise DiffError(f"git cat-file: unexpected answer for {path}")
        size = int(header[2])
        content = batch[end + 1 : end + 1 + size]
        offset = end + 1 + size + 1
        target = destination.joinpath(*path.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    return len(wanted)


def specs_at_revision(
    repo_root: Path,
    rev: str,
    subpath: Optional[str] = None,
    *,
    level: str = "instance",
    steamship_path: Optional[Path] = None,
) -> Dict[str, dict]:
    """The spec dicts (with ``required``) of the packages under ``subpath`` (relative to the
    repository's top) at revision ``rev``."""
    from linter.run.engine import package_specs

    repo_root = Path(os.path.abspath(repo_root))
    if steamship_path is None:
        # the steamship the working tree would be analysed against (its virtualenv, if any)
        source = locate_steamship(None, repo_root)
        steamship_path = source.directory.parent if source.directory is not None else None
    with tempfile.TemporaryDirectory(prefix="pkgcheck-diff-") as temporary:
        snapshot = Path(temporary) / "tree"
        snapshot.mkdir()
        materialise(repo_root, rev, snapshot)
        # The repository's top holds .git: it bounds the search for the project root there,
        # as it does in the working tree.
        (snapshot / ".git").write_text("", encoding="utf-8")
        target = (
            snapshot.joinpath(*PurePosixPath(subpath).parts)
            if subpath not in (None, "", ".")
            else snapshot
        )
        if not target.exists():
            return {}  # nothing there yet (or any more): no packages
        specs, failures, project = package_specs([target], level, steamship_path)
        broken = blocking_failures(project, failures, snapshot)
        if broken:
            raise DiffError(describe_failures(broken, rev, snapshot))
        return spec_dicts(specs, project)


def blocking_failures(
    project: Project, failures: Sequence[ParseFailure], snapshot: Path
) -> List[ParseFailure]:
    """The files of ``snapshot`` whose failure to load makes its specs untrustworthy: those
    in scope (they may define a package, a mixin or a route — see :mod:`linter.project.scope`), and
    those that resolving a name needed (a module of constants, a base class). Without them a
    package or route would read as removed, or as added on the other side."""
    from linter.project.scope import in_scope, project_files
    from linter.run.engine import DEFAULT_EXCLUDES

    in_snapshot = [f for f in failures if _is_within(Path(f.path), snapshot)]
    relevant: Set[Path] = set()
    if in_snapshot:
        # whether a file is in scope can depend on any file it imports: scan them all
        files = project_files(project, DEFAULT_EXCLUDES)
        files.extend(p for p in (Path(f.path) for f in in_snapshot) if p not in files)
        relevant = set(in_scope(project, files))
    chosen = {f.path: f for f in in_snapshot if Path(f.path) in relevant}
    for failure in project.import_failures():
        if _is_within(Path(failure.path), snapshot):
            chosen.setdefault(failure.path, failure)
    return [chosen[path] for path in sorted(chosen)]


def describe_failures(failures: Sequence[ParseFailure], rev: str, snapshot: Path) -> str:
    """One line: the first file that failed at ``rev`` (relative to the repository's top),
    why, and how many more did."""
    first = failures[0]
    shown = Path(first.path).relative_to(snapshot).as_posix()
    more = len(failures) - 1
    others = f" (and {more} more file{'s' * (more != 1)})" if more else ""
    return (
        f"{shown} at {rev}: {first.message}{others}; "
        f"the API of {rev} cannot be known without it"
    )


def _is_within(path: Path, directory: Path) -> bool:
    try:
        Path(os.path.abspath(path)).relative_to(directory)
    except ValueError:
        return False
    return True


def load_spec_file(path: Path) -> Dict[str, dict]:
    """A spec JSON file as ``pkgcheck spec`` prints it."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise DiffError(f"{path}: {error.strerror or error}") from None
    except ValueError as error:
        raise DiffError(f"{path}: not JSON ({error})") from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise DiffError(f"{path}: not a pkgcheck spec (an object of package specs)")
    return data


# -- the command --------------------------------------------------------------------------------


def load_side(argument: str, cwd: Path, subpath: Optional[str]) -> Dict[str, dict]:
    """An existing ``*.json`` file is a spec file; anything else names a git revision."""
    candidate = cwd / argument
    if argument.endswith(".json") and candidate.is_file():
        return load_spec_file(candidate)
    return specs_at_revision(repository_root(cwd), argument, subpath)


def _check_spec_file(argument: str, cwd: Path) -> None:
    """A ``*.json`` argument that is no file is a mistyped spec file, unless it names a commit
    (a branch may be called ``x.json``)."""
    candidate = cwd / argument
    if not argument.endswith(".json") or candidate.is_file():
        return
    try:
        _git(repository_root(cwd), "rev-parse", "--verify", "--quiet", f"{argument}^{{commit}}")
        return
    except DiffError:
        pass
    if candidate.exists():
        raise DiffError(f"{argument}: not a file (spec files are printed by pkgcheck spec)")
    raise DiffError(f"{argument}: no such file (spec files are printed by pkgcheck spec)")


def run_diff(
    base: str, head: str = "HEAD", *, path: Optional[Path] = None, cwd: Optional[Path] = None
) -> List[Change]:
    """``pkgcheck diff BASE [HEAD] [--path SUBDIR]``: ``SUBDIR`` (default: the current
    directory) is relative to the current directory, and must be inside the repository."""
    cwd = Path(os.path.abspath(cwd or Path.cwd()))
    for argument in (base, head):
        _check_spec_file(argument, cwd)
    subpath: Optional[str] = None
    if not all(arg.endswith(".json") and (cwd / arg).is_file() for arg in (base, head)):
        top = repository_root(cwd).resolve()
        where = (cwd / path if path is not None else cwd).resolve()
        if not where.exists():
            raise DiffError(f"{path}: no such file or directory")
        try:
            subpath = where.relative_to(top).as_posix()
        except ValueError:
            raise DiffError(f"{where} is not inside the repository at {top}") from None
    return diff_specs(load_side(base, cwd, subpath), load_side(head, cwd, subpath))


def render_changes(changes: Sequence[Change], fmt: str = "text") -> str:
    breaking = sum(1 for c in changes if c.breaking)
    if fmt == "json":
        return (
            json.dumps(
                {"breaking": breaking > 0, "changes": [c.to_dict() for c in changes]}, indent=2
            )
            + "\n"
        )
    lines = []
    for change in changes:
        label = BREAKING if change.breaking else COMPATIBLE
        where = f"{change.package} {change.route}".rstrip()
        lines.append(f"{label:<10} {where}: {change.detail}")
    compatible = len(changes) - breaking
    lines.append(
        f"{breaking} breaking change{'s' * (breaking != 1)}, "
        f"{compatible} compatible change{'s' * (compatible != 1)}"
    )
    return "\n".join(lines) + "\n"
