"""pkgcheck's rules: one module per concern, registered automatically.

A rule is a class with a ``code``, a one-clause ``message`` template with named fields, a
docstring in ruff's shape (summary, ``## Why is this bad?``, ``## Example``, ``## Use
instead``) and a ``check`` generator that yields :class:`Finding` s from the engine's facts and
specs (it never parses). Defining the class registers it; importing :mod:`rules` imports every
rule module.

The hundreds digit names the module: ``routes`` SHP1xx, ``signatures`` SHP2xx, ``mixins``
SHP3xx, ``invoke_later`` SHP4xx, ``manifest`` SHP5xx (what ``ship deploy`` refuses: manifest
rules subclass :class:`rules.manifest.ManifestRule`); SHP0xx are the engine's own (files it
cannot read).
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Dict, Iterator, List, Mapping, Optional, Type

if TYPE_CHECKING:  # pragma: no cover
    from linter.semantic.context import Context
    from linter.semantic.model import Where

REGISTRY: Dict[str, Type["Rule"]] = {}
_CODE = re.compile(r"^SHP\d{3}$")


@dataclass(frozen=True)
class Finding:
    """A rule's verdict: where the user must edit (``at``) and the message's fields.

    Field values that are :class:`~linter.semantic.model.Where` are rendered as ``path:line``.
    """

    code: str
    at: "Where"
    fields: Mapping[str, object] = field(default_factory=dict)


class Rule:
    """Base class: subclasses set ``code`` and ``message`` and implement :meth:`check`."""

    code: ClassVar[str] = ""
    message: ClassVar[str] = ""
    #: off unless selected (``--extend-select``)
    opt_in: ClassVar[bool] = False
    #: ``cli`` for findings only the standalone checker reports (flake8 has E999)
    only: ClassVar[Optional[str]] = None

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.code:
            return
        if not _CODE.match(cls.code):
            raise ValueError(f"{cls.__name__}: bad code {cls.code!r}")
        if cls.code in REGISTRY and REGISTRY[cls.code] is not cls:
            raise ValueError(f"{cls.code} registered twice: {REGISTRY[cls.code].__name__}, {cls.__name__}")
        if not cls.__doc__ or "## Why is this bad?" not in cls.__doc__:
            raise ValueError(f"{cls.__name__}: docstring needs a '## Why is this bad?' section")
        REGISTRY[cls.code] = cls

    @classmethod
    def name(cls) -> str:
        """kebab-case of the class name: ``DuplicateRoute`` → ``duplicate-route``."""
        return re.sub(r"(?<!^)(?=[A-Z])", "-", cls.__name__).lower()

    @classmethod
    def summary(cls) -> str:
        return (cls.__doc__ or "").strip().splitlines()[0].strip()

    @classmethod
    def documentation(cls) -> str:
        import inspect

        return inspect.cleandoc(cls.__doc__ or "")

    def finding(self, at: "Where", **fields: object) -> Finding:
        return Finding(self.code, at, fields)

    def check(self, context: "Context") -> Iterator[Finding]:  # pragma: no cover - abstract
        raise NotImplementedError
        yield


def load_all() -> Dict[str, Type[Rule]]:
    """Import every rule module (registration happens on import) and return the registry."""
    for info in pkgutil.iter_modules(__path__):  # type: ignore[name-defined]
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")
    return dict(sorted(REGISTRY.items()))


def default_codes() -> List[str]:
    return [code for code, rule in load_all().items() if not rule.opt_in]
