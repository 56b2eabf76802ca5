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
from typing import List, Mapping, Optional, Sequence, Union

from linter.sdk.catalogue import Bundle, is_final, release_key
from linter.sdk.pins import ExactPin, Pin, steamship_pins

#: The modules whose code builds a package's routes (route collection, mixins, the spec).
ROUTING_MODULES = (
    "steamship.invocable.invocable",
    "steamship.invocable.package_service",
    "steamship.base.package_spec",
)


@dataclass(frozen=True)
class Runtime:
    """What a release's routing code does where releases differ: the one place that answers
    "what does release X do here" for the spec builder. The defaults are the newest release's."""

    #: ``find_route_methods`` walks every ancestor, and a base's route is dropped when the class
    #: has the same verb and raw path (2.17.14 on); before, it read the direct bases' own
    #: attributes and then the class's, each registered over the last (2.17.8–2.17.13), so a
    #: grandparent's routes come only through the parent's spec and a mixin's base's base is
    #: not scanned
    routes_from_every_ancestor: bool = True
    #: ``scan_mixin`` looks a mixin's route up among the existing ones as ``"/" + path`` even
    #: when the path starts with ``/`` (``//x``), so a listed mixin added again with
    #: ``add_mixin`` finds no route of its own to replace and conflicts (2.17.8–2.17.15)
    mixin_lookup_adds_slash: bool = False


@dataclass(frozen=True)
class Family:
    """Releases whose routing modules hold the same code, named by the releases whose texts
    they are (several for a module whose texts differ only where no route depends on it)."""

    texts: Mapping[str, Sequence[str]]
    runtime: Runtime


#: The routing code pkgcheck models, newest first. Within a family, package_service.py's 2.17.25
#: text differs from 2.17.16's only in calling ``mixin.instance_init()`` without arguments.
FAMILIES = (
    Family(
        {
            "steamship.invocable.invocable": ("2.17.14",),
            "steamship.invocable.package_service": ("2.17.16", "2.17.25"),
            "steamship.base.package_spec": ("2.17.11",),
        },
        Runtime(),
    ),
    Family(
        {
            "steamship.invocable.invocable": ("2.17.14",),
            "steamship.invocable.package_service": ("2.17.14",),
            "steamship.base.package_spec": ("2.17.11",),
        },
        Runtime(mixin_lookup_adds_slash=True),
    ),
    Family(
        {
            "steamship.invocable.invocable": ("2.17.11",),
            "steamship.invocable.package_service": ("2.17.11",),
            "steamship.base.package_spec": ("2.17.11",),
        },
        Runtime(routes_from_every_ancestor=False, mixin_lookup_adds_slash=True),
    ),
)


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
    for family in FAMILIES:
        if all(
            texts.get(module) in {bundle.table(release)[module] for release in releases}
            for module, releases in family.texts.items()
        ):
            return family.runtime
    return None


def modelled_range(bundle: Bundle) -> str:
    """The final releases, newest first back to the first that is not, whose routing code
    pkgcheck models: ``2.17.14–2.17.34``."""
    run: List[str] = []
    for version in reversed([v for v in bundle.versions if is_final(v)]):
        if runtime_of(bundle, bundle.table(version)) is None:
            break
        run.append(version)
    return f"{run[-1]}–{run[0]}" if len(run) > 1 else (run[0] if run else "none")
