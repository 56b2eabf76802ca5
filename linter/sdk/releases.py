"""Which steamship release a project uses, and whether pkgcheck models that release's runtime.

The release is chosen as pip would install it, most explicit first: a steamship importable from
the project's environment (:func:`linter.sdk.locate.locate_steamship` finds it before this is
asked), ``--steamship-version``, an exact pin in the project's requirements, the newest release
its specifiers allow, the newest release pkgcheck knows.

What a release does with a package's routes is decided by three of its files, which pkgcheck's
spec builder mirrors (:data:`ROUTING_MODULES`). Behaviour is keyed on their content, never on a
version number: a release candidate or a re-published release behaves as its code does.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

from linter.sdk.catalogue import Bundle, is_final, release_key
from linter.sdk.pins import ExactPin, Pin, steamship_pins, steamship_urls
from linter.sdk.steamship import INVOCABLE, INVOCABLE_MODULE, PACKAGE_SERVICE, VERB

#: The modules whose code builds a package's routes (route collection, mixins, the spec);
#: 2.1.x has only ``steamship.app.app`` (``App``, before ``PackageService``).
ROUTING_MODULES = (
    "steamship.invocable.invocable",
    "steamship.invocable.package_service",
    "steamship.base.package_spec",
    "steamship.app.app",
)


#: steamship's reserved routes, each (verb, path, method, config as key-value pairs or None)
DIR_GET = ("GET", "/__dir__", "__steamship_dir__", None)
DIR_POST = ("POST", "/__dir__", "__steamship_dir__", None)
INSTANCE_INIT = ("POST", "/__instance_init__", "invocable_instance_init", ())


@dataclass(frozen=True)
class Runtime:
    """What a release's routing code does where releases differ: the one place that answers
    "what does release X do here" for the spec builder. The defaults are the newest release's.
    Each switch is decided by one routing module's text (:data:`BEHAVIOUR`)."""

    # -- the classes and decorators a package is made of ---------------------------------------
    #: the class a package subclasses (2.1.x: ``steamship.app.app.App``)
    package_class: Tuple[str, str] = PACKAGE_SERVICE
    #: the class whose ``__init_subclass__`` collects routes (2.1.x: ``App`` too)
    invocable_class: Tuple[str, str] = INVOCABLE
    #: the module defining ``get``, ``post`` and ``endpoint``
    route_module: str = INVOCABLE_MODULE
    #: ``Verb`` (2.1.0–2.1.23: ``steamship.app.request.Verb``)
    verb_class: Tuple[str, str] = VERB
    #: a class has a ``PackageSpec`` that ``/__dir__`` serves (2.2.0 on); 2.1.x's ``App`` has
    #: only its route table
    has_spec: bool = True

    # -- steamship.invocable.invocable: Invocable.__init_subclass__ ----------------------------
    #: the direct bases' routes are collected too (2.1.22 on); 2.1.0–2.1.11 read only the
    #: class's own attributes
    routes_from_bases: bool = True
    #: ``find_route_methods`` walks every ancestor, and a base's route is dropped when the class
    #: has the same verb and raw path (2.17.14 on); before, it read the direct bases' own
    #: attributes and then the class's, each registered over the last (2.2.0–2.17.13), so a
    #: grandparent's routes come only through the parent's spec and a mixin's base's base is
    #: not scanned
    routes_from_every_ancestor: bool = True
    #: what a class takes over from the nearest ancestor that has a spec: ``"spec"`` (its spec
    #: is imported, 2.17.0 on), ``"dispatch"`` (its route table is copied, so its routes are
    #: served, but ``/__dir__`` lists only the direct bases' and the class's own routes,
    #: 2.16.1–2.16.9), ``"nothing"`` (2.2.0–2.16.0: a grandparent's routes are not served)
    inherits: str = "spec"
    #: the reserved routes, registered after the class's own (which they shadow), each
    #: (verb, path, method, config)
    reserved: Tuple[Tuple[str, str, str, Optional[Tuple[Tuple[str, object], ...]]], ...] = (
        DIR_GET, DIR_POST, INSTANCE_INIT,
    )  # fmt: skip
    #: the reserved routes ``/__dir__`` lists (before 2.17.1, only ``/__instance_init__``,
    #: appended by hand from 2.15.0)
    listed_reserved: Tuple[Tuple[str, str], ...] = (
        ("GET", "/__dir__"), ("POST", "/__dir__"), ("POST", "/__instance_init__"),
    )  # fmt: skip

    # -- steamship.base.package_spec: MethodSpec, PackageSpec ----------------------------------
    #: the spec is a table keyed by verb and path, listed sorted by path and verb (2.17.1 on);
    #: before, ``methods`` is a list in registration order: ``"replace"`` (2.17.0: a route of
    #: the same verb and path replaces the entry in place), ``"append"`` (2.2.0–2.16.9: every
    #: registration is listed, duplicates included)
    listing: str = "table"
    #: ``MethodSpec`` strips one slash off a path that starts with ``//`` (2.17.1 on)
    strips_double_slash: bool = True
    #: ``MethodSpec.class_name`` (``className``, 2.17.1 on)
    class_names: bool = True
    #: ``PackageSpec.used_mixins`` (``usedMixins``, 2.17.11 on)
    used_mixins_field: bool = True
    #: ``PackageSpec.sdk_version`` (``sdkVersion``, 2.15.0 on)
    sdk_version_field: bool = True
    #: ``MethodSpec.config`` (2.2.1 on; 2.2.0's decorators drop their keywords)
    route_config: bool = True
    #: ``ArgSpec.values`` of an enum parameter: ``"guarded"`` (2.3.6 on; ``Optional[Enum]``
    #: too), ``"unguarded"`` (2.3.4–2.3.5: ``issubclass()`` on every annotation, so one that
    #: is not a class raises TypeError when the class is defined), ``"none"`` (no ``values``)
    enum_values: str = "guarded"

    # -- steamship.invocable.package_service: mixins -------------------------------------------
    #: ``PackageMixin`` and ``add_mixin`` exist (2.17.1 on)
    mixins: bool = True
    #: ``USED_MIXIN_CLASSES``: ``"deduplicated"`` (2.17.11 on: a class skips a mixin its
    #: parent's spec already lists), ``"rescanned"`` (2.17.8–2.17.10: every class scans the
    #: list it inherits again, so a subclass of a class that lists a mixin with routes raises
    #: RouteConflictError when it is defined), ``"ignored"`` (before 2.17.8: an attribute
    #: like any other)
    used_mixin_classes: str = "deduplicated"
    #: ``scan_mixin`` looks a mixin's route up among the existing ones as ``"/" + path`` even
    #: when the path starts with ``/`` (``//x``), so a listed mixin added again with
    #: ``add_mixin`` finds no route of its own to replace and conflicts (2.17.8–2.17.15)
    mixin_lookup_adds_slash: bool = False
    #: ``add_mixin`` of an instance replaces routes that a mixin class of the same name
    #: registered before (2.17.8 on); before, every existing route conflicts
    mixin_readds_replace: bool = True
    #: ``add_mixin``'s keyword that permits overwriting (None: it takes none, 2.17.1–2.17.6)
    permit_keyword: Optional[str] = "permit_overwrite_of_existing_methods"


