"""What ``ship deploy`` and the runtime's handler do before any route matters, release by release.

The bundled routing sources (:mod:`linter.sdk.bundle`) hold no CLI, manifest model or lambda
handler, so these facts are a small hand-written table, read off the wheels of every steamship
2.x release (``steamship/cli/``, ``steamship/data/manifest.py`` or ``steamship/invocable/
manifest.py``, ``steamship/invocable/config.py``, ``steamship/invocable/lambda_handler.py``).
Each row holds from its first release (in :func:`~linter.sdk.catalogue.release_key` order) up to
the next row's; the releases a fact was seen to change on are named with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, List, Optional, Tuple

from linter.sdk.catalogue import release_key


@dataclass(frozen=True)
class DeployFacts:
    """What one release's deploy path and handler require. Defaults are the newest release's."""

    #: the first release these facts were observed on
    since: str
    #: a Python ``ship`` CLI exists (2.3.8 on) that reads ``steamship.json`` with a pydantic
    #: ``Manifest`` model, loads ``src/api.py`` or ``api.py``, and calls the package class's
    #: ``config_cls()`` *on the class* to rewrite ``configTemplate`` before every deploy;
    #: before, deploys went through another CLI and none of that ran in steamship's code
    python_cli: bool = True
    #: ``configTemplate`` is a required field of ``Manifest`` (2.3.8–2.3.13); optional since
    #: 2.3.14
    template_required: bool = False
    #: the manifest has a ``plugin`` section (``PluginConfig``, 2.3.14 on)
    plugin_section: bool = True
    #: how ``Config.get_config_parameters`` builds a template entry: ``"strict"`` (2.3.14 on:
    #: enum defaults give their value, ``ConfigParameter.default`` is a strict str/bool/float/
    #: int union), ``"lax"`` (2.3.8–2.3.13: the default as is, coerced by pydantic into
    #: ``Union[bool, float, str]``), None (no builder)
    template_builder: Optional[str] = "strict"
    #: the runtime finds the package class itself (``safe_handler``, 2.2.1b1 on): exactly one
    #: ``Invocable`` subclass must be defined in ``api``; before, ``api.handler`` is the entry
    #: point and must be a module-level name (``handler = create_handler(MyPackage)``)
    finds_class: bool = True
    #: False for a stand-in release (steamship installed from a URL): nothing that differs
    #: between releases is checked
    known: bool = True

    @property
    def api_paths(self) -> Tuple[str, ...]:
        """Where the package module is looked for, first found wins (``find_api_py`` from 2.3.8).
        Before, the archive was made by another CLI whose layout steamship's code does not say
        (its own templates of the time, such as steamship-core/prompt-package on 2.2.1, keep
        ``src/api.py``): both places are accepted, so only a package with neither is reported."""
        return ("src/api.py", "api.py")


#: Oldest first. Observed on the wheels of steamship 2.1.0–2.17.34 (152 releases).
TABLE: Tuple[DeployFacts, ...] = (
    # 2.1.0–2.2.1a*: App / PackageService with a hand-made ``handler = create_handler(...)``
    DeployFacts(
        "2.1.0", python_cli=False, template_required=False, plugin_section=False, template_builder=None,
        finds_class=False,
    ),
    # 2.2.1b1: lambda_handler.safely_find_invocable_class looks the class up in ``api``
    DeployFacts("2.2.1b1", python_cli=False, plugin_section=False, template_builder=None),
    # 2.3.8: steamship/cli/cli.py (``ship deploy``) and steamship/invocable/manifest.py
    DeployFacts("2.3.8", template_required=True, plugin_section=False, template_builder="lax"),
    # 2.3.14: steamship/data/manifest.py with PluginConfig, optional configTemplate, strict
    # ConfigParameter defaults and Config.strip_enum; unchanged through 2.17.34
    DeployFacts("2.3.14"),
)


#: A release pkgcheck stands in for one it cannot know (``guessed``): no deploy command, no
#: template builder and no handler to check, and the number of package classes is not checked.
UNKNOWN = DeployFacts("?", python_cli=False, template_builder=None, finds_class=True, known=False)


def deploy_facts(version: Optional[str], guessed: bool = False) -> DeployFacts:
    """The facts of release ``version`` (None or unreadable: the newest release's; ``guessed``:
    :data:`UNKNOWN`)."""
    if guessed:
        return UNKNOWN
    if not version:
        return TABLE[-1]
    try:
        key = release_key(version)
    except Exception:  # noqa: BLE001 - not a version pkgcheck can order
        return TABLE[-1]
    found = TABLE[0]
    for row in TABLE:
        if release_key(row.since) <= key:
            found = row
    return found


# -- the Manifest model (pydantic v1: extra keys are ignored) -----------------------------------
#: The problems :func:`manifest_problems` reports, each at a key path (``()``: the top).
Problem = Tuple[Tuple[object, ...], str]
_BOOL_WORDS = {"0", "off", "f", "false", "n", "no", "1", "on", "t", "true", "y", "yes"}
_TEMPLATE_TYPES = ("number", "string", "boolean")


def manifest_problems(value: object, facts: DeployFacts) -> List[Problem]:
    """Why ``Manifest.parse_obj(value)`` of the release with ``facts`` raises, field by field
    (empty: it accepts ``value``). pydantic v1's coercions are followed: a number is a valid
    ``str``, ``"yes"`` a valid ``bool``; only what it refuses is reported."""
    if not isinstance(value, dict):
        return [((), f"holds a JSON {_json_kind(value)}, not an object")]
    problems: List[Problem] = []
    top = ()
    _required(problems, value, top, "type", _enum(("package", "plugin")))
    for name in ("handle", "version"):
        _required(problems, value, top, name, _string)
    for name in ("description", "author"):
        _optional(problems, value, top, name, _string)
    _optional(problems, value, top, "entrypoint", _string, nullable=False)
    _required(problems, value, top, "public", _boolean)
    _optional(problems, value, top, "build_config", _build_config, nullable=False)
    if facts.template_required:
        _required(problems, value, top, "configTemplate", _template)
    else:
        _optional(problems, value, top, "configTemplate", _template)
    if facts.plugin_section:
        _optional(problems, value, top, "plugin", _plugin)
    _required(problems, value, top, "steamshipRegistry", _registry)
    return problems


Check = Callable[[object, Tuple[object, ...], List[Problem]], None]


def _required(problems: List[Problem], obj: dict, at: Tuple[object, ...], name: str, check: Check) -> None:
    if name not in obj:
        problems.append((at, f"lacks the required field {name!r}"))
    elif obj[name] is None:
        problems.append((at + (name,), f"sets the required field {name!r} to null"))
    else:
        check(obj[name], at + (name,), problems)


def _optional(
    problems: List[Problem], obj: dict, at: Tuple[object, ...], name: str, check: Check, nullable: bool = True
) -> None:
    if name not in obj:
        return
    if obj[name] is None:
        if not nullable:
            problems.append((at + (name,), f"sets {name!r} to null, which the manifest model refuses"))
        return
    check(obj[name], at + (name,), problems)


def _json_kind(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return {str: "string", list: "array", dict: "object", type(None): "null"}.get(type(value), "value")


def _field_name(at: Tuple[object, ...]) -> str:
    return ".".join(str(part) for part in at)


def _string(value: object, at: Tuple[object, ...], problems: List[Problem]) -> None:
    # pydantic v1 turns a number (a bool too) into its text; it refuses arrays and objects
    if isinstance(value, (list, dict)):
        problems.append((at, f"gives {_field_name(at)!r} a JSON {_json_kind(value)} where text is needed"))


def _boolean(value: object, at: Tuple[object, ...], problems: List[Problem]) -> None:
    ok = isinstance(value, bool) or (
        isinstance(value, (int, float)) and value in (0, 1)
        or isinstance(value, str) and value.lower() in _BOOL_WORDS
    )
    if not ok:
        problems.append((at, f"gives {_field_name(at)!r} {_shown(value)}, which is not a boolean"))


def _enum(choices: Tuple[str, ...]) -> Check:
    def check(value: object, at: Tuple[object, ...], problems: List[Problem]) -> None:
        if value not in choices:
            allowed = " or ".join(repr(choice) for choice in choices)
            problems.append((at, f"gives {_field_name(at)!r} {_shown(value)}, not {allowed}"))

    return check


def _shown(value: object) -> str:
    if isinstance(value, str):
        text = repr(value)
    else:
        text = _json_kind(value) if isinstance(value, (list, dict)) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _object(value: object, at: Tuple[object, ...], problems: List[Problem]) -> bool:
    if not isinstance(value, dict):
        problems.append((at, f"gives {_field_name(at)!r} a JSON {_json_kind(value)} where an object is needed"))
        return False
    return True


def _string_list(value: object, at: Tuple[object, ...], problems: List[Problem]) -> None:
    if not isinstance(value, list):
        problems.append((at, f"gives {_field_name(at)!r} a JSON {_json_kind(value)} where a list is needed"))
        return
    for index, item in enumerate(value):
        if item is None or isinstance(item, (list, dict)):
            problems.append((at, f"has {_shown(item)} in {_field_name(at)!r}, which holds text only"))
            return


def _build_config(value: object, at: Tuple[object, ...], problems: List[Problem]) -> None:
    if _object(value, at, problems):
        for key, item in value.items():  # type: ignore[union-attr]
            _string_list(item, at + (key,), problems)


def _template(value: object, at: Tuple[object, ...], problems: List[Problem]) -> None:
    if not _object(value, at, problems):
        return
    for name, entry in value.items():  # type: ignore[union-attr]
        where = at + (name,)
        if not _object(entry, where, problems):
            continue
        _required(problems, entry, where, "type", _enum(_TEMPLATE_TYPES))
        _optional(problems, entry, where, "description", _string)
        _optional(problems, entry, where, "default", _default)


def _default(value: object, at: Tuple[object, ...], problems: List[Problem]) -> None:
    if isinstance(value, (list, dict)):
        problems.append((at, f"gives {_field_name(at)!r} a JSON {_json_kind(value)}, not text, a number or a boolean"))


def _plugin(value: object, at: Tuple[object, ...], problems: List[Problem]) -> None:
    if not _object(value, at, problems):
        return
    _required(problems, value, at, "type", _string)  # type: ignore[arg-type]
    _optional(problems, value, at, "isTrainable", _boolean)  # type: ignore[arg-type]
    _optional(problems, value, at, "transport", _string, nullable=False)  # type: ignore[arg-type]
    _optional(problems, value, at, "streaming", _boolean, nullable=False)  # type: ignore[arg-type]


def _registry(value: object, at: Tuple[object, ...], problems: List[Problem]) -> None:
    if not _object(value, at, problems):
        return
    for name, item in value.items():  # type: ignore[union-attr]
        # every field but tags is Optional[str]; the URL fields' spelling changed in 2.3.14,
        # and a field the release does not know is ignored, so any name is accepted
        if name != "tags" and item is not None:
            _string(item, at + (name,), problems)
    _required(problems, value, at, "tags", _string_list)  # type: ignore[arg-type]
