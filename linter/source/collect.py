"""The one place that parses: source text → :class:`~linter.source.facts.ModuleFacts`.

A single hand-written walk over the syntax tree collects everything the engine needs. No metadata
providers run on this path; :func:`collect_spans` recomputes positions for a module only when
something in it is reported, by replaying the same visit with position metadata.

LibCST is imported lazily (importing it costs ~0.2 s), so a run that parses nothing never pays.


The walk stands on :mod:`~linter.source.parse` (the tree), :mod:`~linter.source.expressions`
(expressions and node ids) and :mod:`~linter.source.positions` (where the nodes are).
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional, Tuple

from linter.source.expressions import ExpressionReader, dotted_name
from linter.source.facts import (
    TRACKED_CALLS,
    AssignFact,
    CallFact,
    ClassFact,
    Expr,
    FunctionFact,
    ImportFact,
    ModuleFacts,
    ParamFact,
    Span,
)
from linter.source.parse import SyntaxProblem, deep_recursion, parse_module
from linter.source.positions import Tree, node_spans, positions_of


def collect_facts(source: str, name: str, path: str, is_package: bool = False) -> ModuleFacts:
    """Parse ``source`` once and return its facts. Raises :class:`SyntaxProblem`."""
    module = parse_module(source)
    collector = _Collector(module, name, path, is_package, keep_nodes=False)
    _walk(module, collector)
    return collector.result()


def collect_facts_and_tree(
    source: str, name: str, path: str, is_package: bool = False
) -> Tuple[ModuleFacts, Tree]:
    """:func:`collect_facts`, and the tree it walked, for a caller that may ask for positions
    in the module later (:func:`node_spans`). Raises :class:`SyntaxProblem`."""
    module = parse_module(source)
    collector = _Collector(module, name, path, is_package, keep_nodes=True)
    _walk(module, collector)
    return collector.result(), Tree(module, collector.nodes)


def collect_spans(source: str) -> Tuple[Span, ...]:
    """Positions of every reportable node of ``source``, indexed by the facts' node ids."""
    module = parse_module(source)
    collector = _Collector(module, "", "", False, keep_nodes=True)
    _walk(module, collector)
    with deep_recursion():
        try:
            positions = positions_of(module)
        except RecursionError:
            raise SyntaxProblem("cannot locate: the code is nested too deeply") from None
    spans = []
    for node in collector.nodes:
        where = positions.get(node)
        if where is None:
            spans.append(Span(1, 1, 1, 1))
        else:
            spans.append(
                Span(
                    where.start.line,
                    where.start.column + 1,
                    where.end.line,
                    where.end.column + 1,
                )
            )
    return tuple(spans)


def collect_node_spans(source: str, wanted: Iterable[int]) -> Dict[int, Optional[Span]]:
    """``collect_spans(source)[node]`` for each node id in ``wanted`` (None for an id the module
    has not), computed for those nodes only.

    The code generation behind the positions stops once the last wanted node is written, and
    records positions only for the wanted nodes (and the children LibCST takes their syntactic
    bounds from), not for each of the tree's nodes. Raises :class:`SyntaxProblem`.
    """
    module = parse_module(source)
    collector = _Collector(module, "", "", False, keep_nodes=True)
    _walk(module, collector)
    return node_spans(Tree(module, collector.nodes), wanted)


def _walk(module: Any, collector: "_Collector") -> None:
    with deep_recursion():
        try:
            collector.walk_body(module)
        except RecursionError:
            raise SyntaxProblem("cannot analyse: the code is nested too deeply") from None


#: Fields that hold only whitespace, punctuation or keywords: the walk never descends into them.
_TRIVIA_FIELDS = frozenset(
    """asynchronous colon comma comment default_indent default_newline dot empty_lines encoding
    equal first_colon footer has_trailing_newline header indent lbrace lbracket leading_lines
    leading_whitespace lines_after_decorators lpar newline operator posonly_ind rbrace rbracket
    relative rpar second_colon semicolon separator star trailing_comma trailing_whitespace
    whitespace""".split()
)
_CHILD_FIELDS: Dict[type, Tuple[str, ...]] = {}