#: a routing module the release does not have
ABSENT = None
_APP = "steamship.app.app"
#: 2.1.x: ``App.__init_subclass__`` fills a route table; no spec, reserved routes, mixins or
#: invoke_later
_APP_RUNTIME = {
    "package_class": (_APP, "App"),
    "invocable_class": (_APP, "App"),
    "route_module": _APP,
    "has_spec": False,
    "routes_from_every_ancestor": False,
    "inherits": "nothing",
    "listing": "table",
    "reserved": (),
    "listed_reserved": (),
    "strips_double_slash": False,
    "class_names": False,
    "used_mixins_field": False,
    "sdk_version_field": False,
    "route_config": False,
    "enum_values": "none",
    "mixins": False,
    "used_mixin_classes": "ignored",
    "mixin_readds_replace": False,
    "permit_keyword": None,
}
_OLD_VERB = {"verb_class": ("steamship.app.request", "Verb")}
_DIRECT_BASES = {"routes_from_every_ancestor": False}
_INIT_LISTED = (("POST", "/__instance_init__"),)
_BEFORE_2_17_1 = {"strips_double_slash": False, "class_names": False, "used_mixins_field": False}

#: The routing code pkgcheck models: for each routing module, its texts (named by the releases
#: whose texts they are) and the switches that text decides. A release is modelled when each
#: of its routing modules has a text listed here (or lacks the module, :data:`ABSENT`); its
#: :class:`Runtime` is the defaults with the switches of those texts. A module whose texts
#: differ only where no route depends on it lists them together.
BEHAVIOUR: Mapping[str, Sequence[Tuple[Tuple[Optional[str], ...], Mapping[str, object]]]] = {
    "steamship.invocable.invocable": (
        (("2.17.14",), {}),
        (("2.17.1", "2.17.8", "2.17.11"), {"routes_from_every_ancestor": False}),
        (("2.17.0",), {**_DIRECT_BASES, "listing": "replace", "listed_reserved": _INIT_LISTED}),
        (
            ("2.16.1", "2.16.6"),
            {**_DIRECT_BASES, "inherits": "dispatch", "listing": "append", "listed_reserved": _INIT_LISTED},
        ),
        (("2.15.0",), {**_DIRECT_BASES, "inherits": "nothing", "listing": "append", "listed_reserved": _INIT_LISTED}),
        (
            ("2.2.0b0", "2.2.0", "2.2.1b1", "2.2.1", "2.3.2", "2.3.8", "2.3.14", "2.14.3b0"),
            {
                **_DIRECT_BASES,
                "inherits": "nothing",
                "listing": "append",
                "reserved": (DIR_GET, DIR_POST),
                "listed_reserved": (),
            },
        ),
        ((ABSENT,), {}),
    ),
    "steamship.invocable.package_service": (
        (("2.17.16", "2.17.25"), {}),
        (("2.17.11",), {"mixin_lookup_adds_slash": True}),
        (("2.17.8",), {"mixin_lookup_adds_slash": True, "used_mixin_classes": "rescanned"}),
        (("2.17.7",), {"used_mixin_classes": "ignored", "mixin_readds_replace": False}),
        (("2.17.1",), {"used_mixin_classes": "ignored", "mixin_readds_replace": False, "permit_keyword": None}),
        (
            ("2.2.0", "2.3.2", "2.16.1"),
            {"mixins": False, "used_mixin_classes": "ignored", "mixin_readds_replace": False, "permit_keyword": None},
        ),
        ((ABSENT,), {}),
    ),
    "steamship.base.package_spec": (
        (("2.17.11",), {}),
        (("2.17.1",), {"used_mixins_field": False}),
        (("2.17.1b1",), {"used_mixins_field": False, "class_names": False}),
        (("2.17.0", "2.15.0"), _BEFORE_2_17_1),
        (("2.3.6",), {**_BEFORE_2_17_1, "sdk_version_field": False}),
        (("2.3.4",), {**_BEFORE_2_17_1, "sdk_version_field": False, "enum_values": "unguarded"}),
        (("2.2.1",), {**_BEFORE_2_17_1, "sdk_version_field": False, "enum_values": "none"}),
        (("2.2.0",), {**_BEFORE_2_17_1, "sdk_version_field": False, "enum_values": "none", "route_config": False}),
        ((ABSENT,), {}),
    ),
    _APP: (
        ((ABSENT,), {}),
        (("2.1.24",), _APP_RUNTIME),
        (("2.1.22",), {**_APP_RUNTIME, **_OLD_VERB}),
        (("2.1.0", "2.1.1", "2.1.5b2", "2.1.8"), {**_APP_RUNTIME, **_OLD_VERB, "routes_from_bases": False}),
    ),
}


