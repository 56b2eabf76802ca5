"""Following a package's ``__init__`` to the ``add_mixin`` calls it makes: through helpers it
calls on ``self``, base classes' constructors, and mixins' constructors handed the package.

Used by :class:`linter.semantic.builder.SpecBuilder` for the instance-level spec; the walker asks
the builder (a :class:`MixinScanner`) which classes are mixins and has it add their routes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Dict, List, Optional, Protocol, Set, Tuple

from linter.project.index import Project, Ref, class_attribute
from linter.semantic.model import PERMIT_FLAG, MixinUse, Spec, Where
from linter.source.facts import CallFact, Expr, FunctionFact, ModuleFacts


class MixinScanner(Protocol):
    """What the walker needs of the spec builder."""

    project: Project

    def is_mixin(self, ref: Optional[Ref]) -> Optional[bool]: ...

    def scan_mixin(
        self,
        spec: Spec,
        mixin: Ref,
        instance: Optional[bool],
        permit: Optional[bool],
        site: Where,
        root: Optional[Where] = None,
    ) -> None: ...


#: What a name holds, as far as ``add_mixin`` is concerned: surely the package being built
#: (``PKG``), perhaps it (``MAYBE``: pkgcheck cannot tell), or — ``None`` — something else.
PKG = "package"
MAYBE = "maybe"
#: how deep a chain of ``__init__``s, helpers and mixin constructors is followed, and how many
#: function bodies one package's walk may visit; beyond either the spec is marked incomplete
MAX_INIT_DEPTH = 20
MAX_INIT_WALKS = 2000
HANDED = "it is handed the package"


def _join(a: Optional[str], b: Optional[str]) -> Optional[str]:
    """The status of a name that holds either ``a`` or ``b``."""
    return a if a == b else MAYBE


@dataclass
class _Binding:
    """Which arguments of one call being followed hold the package.

    ``names``: the parameters (and, once the body is read, local names) holding it, PKG or
    MAYBE; ``star``: the ``*args`` tuple's elements, ``star_more`` the status of elements
    pkgcheck cannot place (``*unknown`` forwarded); ``kw`` / ``kw_more`` the same for
    ``**kwargs``.
    """

    names: Dict[str, str] = field(default_factory=dict)
    vararg: Optional[str] = None
    star: Tuple[Optional[str], ...] = ()
    star_more: Optional[str] = None
    varkw: Optional[str] = None
    kw: Dict[str, Optional[str]] = field(default_factory=dict)
    kw_more: Optional[str] = None

    @classmethod
    def unknown(cls, function: FunctionFact, bound_method: bool = True) -> "_Binding":
        """Arguments pkgcheck cannot place: any parameter may receive the package."""
        binding = cls(star_more=MAYBE, kw_more=MAYBE)
        for index, param in enumerate(function.params):
            if bound_method and index == 0 and param.kind in ("posonly", "normal"):
                continue  # self
            if param.kind == "vararg":
                binding.vararg = param.name
            elif param.kind == "varkw":
                binding.varkw = param.name
            else:
                binding.names[param.name] = MAYBE
        return binding

    def holds_package(self) -> bool:
        return bool(
            self.names
            or any(self.star)
            or self.star_more
            or any(self.kw.values())
            or self.kw_more
        )


class InitWalker:
    """Follows ``__init__`` (and what it calls on ``self``) to find ``add_mixin`` calls, also
    inside mixins' constructors that are handed the package — however deep the mixins nest,
    and through the base classes' ``__init__`` they call.

    The package is ``self`` in the package's own methods; inside a mixin it is whatever the
    mixin was handed: a parameter the constructor call bound to the package (positionally, by
    keyword, or forwarded through ``*args``/``**kwargs``), a local name or ``self.<attr>``
    assigned from one. ``add_mixin`` on something that may or may not be the package adds a
    note (the spec is then incomplete and the rules stay quiet); on anything else it is not the
    package's.
    """

    def __init__(self, builder: MixinScanner, spec: Spec, package: Ref) -> None:
        self.builder = builder
        self.project = builder.project
        self.spec = spec
        self.package = package
        self.mro, _ = self.project.mro(package)
        self.active: Set[Tuple[str, str, str]] = set()
        self.walks = 0
        #: the package's own add_mixin call being followed
        self.root_site: Optional[Where] = None

    def run(self) -> None:
        defining, function, known = self.project.lookup_attribute(self.package, "__init__")
        if isinstance(function, FunctionFact) and defining is not None:
            # The runtime instantiates a package with client/config/context: none of its
            # arguments is the package itself.
            binding = _Binding(
                vararg=_param_name(function, "vararg"), varkw=_param_name(function, "varkw")
            )
            self.walk_function(defining, function, "package", binding, {}, 0)
        elif not known:
            self.spec.notes.append("__init__ cannot be resolved")

    def note(self, text: str) -> None:
        if text not in self.spec.notes:
            self.spec.notes.append(text)

    def walk_function(
        self,
        cls: Ref,
        function: FunctionFact,
        context: str,
        binding: _Binding,
        attrs: Dict[str, Optional[str]],
        depth: int,
        mixin: Optional[Ref] = None,
    ) -> None:
        """Follow one call of ``function``; ``attrs`` are the attributes of the mixin object
        being constructed (shared by its ``__init__``, base ``__init__``s and helpers)."""
        key = (cls.module, cls.qualname, function.name)
        if key in self.active:
            # Re-entered while still running: the runtime recurses (without end, unless a
            # condition stops it). Nothing more is known.
            if context == "mixin":
                self.note(f"__init__ recursion through {function.qualname} is not followed")
            return
        if depth > MAX_INIT_DEPTH or self.walks >= MAX_INIT_WALKS:
            self.note(f"__init__ calls nest too deep to follow at {function.qualname}")
            return
        module = self.project.module(cls.module)
        if module is None:
            return
        self.walks += 1
        self.active.add(key)
        try:
            frame = replace(binding, names=dict(binding.names), kw=dict(binding.kw))
            names = frame.names
            params = {param.name for param in function.params}
            assigned: Dict[str, Optional[str]] = {}
            for name, value in function.local_assigns:
                status = self.status(value, context, frame, attrs)
                if name in assigned:
                    status = _join(assigned[name], status)
                elif name in params:
                    status = _join(names.get(name), status)
                assigned[name] = status
                if name == frame.vararg:
                    frame.vararg = None  # rebound: its elements are no longer known
                if name == frame.varkw:
                    frame.varkw = None
                if status is None:
                    names.pop(name, None)
                else:
                    names[name] = status
            if context == "mixin":
                for attr, value in function.self_assigns:
                    status = self.status(value, context, frame, attrs)
                    attrs[attr] = _join(attrs[attr], status) if attr in attrs else status
            #: constructor calls already followed in this body (``m = M(self)`` is followed
            #: where it stands; ``self.add_mixin(m)`` then only scans the mixin)
            constructed: Set[int] = set()
            for kind, payload in self._steps(module, function):
                if kind == "construct":
                    self.construct(module, payload, context, frame, attrs, depth, constructed)
                elif kind == "call":
                    call = module.calls[payload]
                    if call.method != "add_mixin" or call.receiver is None:
                        continue
                    status = self.status(call.receiver, context, frame, attrs)
                    if status == PKG:
                        self.add_mixin(
                            module, cls, function, call, context, depth, frame, attrs, constructed
                        )
                    elif status == MAYBE:
                        self.note(
                            f"add_mixin on {call.receiver.source} in {function.qualname}: "
                            "may be the package, pkgcheck cannot tell"
                        )
                elif kind == "self":
                    self.helper(payload, context, frame, attrs, depth, mixin)
                elif kind in ("super_init", "base_init"):
                    self.base_init(module, cls, kind, payload, context, frame, attrs, depth, mixin)
        finally:
            self.active.discard(key)

    def _steps(self, module: ModuleFacts, function: FunctionFact) -> List[Tuple[str, object]]:
        """The function's events, with the constructor calls assigned to a name or an
        attribute (``self.storage = StorageMixin(package)``) as ``("construct", call)`` steps,
        in source order (node ids are given in visit order)."""
        constructions = []
        for _, value in (*function.local_assigns, *function.self_assigns):
            if value.kind == "call" and value.func is not None and value.func.dotted:
                constructions.append(value)
        if not constructions:
            return list(function.events)
        steps: List[Tuple[int, str, object]] = []
        for kind, payload in function.events:
            if kind == "call":
                node = module.calls[payload].node
            else:
                node = payload.node if isinstance(payload, Expr) else -1
            steps.append((node, kind, payload))
        for value in constructions:
            steps.append((value.node, "construct", value))
        steps.sort(key=lambda step: step[0])
        return [(kind, payload) for _, kind, payload in steps]

    def construct(
        self,
        module: ModuleFacts,
        call: Expr,
        context: str,
        frame: _Binding,
        attrs: Dict[str, Optional[str]],
        depth: int,
        constructed: Set[int],
    ) -> None:
        """``x = C(...)``: a new object whose ``__init__`` may add mixins to the package it is
        handed (a mixin added later, or a helper object never added at all)."""
        assert call.func is not None
        ref = self.project.resolve(module, call.func.dotted or "")
        if ref is None or ref.kind != "class" or call.node in constructed:
            return
        constructed.add(call.node)
        defining, init, known = self.project.lookup_attribute(ref, "__init__")
        if not isinstance(init, FunctionFact) or defining is None:
            # A helper class whose __init__ pkgcheck cannot see is taken not to add mixins;
            # a mixin's may well.
            if not known and self.builder.is_mixin(ref):
                if self.bind(call, call.items, None, context, frame, attrs).holds_package():
                    self.note(f"__init__ of {ref.qualname} cannot be resolved; {HANDED}")
            return
        binding = self.bind(call, call.items, init, context, frame, attrs)
        if not binding.holds_package():
            return
        if context == "package":
            self.root_site = Where(module.name, call.node)
        self.walk_function(defining, init, "mixin", binding, {}, depth + 1, ref)

    def helper(
        self,
        call: object,
        context: str,
        frame: _Binding,
        attrs: Dict[str, Optional[str]],
        depth: int,
        mixin: Optional[Ref],
    ) -> None:
        """``self.name(...)``: a method of the same object, with the call's arguments."""
        owner = self.package if context == "package" else mixin
        if owner is None or not isinstance(call, Expr) or call.func is None or not call.func.dotted:
            return
        name = call.func.dotted.partition(".")[2]
        defining, target, _ = self.project.lookup_attribute(owner, name)
        if not isinstance(target, FunctionFact) or defining is None:
            return
        decorators = {d.dotted for d in target.decorators}
        if decorators <= {"classmethod"} and call.kind == "call":
            binding = self.bind(call, call.items, target, context, frame, attrs)
        else:
            # A static method, or a decorator that may change the signature: any parameter
            # may receive the package.
            binding = _Binding.unknown(target, "staticmethod" not in decorators)
        self.walk_function(defining, target, context, binding, attrs, depth + 1, mixin)

    def status(
        self, expr: Expr, context: str, frame: _Binding, attrs: Dict[str, Optional[str]]
    ) -> Optional[str]:
        """Whether ``expr``, evaluated in the function being followed, is the package."""
        if expr.kind == "name" and expr.dotted:
            if expr.dotted == "self":
                return PKG if context == "package" else None
            return frame.names.get(expr.dotted)
        if (
            context == "mixin"
            and expr.kind == "attribute"
            and expr.dotted is not None
            and expr.dotted.count(".") == 1
            and expr.dotted.startswith("self.")
        ):
            return attrs.get(expr.dotted[5:])
        return None

    def base_init(
        self,
        module: ModuleFacts,
        cls: Ref,
        kind: str,
        call: object,
        context: str,
        frame: _Binding,
        attrs: Dict[str, Optional[str]],
        depth: int,
        mixin: Optional[Ref],
    ) -> None:
        """``super().__init__(...)`` or ``Base.__init__(self, ...)``: the same object's base
        ``__init__``, with the arguments of the call."""
        if not isinstance(call, Expr) or call.kind != "call":
            return  # facts from before the call was recorded
        owner = self.package if context == "package" else mixin
        if owner is None:
            return
        items = call.items
        if kind == "super_init":
            found, known = self._next_init(owner, cls)
            what = f"super().__init__ in {cls.qualname}"
        else:
            base_expr = call.func.func if call.func is not None else None
            dotted = base_expr.dotted if base_expr is not None else None
            if not dotted or not items or items[0].kind != "name" or items[0].dotted != "self":
                # Another object's __init__ (``Base.__init__(other, invocable)``), or one
                # pkgcheck cannot name: what it does with the package is not followed.
                if self.bind(call, items, None, context, frame, attrs).holds_package():
                    self.note(f"__init__ called as {call.source} is not followed; {HANDED}")
                return
            items = items[1:]
            base = self.project.resolve(module, dotted)
            found, known = None, False
            if base is not None and base.kind == "class":
                defining, target, known = self.project.lookup_attribute(base, "__init__")
                if isinstance(target, FunctionFact) and defining is not None:
                    found = (defining, target)
            what = f"{dotted}.__init__"
        binding = self.bind(call, items, found[1] if found else None, context, frame, attrs)
        if found is None:
            if not known and binding.holds_package():
                self.note(f"__init__ called by {what} cannot be resolved; {HANDED}")
            return
        self.walk_function(found[0], found[1], context, binding, attrs, depth + 1, mixin)

    def bind(
        self,
        call: Expr,
        items: Tuple[Expr, ...],
        init: Optional[FunctionFact],
        context: str,
        frame: _Binding,
        attrs: Dict[str, Optional[str]],
    ) -> _Binding:
        """Which parameters of ``init`` the call's arguments that are the package land in, as
        Python binds them (``init`` None: only whether any argument may be the package)."""
        values: List[Optional[str]] = []  # positional arguments, in place
        placed = True  # False after a ``*splat`` of unknown length
        more: Optional[str] = None  # positional arguments at unknown places
        for item in items:
            if item.kind == "starred" and item.func is not None:
                inner = item.func
                if inner.kind == "name" and inner.dotted and inner.dotted == frame.vararg:
                    elements, rest = frame.star, frame.star_more  # forwarded ``*args``
                else:
                    elements, rest = (), MAYBE  # unknown contents
                if placed:
                    values.extend(elements)
                elif any(elements):
                    more = MAYBE
                if rest is not None:
                    placed = False
                    more = MAYBE
            else:
                status = self.status(item, context, frame, attrs)
                if placed:
                    values.append(status)
                elif status is not None:
                    more = MAYBE
        keywords: Dict[str, Optional[str]] = {}
        kw_more: Optional[str] = None
        for key, value in call.keywords:
            if key is not None:
                keywords[key] = self.status(value, context, frame, attrs)
            elif value.kind == "name" and value.dotted and value.dotted == frame.varkw:
                keywords.update(frame.kw)  # forwarded ``**kwargs``
                if frame.kw_more is not None:
                    kw_more = MAYBE
            else:
                kw_more = MAYBE  # unknown contents
        if init is None:
            # An __init__ pkgcheck cannot see: only whether it is handed the package at all.
            handed = any(values) or more or any(keywords.values()) or kw_more
            return _Binding(star_more=MAYBE) if handed else _Binding()
        binding = _Binding()
        params = list(init.params)
        if params and params[0].kind in ("posonly", "normal"):
            params = params[1:]  # the instance
        positional = [p for p in params if p.kind in ("posonly", "normal")]
        named = {p.name for p in params if p.kind in ("normal", "kwonly")}

        def by_keyword(name: str) -> Optional[str]:
            if name in keywords:
                return keywords[name]
            return MAYBE if kw_more else None  # perhaps in the splat, perhaps the default

        for index, param in enumerate(positional):
            if index < len(values):
                status = values[index]
            elif not placed:
                # filled from the splat, by keyword, or left to its default
                by_name = param.kind == "normal" and by_keyword(param.name)
                status = MAYBE if more or by_name else None
            elif param.kind == "normal":
                status = by_keyword(param.name)
            else:
                status = None
            if status is not None:
                binding.names[param.name] = status
        for param in params:
            if param.kind == "kwonly":
                status = by_keyword(param.name)
                if status is not None:
                    binding.names[param.name] = status
            elif param.kind == "vararg":
                binding.vararg = param.name
                binding.star = tuple(values[len(positional) :])
                binding.star_more = more if not placed else None
            elif param.kind == "varkw":
                binding.varkw = param.name
                binding.kw = {k: v for k, v in keywords.items() if k not in named and v is not None}
                binding.kw_more = kw_more
        return binding

    def _next_init(
        self, owner: Ref, after: Ref
    ) -> Tuple[Optional[Tuple[Ref, FunctionFact]], bool]:
        """The ``__init__`` that ``super().__init__`` in class ``after`` calls on an ``owner``
        object, and whether pkgcheck knows (False: a class on the way it cannot see)."""
        mro, complete = self.project.mro(owner)
        keys = [item.key for item in mro]
        if after.key not in keys:
            return None, False
        for item in mro[keys.index(after.key) + 1 :]:
            if item.kind != "class":
                if item.kind == "external" and item.module not in ("abc.ABC", "typing.Generic"):
                    complete = False
                continue
            cls = self.project.class_fact(item)
            if cls is None:
                return None, False
            found = class_attribute(cls, "__init__")
            if isinstance(found, FunctionFact):
                return (item, found), True
        return None, complete

    def add_mixin(
        self,
        module: ModuleFacts,
        cls: Ref,
        function: FunctionFact,
        call: CallFact,
        context: str,
        depth: int,
        frame: _Binding,
        attrs: Dict[str, Optional[str]],
        constructed: Set[int],
    ) -> None:
        args = call.call.items
        argument = call.call.keyword("mixin") or (args[0] if args else None)
        permit_expr = call.call.keyword(PERMIT_FLAG) or (args[1] if len(args) > 1 else None)
        permit: Optional[bool] = False
        if permit_expr is not None:
            permit = permit_expr.value if permit_expr.kind == "bool" else None
        site = Where(module.name, call.node)
        if context == "package":
            self.root_site = site
        use = MixinUse(
            "instance", site, None, "unknown", permit, call, function.qualname, call.conditional,
            root=self.root_site,
        )
        self.spec.mixin_uses.append(use)
        if permit_expr is not None and self.project.behaviour.permit_keyword is None:
            self.spec.fails = True  # add_mixin takes no flag before steamship 2.17.7: TypeError
            return
        construct = self._constructor(function, argument, cls)
        if construct is None:
            self.spec.notes.append(f"add_mixin argument {argument.source if argument else '?'} unknown")
            return
        kind, mixin_ref, ctor = construct
        use.mixin = mixin_ref
        use.argument = kind
        use.construct = ctor
        if kind != "instance" or mixin_ref is None:
            return
        if self.builder.is_mixin(mixin_ref) is None:
            self.spec.notes.append(f"add_mixin argument {argument.source if argument else '?'}: class unknown")
            return
        # add_mixin scans any class's routes, a PackageMixin or not (SHP307 says so).
        # The argument is evaluated first: the mixin's constructor may add mixins itself.
        if ctor is not None and ctor.node not in constructed:
            constructed.add(ctor.node)
            self._walk_constructor(mixin_ref, ctor, context, frame, attrs, depth)
        self.builder.scan_mixin(self.spec, mixin_ref, True, permit, site, self.root_site)

    def _constructor(
        self, function: FunctionFact, argument: Optional[Expr], cls: Ref
    ) -> Optional[Tuple[str, Optional[Ref], Optional[Expr]]]:
        module = self.project.module(cls.module)
        if argument is None or module is None:
            return None
        expr = argument
        # Follow one local or self-attribute assignment: ``m = M(...); self.add_mixin(m)``.
        if expr.kind == "name":
            for name, value in reversed(function.local_assigns):
                if name == expr.dotted:
                    expr = value
                    break
        elif expr.kind == "attribute" and expr.dotted and expr.dotted.startswith("self."):
            attr = expr.dotted[5:]
            for name, value in reversed(function.self_assigns):
                if name == attr:
                    expr = value
                    break
        if expr.kind == "call" and expr.func is not None and expr.func.dotted:
            ref = self.project.resolve(module, expr.func.dotted)
            if ref is None:
                return None
            if ref.kind == "class":
                return ("instance", ref, expr)
            if ref.kind == "function":
                # A factory: trust its return annotation, else the result is unknown.
                returned = self._returned_class(ref)
                return ("instance", returned, None) if returned is not None else None
            return None
        if expr.kind in ("name", "attribute") and expr.dotted:
            ref = self.project.resolve(module, expr.dotted)
            if ref is not None and ref.kind == "class":
                return ("class", ref, None)
            return None
        if expr.is_literal or expr.kind in ("list", "tuple", "dict", "set", "fstring"):
            return ("other", None, None)
        return None

    def _returned_class(self, ref: Ref) -> Optional[Ref]:
        module = self.project.module(ref.module)
        if module is None:
            return None
        for function in module.functions:
            if function.scope == "module" and function.name == ref.qualname and function.returns:
                annotation = function.returns
                dotted = annotation.value if annotation.kind == "str" else annotation.dotted
                if isinstance(dotted, str) and dotted.replace(".", "").isidentifier():
                    found = self.project.resolve(module, dotted)
                    if found is not None and found.kind == "class":
                        return found
        return None

    def _walk_constructor(
        self,
        mixin: Ref,
        ctor: Expr,
        context: str,
        frame: _Binding,
        attrs: Dict[str, Optional[str]],
        depth: int,
    ) -> None:
        """``M(...)`` constructs a new mixin object: follow its ``__init__`` with the package
        bound to whichever parameters the call hands it to."""
        defining, init, known = self.project.lookup_attribute(mixin, "__init__")
        if not isinstance(init, FunctionFact) or defining is None:
            handed = self.bind(ctor, ctor.items, None, context, frame, attrs).holds_package()
            if not known and handed:
                self.note(f"__init__ of {mixin.qualname} cannot be resolved; {HANDED}")
            return
        binding = self.bind(ctor, ctor.items, init, context, frame, attrs)
        if binding.holds_package():
            self.walk_function(defining, init, "mixin", binding, {}, depth + 1, mixin)


def _param_name(function: FunctionFact, kind: str) -> Optional[str]:
    for param in function.params:
        if param.kind == kind:
            return param.name
    return None
