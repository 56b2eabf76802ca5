"""The project index: finds modules on disk, loads their facts on demand, resolves names.

Names are resolved the way Python binds them — through imports, aliases, re-exports and star
imports — never by spelling: a project's own class called ``AgentService`` is not steamship's.
Steamship's own modules come from the steamship source installed beside pkgcheck (found on
``sys.path`` or in the project's virtualenv, never imported), else from the catalogue bundled
with pkgcheck (:mod:`linter.sdk.catalogue`). Anything that cannot be resolved is ``None``: callers
treat unknown as "say nothing".


The work is in three rooms, each standing on the one before: :mod:`linter.project.layout`
(module names and files), :mod:`linter.project.loader` (text, facts, positions) and this
module (what names denote).
"""

from __future__ import annotations

import builtins
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional, Set, Tuple

from linter.project.loader import Loader
from linter.sdk.locate import SteamshipSource
from linter.source.facts import ClassFact, Expr, ModuleFacts

ENUM_BASES = {"enum.Enum", "enum.IntEnum", "enum.StrEnum", "enum.Flag", "enum.IntFlag"}

#: top-level packages, besides the standard library, whose classes are certainly not steamship
#: packages or mixins: steamship depends on them, so they cannot depend on steamship
FOREIGN = frozenset({"pydantic", "typing_extensions", "requests", "aiohttp", "tiktoken"})
#: the standard library's top-level modules (Python 3.10+ lists them; 3.9 knows the common ones)
STDLIB = frozenset(
    getattr(sys, "stdlib_module_names", ())
    or {"abc", "collections", "dataclasses", "enum", "typing", "threading", "logging", "json", "io", "os"}
)


def foreign(dotted: str) -> bool:
    """Whether a name from a module pkgcheck does not analyse certainly denotes no steamship
    package or mixin: the standard library's, or a library steamship itself depends on. Any other
    package's class may subclass steamship's: its kind is unknown."""
    top = dotted.partition(".")[0]
    return top in STDLIB or top in FOREIGN


@dataclass(frozen=True)
class Ref:
    """What a name denotes.

    ``kind``: ``module`` (``module`` is its name), ``class`` / ``function`` / ``value``
    (defined at ``qualname`` in ``module``), ``attribute`` (``qualname`` is ``Class.attr``),
    ``external`` (``module`` is the dotted name as written, e.g. ``pydantic.BaseModel``, from a
    module pkgcheck does not analyse) or ``builtin``.
    """

    kind: str
    module: str
    qualname: str = ""

    @property
    def key(self) -> Tuple[str, str]:
        return (self.module, self.qualname)

    @property
    def dotted(self) -> str:
        if self.kind in ("module", "external"):
            return self.module
        if self.kind == "builtin":
            return self.qualname
        return f"{self.module}.{self.qualname}"


