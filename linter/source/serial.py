"""JSON encoding of the fact dataclasses, for the bundled steamship catalogue and the cache.

JSON, not pickle: a cache directory can arrive in a pull request, and loading it must never run
code. Dataclasses are encoded positionally behind a type tag; tuples become lists and come back
as tuples (the facts hold no lists).
"""

from __future__ import annotations

import base64
import dataclasses
from typing import Any, Dict, Type

from linter.source import facts

#: the fact records, by class name (what an encoding may name)
RECORD_TYPES: Dict[str, Type[Any]] = {
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
_FIELDS = {name: tuple(f.name for f in dataclasses.fields(cls)) for name, cls in RECORD_TYPES.items()}


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
        cls = RECORD_TYPES.get(data.get("@"))  # type: ignore[arg-type]
        values = data.get("v")
        if cls is None or not isinstance(values, list):
            raise FormatError(f"unknown record {data.get('@')!r}")
        fields = _FIELDS[cls.__name__]
        if len(values) != len(fields):
            raise FormatError(f"{cls.__name__} has {len(fields)} fields, got {len(values)}")
        return cls(*(decode(item) for item in values))
    return data


def loads(text: str) -> Any:
    """``decode(json.loads(text))`` in one pass: records are built by ``json``'s own (C) walk
    through an object hook, about twice as fast as decoding the parsed tree afterwards."""
    import json

    value = json.loads(text, object_hook=_record)
    return _tuples(value) if type(value) is list else value


def _tuples(items: list) -> tuple:
    return tuple(_tuples(item) if type(item) is list else item for item in items)


def _record(data: Dict[str, Any]) -> Any:
    if "@b" in data:
        return base64.b64decode(data["@b"])
    cls = RECORD_TYPES.get(data.get("@"))  # type: ignore[arg-type]
    values = data.get("v")
    if cls is None or type(values) is not list:
        raise FormatError(f"unknown record {data.get('@')!r}")
    if len(values) != len(_FIELDS[cls.__name__]):
        raise FormatError(f"{cls.__name__} has {len(_FIELDS[cls.__name__])} fields, got {len(values)}")
    # The facts are frozen dataclasses without __post_init__: filling __dict__ directly is the
    # object their __init__ would build (equal, hashable), at a fraction of the cost of one
    # object.__setattr__ per field.
    record = _new(cls)
    record.__dict__.update(
        zip(_FIELDS[cls.__name__], [_tuples(item) if type(item) is list else item for item in values])
    )
    return record


_new = object.__new__