#: the reason of a release named by ``--steamship-version`` or a settings file's ``steamship-version``
ASKED = "the release asked for"


class ReleaseError(ValueError):
    """A release asked for by name that pkgcheck does not know."""


@dataclass(frozen=True)
class Choice:
    """The release chosen, why, and what to tell the user about the choice (if anything)."""

    version: str
    #: what decided it: :data:`ASKED`, ``steamship==2.17.18 (requirements.txt)``, ...
    reason: str
    #: said once when the choice is not what the project asked for
    note: Optional[str] = None
    #: the project installs steamship from a URL: this release is a stand-in, and verdicts
    #: that depend on which release it is are withheld
    guessed: bool = False


def choose_release(bundle: Bundle, root: Optional[Path], explicit: Optional[str] = None) -> Choice:
    """The release of ``bundle`` that a project at ``root`` uses (see the module's docstring).

    Raises :class:`ReleaseError` when ``explicit`` names a release older than the newest known
    that the bundle does not hold.
    """
    newest = bundle.newest
    if explicit:
        chosen = _known(bundle, explicit)
        if chosen is not None:
            return Choice(chosen, ASKED)
        if _newer_than_all(bundle, explicit):
            return Choice(newest, ASKED, _too_new(f"steamship {explicit}", newest))
        raise ReleaseError(
            f"steamship {explicit} is not a release pkgcheck knows "
            f"({bundle.versions[0]} to {newest} and their pre-releases)"
        )
    pins = steamship_pins(root) if root is not None else []
    exact_pins = [pin for pin in pins if _exact_release(pin) is not None]
    urls = steamship_urls(root) if root is not None and not exact_pins else []
    if urls:
        described = urls[0].describe()
        return Choice(
            newest,
            described,
            f"the project installs {described}, whose release pkgcheck cannot know: it stood in "
            f"steamship {newest}, and the checks that depend on the release were skipped "
            "(pin a release, or give --steamship-version)",
            guessed=True,
        )
    for pin in pins:
        exact = _exact_release(pin)
        if exact is None:
            continue
        chosen = _known(bundle, exact)
        if chosen is not None:
            return Choice(chosen, pin.describe())
        if _newer_than_all(bundle, exact):
            return Choice(newest, pin.describe(), _too_new(pin.describe(), newest))
    if pins:
        allowed = [v for v in bundle.versions if all(pin.allows(v) for pin in pins)]
        finals = [v for v in allowed if is_final(v)]
        if finals or allowed:
            described = ", ".join(pin.describe() for pin in pins)
            return Choice((finals or allowed)[-1], f"the newest release that {described} allows")
        described = ", ".join(pin.describe() for pin in pins)
        return Choice(
            newest,
            "the newest release known",
            f"no release pkgcheck knows satisfies {described}; pkgcheck used steamship {newest}",
        )
    return Choice(newest, "the newest release known")