def _child_fields(node_type: type) -> Tuple[str, ...]:
    fields = _CHILD_FIELDS.get(node_type)
    if fields is None:
        import dataclasses

        fields = tuple(
            field.name
            for field in dataclasses.fields(node_type)
            if field.name not in _TRIVIA_FIELDS and not field.name.startswith("whitespace")
        )
        _CHILD_FIELDS[node_type] = fields
    return fields


_NODE_TYPES: Dict[type, bool] = {}


def _is_node(value_type: type) -> bool:
    known = _NODE_TYPES.get(value_type)
    if known is None:
        import libcst as cst

        known = _NODE_TYPES[value_type] = issubclass(value_type, cst.CSTNode)
    return known


class _Frame:
    __slots__ = ("kind", "qualname", "builder", "conditional")

    def __init__(self, kind: str, qualname: str, builder: Any) -> None:
        self.kind = kind
        self.qualname = qualname
        self.builder = builder
        self.conditional = 0


class _Collector(ExpressionReader):
    """A hand-written walk over LibCST's node dataclasses.

    LibCST's own visitor machinery rebuilds every node as it goes (several times the cost of the
    parse); this walk only reads fields, skips trivia, and dispatches on the few node types that
    carry facts.
    """

    def __init__(
        self, module: Any, name: str, path: str, is_package: bool, keep_nodes: bool
    ) -> None:
        super().__init__(module, keep_nodes)
        cst = self.cst
        self.name = name
        self.path = path
        self.is_package = is_package
        self.imports: List[ImportFact] = []
        self.assigns: List[AssignFact] = []
        self.classes: List[ClassFact] = []
        self.functions: List[FunctionFact] = []
        self.calls: List[CallFact] = []
        self.future = False
        self.frames: List[_Frame] = [_Frame("module", "", None)]
        self.except_depth = 0
        self.leaves = frozenset(
            (
                cst.Name,
                cst.SimpleString,
                cst.Integer,
                cst.Float,
                cst.Imaginary,
                cst.Ellipsis,
                cst.Pass,
                cst.Break,
                cst.Continue,
            )
        )
        self.conditionals = frozenset(
            (
                cst.If,
                cst.For,
                cst.While,
                cst.IfExp,
                cst.ListComp,
                cst.SetComp,
                cst.DictComp,
                cst.GeneratorExp,
                cst.Lambda,
                cst.MatchCase,
            )
        )
        # Plain functions, not bound methods: a bound method would hold the collector in a
        # reference cycle with its own dict, and with it the whole syntax tree, until the cyclic
        # garbage collector ran.
        cls = type(self)
        self.handlers = {
            cst.ClassDef: cls.on_class,
            cst.FunctionDef: cls.on_function,
            cst.Import: cls.on_import,
            cst.ImportFrom: cls.on_import_from,
            cst.Assign: cls.on_assign,
            cst.AnnAssign: cls.on_ann_assign,
            cst.Call: cls.on_call,
            cst.ExceptHandler: cls.on_except,
        }

    # -- the walk --------------------------------------------------------------------------
    def walk(self, node: Any) -> None:
        node_type = type(node)
        handler = self.handlers.get(node_type)
        if handler is not None:
            handler(self, node)
        elif node_type in self.leaves:
            return
        elif node_type in self.conditionals:
            self.frame.conditional += 1
            self.descend(node)
            self.frame.conditional -= 1
        else:
            self.descend(node)

    def descend(self, node: Any) -> None:
        for field in _child_fields(type(node)):
            value = getattr(node, field)
            value_type = type(value)
            if value_type is tuple or value_type is list:
                for item in value:
                    if _is_node(type(item)):
                        self.walk(item)
            elif _is_node(value_type):
                self.walk(value)

    @property
    def frame(self) -> _Frame:
        return self.frames[-1]

    def qualname(self, name: str) -> str:
        frame = self.frame
        if frame.kind == "module":
            return name
        if frame.kind == "function":
            return f"{frame.qualname}.<locals>.{name}"
        return f"{frame.qualname}.{name}"

    def walk_body(self, body: Any) -> None:
        # IndentedBlock and SimpleStatementSuite both keep their statements in ``body``.
        for statement in body.body:
            self.walk(statement)

    def on_class(self, node: Any) -> None:
        decorators = []
        for decorator in node.decorators:
            self.walk(decorator.decorator)
            decorators.append(self.expr(decorator.decorator))
        builder: Dict[str, Any] = {
            "name": node.name.value,
            "qualname": self.qualname(node.name.value),
            "node": self.node_id(node),
            "name_node": self.node_id(node.name),
            "bases": tuple(self.expr(arg.value) for arg in node.bases if not arg.star),
            "keywords": tuple(
                (arg.keyword.value if arg.keyword else None, self.expr(arg.value))
                for arg in node.keywords
            ),
            "doc": node.get_docstring(clean=False),
            "methods": [],
            "assigns": [],
            "local": any(frame.kind == "function" for frame in self.frames),
        }
        self.frames.append(_Frame("class", builder["qualname"], builder))
        self.walk_body(node.body)
        self.frames.pop()
        b = builder
        self.classes.append(
            ClassFact(
                b["name"],
                b["qualname"],
                b["node"],
                b["name_node"],
                b["bases"],
                b["keywords"],
                b["doc"],
                tuple(b["methods"]),
                tuple(b["assigns"]),
                b["local"],
                tuple(decorators),
            )
        )

    def on_function(self, node: Any) -> None:
        outer = self.frame
        scope = outer.kind
        qualname = self.qualname(node.name.value)
        decorators = []
        for decorator in node.decorators:
            self.walk(decorator.decorator)
            inner = self.expr(decorator.decorator)
            # Report decorators at the '@', not at the expression after it.
            decorators.append(
                Expr(
                    inner.kind,
                    self.node_id(decorator),
                    inner.source,
                    inner.value,
                    inner.dotted,
                    inner.func,
                    inner.items,
                    inner.keywords,
                    inner.entries,
                    inner.op,
                )
            )
        builder: Dict[str, Any] = {
            "events": [],
            "self_assigns": [],
            "local_assigns": [],
        }
        fact_head = (
            node.name.value,
            qualname,
            self.node_id(node),
            self.node_id(node.name),
            scope,
            outer.qualname if scope == "class" else None,
            node.asynchronous is not None,
            tuple(decorators),
            self.params(node.params),
            self.expr(node.returns.annotation) if node.returns else None,
            node.get_docstring(clean=False),
        )
        self.frames.append(_Frame("function", qualname, builder))
        self.walk_body(node.body)
        self.frames.pop()
        fact = FunctionFact(
            *fact_head,
            tuple(builder["events"]),
            tuple(builder["self_assigns"]),
            tuple(builder["local_assigns"]),
        )
        if scope == "class":
            outer.builder["methods"].append(fact)
        else:
            self.functions.append(fact)

    def params(self, params: Any) -> Tuple[ParamFact, ...]:
        result = []

        def add(param: Any, kind: str) -> None:
            result.append(
                ParamFact(
                    param.name.value,
                    kind,
                    self.expr(param.annotation.annotation) if param.annotation else None,
                    self.expr(param.default) if param.default is not None else None,
                    self.node_id(param),
                )
            )

        for param in params.posonly_params:
            add(param, "posonly")
        for param in params.params:
            add(param, "normal")
        if type(params.star_arg) is self.cst.Param:
            add(params.star_arg, "vararg")
        for param in params.kwonly_params:
            add(param, "kwonly")
        if params.star_kwarg is not None:
            add(params.star_kwarg, "varkw")
        return tuple(result)

    def on_except(self, node: Any) -> None:
        self.frame.conditional += 1
        self.except_depth += 1
        self.descend(node)
        self.frame.conditional -= 1
        self.except_depth -= 1

    # -- imports ---------------------------------------------------------------------------
    def on_import(self, node: Any) -> None:
        fallback = self.except_depth > 0
        for alias in node.names:
            full = dotted_name(alias.name) or ""
            nid = self.node_id(alias)
            if alias.asname is not None:
                local = dotted_name(alias.asname.name)
                self.imports.append(ImportFact(local, full, 0, None, nid, None, fallback))
            else:
                top = full.split(".")[0]
                self.imports.append(ImportFact(top, top, 0, None, nid, full, fallback))

    def on_import_from(self, node: Any) -> None:
        cst = self.cst
        module = dotted_name(node.module) if node.module is not None else ""
        level = len(node.relative)
        fallback = self.except_depth > 0
        if type(node.names) is cst.ImportStar:
            self.imports.append(
                ImportFact(None, module or "", level, "*", self.node_id(node), None, fallback)
            )
            return
        for alias in node.names:
            name = dotted_name(alias.name) or ""
            if module == "__future__" and name == "annotations":
                self.future = True
            local = dotted_name(alias.asname.name) if alias.asname is not None else name
            self.imports.append(
                ImportFact(local, module or "", level, name, self.node_id(alias), None, fallback)
            )

    # -- assignments -----------------------------------------------------------------------
    def record_assign(self, target: Any, value: Any, annotation: Any, node: Any) -> None:
        cst = self.cst
        frame = self.frame
        if type(target) is cst.Name and frame.kind in ("module", "class"):
            fact = AssignFact(
                target.value,
                self.expr(value) if value is not None else None,
                self.expr(annotation) if annotation is not None else None,
                self.node_id(node),
            )
            if frame.kind == "module":
                self.assigns.append(fact)
            else:
                frame.builder["assigns"].append(fact)
        elif (
            frame.kind == "function"
            and type(target) is cst.Attribute
            and type(target.value) is cst.Name
            and target.value.value == "self"
            and value is not None
        ):
            frame.builder["self_assigns"].append((target.attr.value, self.expr(value)))
        elif frame.kind == "function" and type(target) is cst.Name and value is not None:
            frame.builder["local_assigns"].append((target.value, self.expr(value)))

    def on_assign(self, node: Any) -> None:
        for target in node.targets:
            self.record_assign(target.target, node.value, None, node)
        self.walk(node.value)

    def on_ann_assign(self, node: Any) -> None:
        self.record_assign(node.target, node.value, node.annotation.annotation, node)
        if node.value is not None:
            self.walk(node.value)

    # -- calls -----------------------------------------------------------------------------
    def on_call(self, node: Any) -> None:
        cst = self.cst
        func = node.func
        # ``self.name(...)``, ``super().__init__(...)`` and ``Base.__init__(self, ...)`` are
        # recorded whole: their arguments say which parameters receive the package when the
        # spec builder follows a package's (or a mixin's) __init__ into them.
        if type(func) in (cst.Attribute, cst.Name):
            method = func.attr.value if type(func) is cst.Attribute else func.value
            frame = self.frame
            if method in TRACKED_CALLS:
                self.record_call(node, func, method)
            elif frame.kind == "function" and type(func) is cst.Attribute:
                receiver = func.value
                events = frame.builder["events"]
                if type(receiver) is cst.Name and receiver.value == "self":
                    events.append(("self", self.expr(node)))
                elif (
                    method == "__init__"
                    and type(receiver) is cst.Call
                    and type(receiver.func) is cst.Name
                    and receiver.func.value == "super"
                ):
                    events.append(("super_init", self.expr(node)))
                elif method == "__init__" and dotted_name(receiver):
                    events.append(("base_init", self.expr(node)))
        self.descend(node)

    def record_call(self, node: Any, func: Any, method: str) -> None:
        cst = self.cst
        frame = self.frame
        function_qualname = None
        class_qualname = None
        for candidate in reversed(self.frames):
            if candidate.kind == "function" and function_qualname is None:
                function_qualname = candidate.qualname
            if candidate.kind == "class":
                class_qualname = candidate.qualname
                break
        fact = CallFact(
            method,
            self.expr(func.value) if type(func) is cst.Attribute else None,
            self.expr(node),
            self.node_id(node),
            frame.kind,
            class_qualname,
            function_qualname,
            frame.conditional > 0,
        )
        self.calls.append(fact)
        if frame.kind == "function":
            frame.builder["events"].append(("call", len(self.calls) - 1))

    # -- result ----------------------------------------------------------------------------
    def result(self) -> ModuleFacts:
        all_names = None
        for assign in self.assigns:
            if assign.target == "__all__" and assign.value is not None:
                if assign.value.kind in ("list", "tuple") and all(
                    item.kind == "str" for item in assign.value.items
                ):
                    all_names = tuple(item.value for item in assign.value.items)
        return ModuleFacts(
            self.name,
            self.path,
            self.is_package,
            self.future,
            self.module.get_docstring(clean=False),
            tuple(self.imports),
            tuple(self.assigns),
            tuple(self.classes),
            tuple(self.functions),
            tuple(self.calls),
            all_names,
        )