class Project(Loader):
    """All modules pkgcheck can see from one project root, loaded lazily and memoised, and what
    their names denote."""

    def __init__(
        self,
        root: Path,
        steamship: Optional[SteamshipSource] = None,
        overrides: Optional[Dict[Path, str]] = None,
        cache: Optional["object"] = None,
    ) -> None:
        super().__init__(root, steamship, overrides, cache)
        #: a module's path as a Path, for resolving its imports (made once, not per name)
        self._paths: Dict[str, Path] = {}
        self._resolve_memo: Dict[Tuple[str, str], Optional[Ref]] = {}
        self._subclass_memo: Dict[Tuple[Tuple[str, str], Tuple[str, str]], Optional[bool]] = {}

    # -- resolution ------------------------------------------------------------------------
    def resolve(self, module: ModuleFacts, dotted: Optional[str]) -> Optional[Ref]:
        """What ``dotted`` (``a``, ``a.b.c``) denotes at the top level of ``module``."""
        if not dotted:
            return None
        key = (module.name, dotted)
        if key in self._resolve_memo:
            return self._resolve_memo[key]
        self._resolve_memo[key] = None  # a cycle resolves to unknown
        parts = dotted.split(".")
        ref = self._lookup_global(module, parts[0], set())
        for part in parts[1:]:
            if ref is None:
                break
            ref = self.member(ref, part)
        self._resolve_memo[key] = ref
        return ref

    def _absolute(self, module: ModuleFacts, target: str, level: int) -> Optional[str]:
        if level == 0:
            return target
        package = module.name if module.is_package else module.name.rpartition(".")[0]
        parts = package.split(".") if package else []
        if level - 1 > len(parts):
            return None
        base = parts[: len(parts) - (level - 1)]
        if target:
            base.append(target)
        return ".".join(base) or None

    def _lookup_global(
        self, module: ModuleFacts, name: str, seen: Set[Tuple[str, str]]
    ) -> Optional[Ref]:
        if (module.name, name) in seen:
            return None
        seen.add((module.name, name))
        best: Optional[Tuple[int, str, object]] = None
        fallback: Optional[Tuple[int, str, object]] = None

        def offer(node: int, kind: str, item: object, is_fallback: bool = False) -> None:
            nonlocal best, fallback
            if is_fallback:
                if fallback is None:
                    fallback = (node, kind, item)
            elif best is None or node > best[0]:
                best = (node, kind, item)

        for cls in module.classes:
            if cls.qualname == name:
                offer(cls.node, "class", cls)
        for function in module.functions:
            if function.scope == "module" and function.name == name:
                offer(function.node, "function", function)
        for assign in module.assigns:
            if assign.target == name and assign.value is not None:
                offer(assign.node, "assign", assign)
        for imported in module.imports:
            if imported.local == name:
                offer(imported.node, "import", imported, imported.fallback)
        chosen = best or fallback
        near = self._paths.get(module.path)
        if near is None:
            near = self._paths[module.path] = Path(module.path)
        if chosen is not None:
            _, kind, item = chosen
            if kind == "class":
                return Ref("class", module.name, name)
            if kind == "function":
                return Ref("function", module.name, name)
            if kind == "assign":
                value = item.value  # type: ignore[attr-defined]
                if value.kind in ("name", "attribute") and value.dotted:
                    aliased = self._resolve_in(module, value.dotted, seen)
                    if aliased is not None:
                        return aliased
                return Ref("value", module.name, name)
            imported = item
            if imported.name is None:  # type: ignore[attr-defined]
                return self._module_ref(imported.module, near)  # type: ignore[attr-defined]
            base = self._absolute(module, imported.module, imported.level)  # type: ignore
            if base is None:
                return None
            return self._from_import(base, imported.name, near, seen)  # type: ignore
        for imported in module.imports:
            if imported.name == "*":
                base = self._absolute(module, imported.module, imported.level)
                target = self.module(base, near) if base else None
                if target is None:
                    continue
                if target.all_names is not None and name not in target.all_names:
                    continue
                if target.all_names is None and name.startswith("_"):
                    continue
                found = self._lookup_global(target, name, seen)
                if found is not None:
                    return found
        if module.name == "builtins" or hasattr(builtins, name):
            return Ref("builtin", "builtins", name)
        return None

    def _resolve_in(self, module: ModuleFacts, dotted: str, seen: Set[Tuple[str, str]]) -> Optional[Ref]:
        parts = dotted.split(".")
        ref = self._lookup_global(module, parts[0], seen)
        for part in parts[1:]:
            if ref is None:
                return None
            ref = self.member(ref, part, seen)
        return ref

    def _module_ref(self, name: str, near: Optional[Path]) -> Ref:
        if self.module(name, near) is not None:
            return Ref("module", name)
        return Ref("external", name)

    def _from_import(
        self, base: str, name: str, near: Optional[Path], seen: Set[Tuple[str, str]]
    ) -> Optional[Ref]:
        target = self.module(base, near)
        if target is None:
            return Ref("external", f"{base}.{name}")
        found = self._lookup_global(target, name, seen)
        if found is not None:
            return found
        if self.module(f"{base}.{name}", near) is not None:
            return Ref("module", f"{base}.{name}")
        return None

    def member(
        self, ref: Ref, attr: str, seen: Optional[Set[Tuple[str, str]]] = None
    ) -> Optional[Ref]:
        """What ``<ref>.<attr>`` denotes."""
        seen = seen if seen is not None else set()
        if ref.kind == "module":
            module = self.module(ref.module)
            if module is None:
                return Ref("external", f"{ref.module}.{attr}")
            found = self._lookup_global(module, attr, seen)
            if found is not None:
                return found
            if self.module(f"{ref.module}.{attr}") is not None:
                return Ref("module", f"{ref.module}.{attr}")
            return None
        if ref.kind == "external":
            return Ref("external", f"{ref.module}.{attr}")
        if ref.kind == "class":
            module = self.module(ref.module)
            if module is not None and module.class_(f"{ref.qualname}.{attr}") is not None:
                return Ref("class", ref.module, f"{ref.qualname}.{attr}")
            return Ref("attribute", ref.module, f"{ref.qualname}.{attr}")
        return None

    def constant(self, module: ModuleFacts, expr: Optional[Expr], depth: int = 0) -> Tuple[bool, object]:
        """(known, value) of a literal, a simple f-string, or a name bound to one at module
        level (``TIMEOUT = 30``; ``f"{PREFIX}.json"``)."""
        if expr is None or depth > 8:
            return False, None
        if expr.is_literal:
            return True, expr.value
        if expr.kind == "fstring" and expr.items:
            pieces = []
            for part in expr.items:
                known, value = self.constant(module, part, depth + 1)
                if not known or not isinstance(value, str):
                    return False, None
                pieces.append(value)
            return True, "".join(pieces)
        if expr.kind in ("name", "attribute") and expr.dotted:
            ref = self.resolve(module, expr.dotted)
            if ref is not None and ref.kind == "value":
                target = self.module(ref.module)
                if target is not None:
                    for assign in reversed(target.assigns):
                        if assign.target == ref.qualname:
                            return self.constant(target, assign.value, depth + 1)
            if ref is not None and ref.kind == "attribute":
                return self._enum_member_value(ref, depth)
        return False, None

    def _enum_member_value(self, ref: Ref, depth: int) -> Tuple[bool, object]:
        """A member of a ``str``/``int`` Enum *is* a str/int (``Verb.POST``): its value."""
        owner_name, _, member = ref.qualname.rpartition(".")
        owner = Ref("class", ref.module, owner_name)
        cls = self.class_fact(owner)
        if cls is None or not self.is_enum(owner):
            return False, None
        mro, _ = self.mro(owner)
        mixed = {item.qualname for item in mro if item.kind == "builtin"}
        if not mixed & {"str", "int", "float"}:
            return False, None
        assign = cls.assign(member)
        module = self.module(ref.module)
        if assign is None or module is None:
            return False, None
        return self.constant(module, assign.value, depth + 1)

    def assigned_expr(
        self, module: ModuleFacts, expr: Optional[Expr], depth: int = 0
    ) -> Tuple[ModuleFacts, Optional[Expr]]:
        """``expr`` itself, or for a name bound at module level (here or through imports) the
        expression assigned to it, with the module it is written in."""
        if expr is None or depth > 8:
            return module, expr
        if expr.kind in ("name", "attribute") and expr.dotted:
            ref = self.resolve(module, expr.dotted)
            if ref is not None and ref.kind == "value":
                target = self.module(ref.module)
                if target is not None:
                    for assign in reversed(target.assigns):
                        if assign.target == ref.qualname and assign.value is not None:
                            return self.assigned_expr(target, assign.value, depth + 1)
        return module, expr

    # -- classes ---------------------------------------------------------------------------
    def class_fact(self, ref: Ref) -> Optional[ClassFact]:
        if ref.kind != "class":
            return None
        module = self.module(ref.module)
        return module.class_(ref.qualname) if module is not None else None

    def class_module(self, ref: Ref) -> Optional[ModuleFacts]:
        return self.module(ref.module) if ref.kind == "class" else None

    def bases(self, ref: Ref) -> List[Optional[Ref]]:
        """The resolved bases of a class, ``None`` for a base that cannot be resolved."""
        cls = self.class_fact(ref)
        module = self.class_module(ref)
        if cls is None or module is None:
            return []
        result: List[Optional[Ref]] = []
        for base in cls.bases:
            dotted = base.dotted
            result.append(self.resolve_expr(module, dotted, ref.qualname) if dotted else None)
        return result

    def resolve_expr(
        self, module: ModuleFacts, dotted: Optional[str], class_qualname: Optional[str] = None
    ) -> Optional[Ref]:
        """Resolve a name used inside a class body: names of enclosing classes come first
        only for qualified nested names; otherwise module scope, as Python does."""
        if not dotted:
            return None
        return self.resolve(module, dotted)

    def mro(self, ref: Ref) -> Tuple[List[Ref], bool]:
        """The C3 linearisation of a class; the flag is False when some base is unknown (the
        list then holds what is known, in order)."""
        memo: Dict[Tuple[str, str], Tuple[List[Ref], bool]] = getattr(self, "_mro_memo", {})
        self._mro_memo = memo
        if ref.key in memo:
            return memo[ref.key]
        memo[ref.key] = ([ref], False)  # inheritance cycles terminate as unknown
        complete = True
        sequences: List[List[Ref]] = []
        direct: List[Ref] = []
        for base in self.bases(ref):
            if base is None or base.kind not in ("class", "external", "builtin"):
                complete = False
                continue
            if base.kind == "class":
                base_mro, base_complete = self.mro(base)
                complete = complete and base_complete
                sequences.append(list(base_mro))
            else:
                if base.kind == "external" and not foreign(base.module):
                    # a steamship name the release in use lacks, or a class of a package pkgcheck
                    # does not read (it may subclass steamship's): unknown, not "no package"
                    complete = False
                sequences.append([base])
            direct.append(base)
        sequences.append(list(direct))
        result = [ref]
        while True:
            sequences = [seq for seq in sequences if seq]
            if not sequences:
                break
            for seq in sequences:
                head = seq[0]
                if not any(head in other[1:] for other in sequences):
                    break
            else:  # no consistent order (Python raises TypeError): keep what we have
                complete = False
                break
            result.append(head)
            for seq in sequences:
                if seq and seq[0] == head:
                    del seq[0]
        memo[ref.key] = (result, complete)
        return result, complete

    def unknown_bases(self, ref: Ref) -> List[str]:
        """The bases in ``ref``'s hierarchy whose kind pkgcheck cannot know, as written
        (``Base3`` of ``Bot``: ``some_lib.Base3``): what makes :meth:`mro` incomplete."""
        found: List[str] = []
        pending, seen = [ref], set()
        while pending:
            current = pending.pop(0)
            if current.key in seen:
                continue
            seen.add(current.key)
            cls = self.class_fact(current)
            if cls is None:
                continue
            for expr, base in zip(cls.bases, self.bases(current)):
                if base is not None and base.kind == "class":
                    pending.append(base)
                elif base is None or base.kind not in ("external", "builtin") or (
                    base.kind == "external" and not foreign(base.module)
                ):
                    written = base.module if base is not None and base.kind == "external" else expr.source
                    found.append(f"{written} (a base of {current.qualname})")
        return list(dict.fromkeys(found))

    def is_subclass(self, ref: Optional[Ref], target: Tuple[str, str]) -> Optional[bool]:
        """True / False, or None when an unresolved base leaves it open."""
        if ref is None:
            return None
        if ref.kind == "external":
            if self.is_steamship(ref.module):
                return ref.module == f"{target[0]}.{target[1]}" or None
            return False if foreign(ref.module) else None
        if ref.kind != "class":
            return False
        key = (ref.key, target)
        if key in self._subclass_memo:
            return self._subclass_memo[key]
        mro, complete = self.mro(ref)
        result: Optional[bool] = (
            True
            if any(item.kind == "class" and item.key == target for item in mro)
            else False if complete else None
        )
        self._subclass_memo[key] = result
        return result

    def is_decorated(self, ref: Ref) -> bool:
        """Whether a class decorator may have rewritten the class (``@dataclass`` writes an
        ``__init__``), on the class or a base pkgcheck can see."""
        mro, _ = self.mro(ref)
        for item in mro:
            cls = self.class_fact(item) if item.kind == "class" else None
            if cls is not None and cls.decorators:
                return True
        return False

    def is_abstract(self, ref: Ref) -> bool:
        """A class with an ``@abstractmethod`` that no class in its MRO implements: Python
        refuses to instantiate it."""
        mro, _ = self.mro(ref)
        concrete: Set[str] = set()
        for item in mro:
            cls = self.class_fact(item) if item.kind == "class" else None
            module = self.module(item.module) if cls is not None else None
            if cls is None or module is None:
                continue
            for method in cls.methods:
                if method.name in concrete:
                    continue
                abstract = any(
                    (self.resolve(module, d.dotted) or Ref("", "")).dotted == "abc.abstractmethod"
                    for d in method.decorators
                    if d.dotted
                )
                if abstract:
                    return True
                concrete.add(method.name)
        return False

    def is_enum(self, ref: Ref) -> bool:
        mro, _ = self.mro(ref)
        return any(item.kind == "external" and item.module in ENUM_BASES for item in mro)

    def lookup_attribute(self, ref: Ref, name: str) -> Tuple[Optional[Ref], Optional[object], bool]:
        """``getattr(cls, name)`` statically: (defining class, FunctionFact or AssignFact, known).

        ``known`` is False when the attribute may come from a class pkgcheck cannot see.
        """
        mro, complete = self.mro(ref)
        for item in mro:
            if item.kind != "class":
                if item.kind == "external" and item.module not in ("abc.ABC", "typing.Generic"):
                    complete = False
                continue
            cls = self.class_fact(item)
            if cls is None:
                complete = False
                continue
            found = class_attribute(cls, name)
            if found is not None:
                return item, found, True
        return None, None, complete

    def subclasses_in(self, modules: Iterable[ModuleFacts]) -> Iterator[Ref]:
        for module in modules:
            for cls in module.classes:
                yield Ref("class", module.name, cls.qualname)


def class_attribute(cls: ClassFact, name: str) -> Optional[object]:
    """The last binding of ``name`` in a class body: a FunctionFact or an AssignFact."""
    return cls.binding(name)


def class_namespace(cls: ClassFact) -> List[Tuple[str, object]]:
    """The class ``__dict__`` as Python builds it: each name at the place of its first binding,
    holding its last value."""
    order: Dict[str, object] = {}
    items: List[Tuple[int, str, object]] = [(f.node, f.name, f) for f in cls.methods]
    items.extend((a.node, a.target, a) for a in cls.assigns)
    for _, name, value in sorted(items, key=lambda item: item[0]):
        order[name] = value
    return list(order.items())
