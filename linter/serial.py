"""JSON encoding of the fact dataclasses, for the bundled steamship catalogue and the cache.

JSON, not pickle: a cache directory can arrive in a pull request, and loading it must never run
code. Dataclasses are encoded positionally behind a type tag; tuples become lists and come back
as tuples (the facts hold no lists).
"""

from __future__ import annotations

import base64
import dataclasses
from typing import Any, Dict, Type

from linter import facts

_TYPES: Dict[str, Type[Any]] = {
    cls.__name__: cls
    for cls in (
        facts.Span,
        facts.Expr,
        facts.ImportFact,
        facts.AssignFact,
        facts.ParamFact,
        facts.CallFact,
        facts.FunctionFact,
        facts.ClassFact,
        facts.ModuleFacts,
        facts.ParseFailure,
    )
}
_FIELDS = {name: tuple(f.name for f in dataclasses.fields(cls)) for name, cls in _TYPES.items()}


class FormatError(ValueError):
    """The data is not an encoding this version of pkgcheck wrote."""


def encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        name = type(value).__name__
        return {"@": name, "v": [encode(getattr(value, field)) for field in _FIELDS[name]]}
    if isinstance(value, (tuple, list)):
        return [encode(item) for item in value]
    if isinstance(value, bytes):
        return {"@b": base64.b64encode(value).decode("ascii")}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot encode {type(value).__name__}")


def decode(data: Any) -> Any:
    if isinstance(data, list):
        return tuple(decode(item) for item in data)
    if isinstance(data, dict):
        if "@b" in data:
            return base64.b64decode(data["@b"])
        cls = _TYPES.get(data.get("@"))  # type: ignore[arg-type]
        values = data.get("v")
        if cls is None or not isinstance(values, list):
            raise FormatError(f"unknown record {data.get('@')!r}")
        fields = _FIELDS[cls.__name__]
        if len(values) != len(fields):
            raise FormatError(f"{cls.__name__} has {len(fields)} fields, got {len(values)}")
        return cls(*(decode(item) for item in values))
    return data