def _exact_release(pin: Union[Pin, ExactPin]) -> Optional[str]:
    """The release an ``==`` pin names (no wildcard), else None."""
    if isinstance(pin, ExactPin):
        return pin.release
    specs = list(pin.specifier)
    if len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version:
        return specs[0].version
    return None


def _known(bundle: Bundle, version: str) -> Optional[str]:
    """The bundle's spelling of ``version`` (``2.17`` is ``2.17.0``), or None."""
    from packaging.version import InvalidVersion

    try:
        wanted = release_key(version)
    except InvalidVersion:
        return None
    for known in bundle.versions:
        if release_key(known) == wanted:
            return known
    return None


def _newer_than_all(bundle: Bundle, version: str) -> bool:
    from packaging.version import InvalidVersion

    try:
        return release_key(version) > release_key(bundle.versions[-1])
    except InvalidVersion:
        return False


def _too_new(what: str, newest: str) -> str:
    return f"{what} is newer than every release pkgcheck knows; pkgcheck used steamship {newest}"


def runtime_of(bundle: Bundle, texts: Mapping[str, Optional[str]]) -> Optional[Runtime]:
    """The runtime of the release whose routing modules have these texts (digests; None for a
    module it lacks), or None when pkgcheck does not model that code."""
    if all(texts.get(module) is None for module in BEHAVIOUR):
        return None
    switches: Dict[str, object] = {}
    for module, choices in BEHAVIOUR.items():
        text = texts.get(module)
        for releases, decided in choices:
            if any(
                text is None if release is ABSENT else bundle.table(release).get(module) == text
                for release in releases
            ):
                switches.update(decided)
                break
        else:
            return None
    return Runtime(**switches)  # type: ignore[arg-type]


def modelled_range(bundle: Bundle) -> str:
    """The final releases, newest first back to the first that is not, whose routing code
    pkgcheck models: ``2.1.0–2.17.34``."""
    run: List[str] = []
    for version in reversed([v for v in bundle.versions if is_final(v)]):
        if runtime_of(bundle, bundle.table(version)) is None:
            break
        run.append(version)
    return f"{run[-1]}–{run[0]}" if len(run) > 1 else (run[0] if run else "none")
