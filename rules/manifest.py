"""SHP5xx: what ``ship deploy`` and the runtime's handler refuse before any route matters.

The manifest (``steamship.json``), the package module beside it (``src/api.py`` or ``api.py``),
the package's ``config_cls`` and its Config class, as the release in use reads them (facts per
release: :mod:`linter.sdk.deploy`). Findings in ``steamship.json`` are reported at the line of
the key concerned; they come from :meth:`ManifestRule.check_manifest`, which the checker runs
once per manifest named (:mod:`linter.run.manifests`). flake8 sees Python files only: it reports
SHP503 and SHP504, the CLI (and so pre-commit and SARIF) all of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, List, Mapping, Optional, Tuple, Union

from linter.project.index import Ref
from linter.sdk.deploy import DeployFacts, deploy_facts, manifest_problems
from linter.semantic.config_template import (
    UNKNOWN,
    ConfigTemplate,
    build_template,
    config_of,
    is_config_class,
)
from linter.semantic.context import Context
from linter.semantic.model import Where
from linter.source.facts import ModuleFacts, ParseFailure
from linter.source.jsondoc import JsonDoc, JsonError, KeyPath
from rules import Finding, Rule


@dataclass
class ManifestContext:
    """What the manifest rules see: one ``steamship.json`` and the package module beside it."""

    context: Context
    path: Path
    doc: Union[JsonDoc, JsonError]
    facts: DeployFacts
    #: the release in use (``2.17.34``), for messages
    release: str
    #: the package module deploy would load (None: none of ``facts.api_paths`` exists)
    api_path: Optional[Path] = None
    api: Optional[Union[ModuleFacts, ParseFailure]] = None
    #: the Invocable subclasses defined at the top of ``api``; None when pkgcheck cannot tell
    invocables: Optional[List[Ref]] = None
    #: without a package module: whether some module of the project defines a class that is
    #: (or may be) an Invocable, i.e. whether there is a package here to deploy at all
    has_packages: bool = True
    _template: Any = field(default=None, repr=False)

    @property
    def project(self):  # type: ignore[no-untyped-def]
        return self.context.project

    @property
    def package(self) -> Optional[Ref]:
        return self.invocables[0] if self.invocables is not None and len(self.invocables) == 1 else None

    def template(self) -> Optional[ConfigTemplate]:
        """The template deploy would write for the package (None: not known statically)."""
        if self._template is None:
            self._template = False
            package = self.package
            if package is not None and self.facts.template_builder is not None:
                choice = config_of(self.project, package)
                if choice.known:
                    if choice.config is None:
                        self._template = ConfigTemplate(Ref("class", "steamship.invocable.config", "Config"))
                    else:
                        self._template = build_template(self.project, choice.config, self.facts.template_builder)
        return self._template or None

    def manifest(self) -> Optional[Mapping[str, Any]]:
        if isinstance(self.doc, JsonDoc) and isinstance(self.doc.value, dict):
            return self.doc.value
        return None


@dataclass(frozen=True)
class JsonFinding:
    """A finding in ``steamship.json``: at the key ``key`` (or at ``place``, line and column)."""

    code: str
    key: KeyPath = ()
    fields: Mapping[str, object] = field(default_factory=dict)
    place: Optional[Tuple[int, int]] = None


class ManifestRule(Rule):
    """A rule over a manifest; it has nothing to say about a single Python module."""

    def check(self, context: Context) -> Iterator[Finding]:
        return iter(())

    def check_manifest(self, manifest: ManifestContext) -> Iterator[JsonFinding]:  # pragma: no cover
        raise NotImplementedError
        yield

    def at(self, key: KeyPath = (), place: Optional[Tuple[int, int]] = None, **fields: object) -> JsonFinding:
        return JsonFinding(self.code, tuple(key), fields, place)


def _release_facts(context: Context) -> DeployFacts:
    return deploy_facts(context.project.steamship.version, context.project.steamship.guessed)


class InvalidManifest(ManifestRule):
    """``steamship.json`` is not JSON, or fails the release's ``Manifest`` model.

    ## Why is this bad?
    ``ship deploy`` starts with ``Manifest.parse_file("steamship.json")`` (steamship 2.3.8 on,
    observed through 2.17.34): the bytes are decoded as UTF-8 (a byte order mark is kept, and
    ``json.loads`` refuses it), parsed, and validated by a pydantic model whose required fields
    are ``type`` (``package`` or ``plugin``), ``handle``, ``version``, ``public`` and
    ``steamshipRegistry`` with its ``tags`` list (and ``configTemplate`` in 2.3.8–2.3.13).
    Anything else aborts the deploy with a traceback before a file is uploaded. Keys the model
    does not know are ignored, and so are they here.

    Releases: before 2.3.8 steamship has no deploy command of its own; only a file that is not
    JSON is reported then.

    ## Not reported
    Keys the model does not know, and values pydantic v1 coerces without complaint (``"public":
    "true"``, a number as ``version``): deploy accepts them. A ``steamship.json`` that is exactly
    ``{}`` only marks a project root (a common idiom in tests and examples) and is not checked.
    Before 2.3.8, anything but a file that is not JSON.

    ## Example
    ```json
    {"type": "package", "handle": "my-package", "version": "0.0.1", "public": "maybe",
     "steamshipRegistry": {"tags": []}}
    ```
    ```python
    from steamship.invocable import PackageService

    class MyPackage(PackageService):
        pass
    ```

    ## Use instead
    ```json
    {"type": "package", "handle": "my-package", "version": "0.0.1", "public": false,
     "steamshipRegistry": {"tags": []}}
    ```
    ```python
    from steamship.invocable import PackageService

    class MyPackage(PackageService):
        pass
    ```
    """

    code = "SHP501"
    message = "steamship.json {problem}; {consequence}"

    def check_manifest(self, manifest: ManifestContext) -> Iterator[JsonFinding]:
        consequence = (
            "ship deploy stops before it uploads anything"
            if manifest.facts.python_cli
            else "the package cannot be deployed"
        )
        doc = manifest.doc
        if isinstance(doc, JsonError):
            yield self.at(place=(doc.line, doc.column), problem=doc.message, consequence=consequence)
            return
        if not manifest.facts.python_cli:
            return
        for key, problem in manifest_problems(doc.value, manifest.facts):
            yield self.at(key, problem=problem, consequence=consequence)


class UnloadablePackageModule(ManifestRule):
    """The package module beside ``steamship.json`` is missing, does not parse, or does not
    define exactly one package class.

    ## Why is this bad?
    ``ship deploy`` loads ``src/api.py``, else ``api.py`` (``find_api_py``), and the runtime
    imports ``api`` and takes *the* class defined in it whose MRO holds ``Invocable``
    (``get_class_from_module``, steamship 2.2.1b1 on, observed through 2.17.34): none raises
    "Could not find package or plugin class", two raise "Found too many invocable classes".
    A class imported into ``api.py`` from elsewhere does not count; an abstract base defined
    beside the package does.

    Releases: before 2.2.1b1 the runtime calls ``api.handler`` instead (see SHP505), so only
    a missing or unparsable ``api.py`` is reported. Before 2.3.8 the archive was made by
    another CLI (not in steamship's code), so ``src/api.py`` is accepted as well as ``api.py``.

    ## Not reported
    A package module whose classes' kind cannot be known (a base from a module pkgcheck cannot
    see): it may well hold exactly one Invocable. A directory with a ``steamship.json`` and no
    Python file at all, unless the manifest is named on the command line. A missing package
    module where no module of the project defines a class that is (or may be) a package or
    plugin: the manifest has nothing to deploy (a copy in a client of a package, a leftover of a
    package rewritten as another kind of app), and nobody runs ``ship deploy`` there. Before
    2.2.1b1, the number of package classes (the runtime calls ``api.handler`` then).

    ## Example
    ```json
    {"type": "package", "handle": "my-package", "version": "0.0.1", "public": false,
     "steamshipRegistry": {"tags": []}}
    ```
    ```python
    from steamship.invocable import PackageService

    class Base(PackageService):
        pass

    class MyPackage(Base):
        pass
    ```

    ## Use instead
    ```json
    {"type": "package", "handle": "my-package", "version": "0.0.1", "public": false,
     "steamshipRegistry": {"tags": []}}
    ```
    ```python
    from steamship.invocable import PackageService

    class MyPackage(PackageService):
        pass
    ```
    """

    code = "SHP502"
    message = "{problem}; {consequence}"

    def check_manifest(self, manifest: ManifestContext) -> Iterator[JsonFinding]:
        facts = manifest.facts
        if manifest.api_path is None:
            if not manifest.has_packages:
                return  # a manifest with nothing to deploy (see "Not reported")
            where = " or ".join(facts.api_paths)
            yield self.at(
                problem=f"there is no {where} beside steamship.json",
                consequence="ship deploy stops (find_api_py raises)" if facts.python_cli
                else "the runtime cannot import the package",
            )
            return
        shown = manifest.api_path.relative_to(manifest.path.parent).as_posix()
        if isinstance(manifest.api, ParseFailure):
            if manifest.api.internal:
                return
            yield self.at(
                problem=f"{shown} does not parse ({manifest.api.message})",
                consequence="ship deploy and the runtime fail to import it",
            )
            return
        if not facts.finds_class or not facts.known or manifest.invocables is None:
            return
        found = manifest.invocables
        if len(found) == 1:
            return
        if not found:
            problem = f"{shown} defines no PackageService or other Invocable subclass"
        else:
            names = ", ".join(ref.qualname for ref in found)
            problem = f"{shown} defines {len(found)} Invocable subclasses ({names})"
        yield self.at(
            problem=problem,
            consequence="steamship takes exactly one, so ship deploy and every request fail",
        )


class ConfigClsNotClassmethod(Rule):
    """``config_cls`` defined without ``@classmethod`` (or ``@staticmethod``).

    ## Why is this bad?
    ``ship deploy`` calls ``PackageClass.config_cls()`` on the class to rewrite
    ``configTemplate`` (steamship 2.3.8 on, observed through 2.17.34), and
    ``Invocable.get_config_parameters`` does the same. A plain method called on the class
    lacks ``self``: ``TypeError``, and the deploy aborts. The running instance calls it on
    itself and works, so the mistake shows only at deploy time.

    Releases: before 2.3.8 steamship has no deploy command, and nothing calls it on the class.

    ## Not reported
    A ``config_cls`` under a decorator pkgcheck cannot resolve (it may well be a binder), one of a
    class whose kind cannot be known, and any ``config_cls`` for releases before 2.3.8.

    ## Example
    ```python
    from steamship.invocable import Config, PackageService

    class MyConfig(Config):
        name: str = "x"

    class MyPackage(PackageService):
        def config_cls(self):
            return MyConfig
    ```

    ## Use instead
    ```python
    from steamship.invocable import Config, PackageService

    class MyConfig(Config):
        name: str = "x"

    class MyPackage(PackageService):
        @classmethod
        def config_cls(cls):
            return MyConfig
    ```
    """

    code = "SHP503"
    message = (
        "config_cls of {package} is not a classmethod; "
        "ship deploy calls {package}.config_cls() and stops with TypeError"
    )

    def check(self, context: Context) -> Iterator[Finding]:
        if not _release_facts(context).python_cli:
            return
        project = context.project
        for module, cls, ref in context.classes():
            method = cls.method("config_cls")
            if method is None or context.builder.is_invocable(ref) is not True:
                continue
            kinds = set()
            for decorator in method.decorators:
                target = project.resolve(module, decorator.dotted) if decorator.dotted else None
                kinds.add(target.dotted if target is not None else None)
            if kinds & {"classmethod", "staticmethod"} or None in kinds or kinds - {"abc.abstractmethod"}:
                continue  # a binder, or a decorator pkgcheck cannot see through
            yield self.finding(Where(module.name, method.name_node), package=cls.name)


class UnrepresentableConfigField(Rule):
    """A Config field whose type or default ``get_config_parameters`` cannot write.

    ## Why is this bad?
    Before every deploy, ``ship deploy`` writes ``configTemplate`` from
    ``Config.get_config_parameters()`` (steamship 2.3.8 on, observed through 2.17.34). It maps
    each field's type (``Optional``, ``List[...]`` and ``Dict[..., V]`` peeled off) to
    ``string``, ``boolean`` or ``number`` and raises for anything else — a ``Union`` of two
    types, ``Literal``, ``Any``, a plain ``Enum``, a model — and ``ConfigParameter`` refuses a
    default that is a list or a dict (from 2.3.14). The deploy aborts.

    Releases: steamship before 2.3.8 has no template builder; nothing is reported then.

    ## Not reported
    A field inherited from another Config class is reported once, at the class that declares it,
    not again at each subclass. Fields without an annotation, string annotations and types that
    cannot be resolved: the template is unknown there, not wrong. Releases before 2.3.8.

    ## Example
    ```python
    from typing import Union

    from steamship.invocable import Config

    class MyConfig(Config):
        limit: Union[int, str] = 10
    ```

    ## Use instead
    ```python
    from steamship.invocable import Config

    class MyConfig(Config):
        limit: int = 10
    ```
    """

    code = "SHP504"
    message = "Config field {name} of {config}: {problem}, so ship deploy stops"

    def check(self, context: Context) -> Iterator[Finding]:
        builder = _release_facts(context).template_builder
        if builder is None:
            return
        project = context.project
        for module, cls, ref in context.classes():
            if is_config_class(project, ref) is not True:
                continue
            for entry in build_template(project, ref, builder).problems:
                if entry.owner == ref:
                    yield self.finding(
                        Where(module.name, entry.node), name=entry.name, config=cls.name, problem=entry.problem
                    )


class MissingHandler(ManifestRule):
    """The package module has no module-level ``handler`` where the release calls it.

    ## Why is this bad?
    Up to steamship 2.2.1a the runtime's entry point is ``api.handler``: the package module must
    end with ``handler = create_handler(MyPackage)``. Without it every request fails with an
    ``AttributeError`` in the lambda. From 2.2.1b1 (observed through 2.17.34) the runtime finds
    the package class itself and ``handler`` (and the manifest's ``entrypoint``) is unused, so
    nothing is reported for those releases.

    Releases: reported for 2.1.0–2.2.1a only.

    ## Not reported
    A module with a star import (it may bring ``handler``), a module that imports or assigns
    ``handler`` in any way, and every release from 2.2.1b1, where ``handler`` is unused.

    ## Example
    ```json
    {"type": "package", "handle": "my-package", "version": "0.0.1", "public": false,
     "steamshipRegistry": {"tags": []}}
    ```
    ```requirements
    steamship==2.2.0
    ```
    ```python
    from steamship.invocable import PackageService

    class MyPackage(PackageService):
        pass
    ```

    ## Use instead
    ```json
    {"type": "package", "handle": "my-package", "version": "0.0.1", "public": false,
     "steamshipRegistry": {"tags": []}}
    ```
    ```requirements
    steamship==2.2.0
    ```
    ```python
    from steamship.invocable import PackageService, create_handler

    class MyPackage(PackageService):
        pass

    handler = create_handler(MyPackage)
    ```
    """

    code = "SHP505"
    message = "{module} defines no module-level handler; steamship {release} calls api.handler, so every request fails"

    def check_manifest(self, manifest: ManifestContext) -> Iterator[JsonFinding]:
        if manifest.facts.finds_class or not isinstance(manifest.api, ModuleFacts):
            return
        module = manifest.api
        bound = {assign.target for assign in module.assigns} | {f.name for f in module.functions}
        bound |= {item.local for item in module.imports if item.local}
        if "handler" in bound or any(item.local is None for item in module.imports):
            return  # a star import may bring one
        key: KeyPath = ("entrypoint",) if "entrypoint" in (manifest.manifest() or {}) else ()
        shown = manifest.api_path.name if manifest.api_path else "api.py"
        yield self.at(key, module=shown, release=manifest.release)


def _template_in(manifest: ManifestContext) -> Optional[Mapping[str, Any]]:
    data = manifest.manifest()
    if data is None or not isinstance(data.get("configTemplate"), dict):
        return None
    return data["configTemplate"]


class TemplateDefaultForRequiredField(ManifestRule):
    """``configTemplate`` gives a default to a Config field that has none.

    ## Why is this bad?
    The field is required by the Config class, so an instance created without a value for it
    fails every call with a pydantic ``ValidationError`` (``Config(**config)`` in
    ``Invocable.__init__``, steamship 2.17.34). The template's default suggests that the value
    may be left out; but ``ship deploy`` rewrites ``configTemplate`` from the class
    (2.3.8 on) and deploys ``default: null``, and the instance starts without it.

    Releases: before 2.3.8 there is no template builder; nothing is reported then.

    ## Not reported
    A template default of ``null``, a key the Config class does not declare (SHP507 says so), and
    any manifest whose Config class cannot be fully known (an unresolvable base or annotation).

    ## Example
    ```json
    {"type": "package", "handle": "my-package", "version": "0.0.1", "public": false,
     "steamshipRegistry": {"tags": []},
     "configTemplate": {"api_key": {"type": "string", "default": ""}}}
    ```
    ```python
    from steamship.invocable import Config, PackageService

    class MyConfig(Config):
        api_key: str

    class MyPackage(PackageService):
        @classmethod
        def config_cls(cls):
            return MyConfig
    ```

    ## Use instead
    ```json
    {"type": "package", "handle": "my-package", "version": "0.0.1", "public": false,
     "steamshipRegistry": {"tags": []},
     "configTemplate": {"api_key": {"type": "string", "default": ""}}}
    ```
    ```python
    from steamship.invocable import Config, PackageService

    class MyConfig(Config):
        api_key: str = ""

    class MyPackage(PackageService):
        @classmethod
        def config_cls(cls):
            return MyConfig
    ```
    """

    code = "SHP506"
    message = (
        "configTemplate gives {name} the default {default} but {config} requires it; ship deploy writes "
        "default null, and an instance created without {name} fails every call with a ValidationError"
    )

    def check_manifest(self, manifest: ManifestContext) -> Iterator[JsonFinding]:
        written = _template_in(manifest)
        template = manifest.template()
        if written is None or template is None:
            return
        for entry in template.entries:
            given = written.get(entry.name)
            if entry.required and isinstance(given, dict) and given.get("default") is not None:
                yield self.at(
                    ("configTemplate", entry.name, "default"),
                    name=entry.name,
                    default=_json(given["default"]),
                    config=template.config.qualname,
                )


class StaleConfigTemplate(ManifestRule):
    """``configTemplate`` differs from what ``ship deploy`` would write from the Config class.

    Opt-in: the deploy rewrites the template itself, so a stale one is a surprise in the diff,
    not a failure (see SHP506 for the case that fails).

    ## Why is this bad?
    ``ship deploy`` replaces ``configTemplate`` with ``Config.get_config_parameters()``
    (steamship 2.3.8 on, observed through 2.17.34) and saves the whole file: a key added, one
    removed, a type or default changed by the rewrite means the committed manifest is not what
    was deployed. ``pkgcheck manifest --write`` writes the template deploy would.

    Releases: 2.3.8–2.3.13 coerce defaults into ``Union[bool, float, str]`` (``1`` is
    written as ``true``, ``"3"`` as ``3.0``); from 2.3.14 defaults are kept as they are and an
    Enum default is written as its value. The comparison follows the release in use.

    ## Not reported
    Anything when the template cannot be fully built (un-annotated attributes, defaults computed
    by calls, string annotations, a base pkgcheck cannot see), key order, whitespace and
    formatting, and numbers equal in value (``1`` and ``1.0``).

    ## Example
    ```json
    {"type": "package", "handle": "my-package", "version": "0.0.1", "public": false,
     "steamshipRegistry": {"tags": []}, "configTemplate": {}}
    ```
    ```python
    from steamship.invocable import Config, PackageService

    class MyConfig(Config):
        greeting: str = "hello"

    class MyPackage(PackageService):
        @classmethod
        def config_cls(cls):
            return MyConfig
    ```

    ## Use instead
    ```json
    {"type": "package", "handle": "my-package", "version": "0.0.1", "public": false,
     "steamshipRegistry": {"tags": []},
     "configTemplate": {"greeting": {"type": "string", "description": null, "default": "hello"}}}
    ```
    ```python
    from steamship.invocable import Config, PackageService

    class MyConfig(Config):
        greeting: str = "hello"

    class MyPackage(PackageService):
        @classmethod
        def config_cls(cls):
            return MyConfig
    ```
    """

    code = "SHP507"
    message = "configTemplate {problem}; ship deploy rewrites it from {config}"
    opt_in = True

    def check_manifest(self, manifest: ManifestContext) -> Iterator[JsonFinding]:
        template = manifest.template()
        data = manifest.manifest()
        if template is None or not template.complete or data is None:
            return
        config = template.config.qualname
        written = data.get("configTemplate")
        if written is None:
            if template.entries:
                yield self.at((), problem="is missing", config=config)
            return
        if not isinstance(written, dict):
            return  # SHP501's
        for problem_at, problem in template_differences(template, written):
            yield self.at(problem_at, problem=problem, config=config)


def template_differences(template: ConfigTemplate, written: Mapping[str, Any]) -> List[Tuple[KeyPath, str]]:
    """Where ``written`` (a manifest's configTemplate) differs from ``template``."""
    found: List[Tuple[KeyPath, str]] = []
    expected = {entry.name: entry for entry in template.entries}
    for name in written:
        if name not in expected:
            found.append((("configTemplate", name), f"has {name}, which {template.config.qualname} does not declare"))
    for name, entry in expected.items():
        given = written.get(name)
        if not isinstance(given, dict):
            found.append((("configTemplate",), f"lacks {name}"))
            continue
        for key in ("type", "default", "description"):
            want = getattr(entry, key)
            if want is UNKNOWN:
                continue
            have = given.get(key)
            if not _same(have, want):
                found.append(
                    (("configTemplate", name, key) if key in given else ("configTemplate", name),
                     f"has {key} {_json(have)} for {name} where deploy writes {_json(want)}")
                )
    return found


def _same(a: object, b: object) -> bool:
    return type(a) is type(b) and a == b or (
        isinstance(a, (int, float)) and isinstance(b, (int, float))
        and not isinstance(a, bool) and not isinstance(b, bool) and a == b
    )


def _json(value: object) -> str:
    import json

    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "..."
