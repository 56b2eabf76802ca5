#!/usr/bin/env python
"""Runtime oracle: dump the PackageSpecs that steamship itself builds for a source tree.

Usage (with a python that has ``steamship`` installed)::

    python runtime_dump.py ROOT [ROOT...]

Standalone on purpose: only the standard library and ``steamship`` are used, so it can run in the
oracle venv, which knows nothing about pkgcheck. Run it with the working directory set to a
scratch directory: steamship reads ``.steamship/secrets.toml`` relative to the working directory
when a package is instantiated.

For every ROOT:

* Import roots: ``ROOT`` and ``ROOT/src`` (if it exists). If ``ROOT`` is itself a package (it holds
  an ``__init__.py``), the import root is the nearest ancestor directory that is not a package,
  and module names carry the dotted package prefix (so ``site-packages/steamship/agents/examples``
  yields modules ``steamship.agents.examples.xxx``).
* Every ``.py`` file below ROOT is a module (``__init__.py`` gives the package's name), except files
  named ``setup.py`` / ``conftest.py`` and anything under a directory whose name starts with ``.``
  (or ``__pycache__``). A file belongs to the deepest import root that contains it.
* The modules are imported in sorted order; an exception while importing one is recorded as
  ``{"module": name, "error": "<ExcType>: msg"}`` and the next module is tried.
* Every class defined in an imported module (``cls.__module__ == module``, nested classes included)
  that is a proper subclass of ``steamship.invocable.PackageService`` is a package, keyed
  ``"<module>.<qualname>"``. Its ``class`` entry is ``cls._package_spec.dict(by_alias=True)``, taken
  after *all* modules are imported (a subclass that lists more mixins can append to its parent's
  ``usedMixins`` list; the dump shows that final state). Its ``instance`` entry is the spec of
  ``cls(client=MagicMock(spec=Steamship))`` (plus a dummy ``config`` if the package's config class
  has required fields), or ``{"error": ...}`` if instantiation raised.

Output: ONE JSON document on stdout::

    {"packages": {"mod.Cls": {"class": {...} | {"error": ...},
                              "instance": {...} | {"error": ...},
                              ["instance_config": {...}]}},
     "errors": [{"module": ..., "error": ...}, ...],
     "modules": [every discovered module name, sorted], "import_roots": [...]}

With several ROOTs, each root is dumped in a fresh child process (so module names and class-level
side effects cannot leak between roots) and the results are merged; a package key seen under two
roots is reported in ``errors`` and the first one is kept.
"""
from __future__ import annotations

import contextlib
import importlib
import json
import os
import subprocess
import sys
import traceback
from enum import Enum
from typing import Any, Dict, Iterator, List, Optional, Tuple

sys.dont_write_bytecode = True

SKIP_FILES = {"setup.py", "conftest.py"}


def _err(exc: BaseException) -> str:
    msg = str(exc)
    return f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__


def import_root_for(root: str) -> Tuple[str, str]:
    """Return (import_root, dotted_prefix) for an analysis root.

    If ``root`` is a package directory, walk up to the first directory without ``__init__.py``.
    """
    root = os.path.abspath(root)
    parts: List[str] = []
    current = root
    while os.path.isfile(os.path.join(current, "__init__.py")):
        parent = os.path.dirname(current)
        if parent == current:
            break
        parts.insert(0, os.path.basename(current))
        current = parent
    return current, ".".join(parts)


def discover_modules(root: str) -> Tuple[List[str], List[str]]:
    """Return (import_roots, sorted module names) for an analysis root."""
    root = os.path.abspath(root)
    base_root, prefix = import_root_for(root)
    roots = [base_root]
    src = os.path.join(root, "src")
    if not prefix and os.path.isdir(src):
        roots.append(src)
    # Deepest import root first, so a file under src/ is named relative to src/.
    roots_by_depth = sorted(roots, key=len, reverse=True)

    modules = set()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(
            d for d in dirnames if not d.startswith(".") and d != "__pycache__"
        )
        for filename in sorted(filenames):
            if not filename.endswith(".py") or filename in SKIP_FILES:
                continue
            path = os.path.join(dirpath, filename)
            owner = next(
                r for r in roots_by_depth if path.startswith(r.rstrip(os.sep) + os.sep)
            )
            rel = os.path.relpath(path, owner)[: -len(".py")]
            parts = rel.split(os.sep)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            if not parts or not all(p.isidentifier() for p in parts):
                continue
            modules.add(".".join(parts))
    return roots, sorted(modules)


def to_jsonable(value: Any) -> Any:
    if isinstance(value, Enum):
        return to_jsonable(value.value)
    if isinstance(value, dict):
        return {str(to_jsonable(k)): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return str(value)
    return str(value)


def iter_classes(namespace: Dict[str, Any], modname: str, seen: set) -> Iterator[type]:
    for value in list(namespace.values()):
        if isinstance(value, type) and value.__module__ == modname and id(value) not in seen:
            if "<locals>" in value.__qualname__:
                continue
            seen.add(id(value))
            yield value
            yield from iter_classes(dict(vars(value)), modname, seen)


def dummy_config(cls: type) -> Optional[Dict[str, Any]]:
    """Dummy values for the required fields of the package's config class (pydantic v1)."""
    try:
        config_cls = cls.config_cls()
        fields = getattr(config_cls, "__fields__", {})
    except Exception:
        return None
    values: Dict[str, Any] = {}
    for name, field in fields.items():
        if not getattr(field, "required", False):
            continue
        type_ = getattr(field, "outer_type_", None) or getattr(field, "type_", None)
        if type_ is bool:
            values[name] = False
        elif type_ is int:
            values[name] = 0
        elif type_ is float:
            values[name] = 0.0
        elif isinstance(type_, type) and issubclass(type_, Enum):
            values[name] = next(iter(type_)).value
        else:
            values[name] = "pkgcheck-oracle-dummy"
    return values or None


def instantiate(cls: type) -> Tuple[Any, Optional[Dict[str, Any]]]:
    from unittest.mock import MagicMock

    from steamship import Steamship

    # A plain MagicMock is not enough: pydantic models in steamship (e.g. ChatOpenAI) declare
    # `client: Steamship` and, given a non-instance, try to build a real client (network login).
    # spec=Steamship makes isinstance() checks pass while every call stays a mock.
    client = MagicMock(spec=Steamship)
    config = dummy_config(cls)
    if config is None:
        return cls(client=client), None
    return cls(client=client, config=config), config


def app_table(cls: type) -> Dict[str, Any]:
    """The route table of a 2.1.x ``App`` (it has no PackageSpec), written as a spec: each
    route's path and verb, and the signature of the method it calls (``getattr(cls, name)``)."""
    import inspect

    methods = []
    for verb, paths in cls._method_mappings.items():
        for path, name in paths.items():
            signature = inspect.signature(getattr(cls, name))
            methods.append(
                {
                    "path": path,
                    "verb": str(getattr(verb, "value", verb)),
                    "returns": str(signature.return_annotation),
                    "doc": getattr(cls, name).__doc__,
                    "args": [
                        {"name": p, "kind": str(signature.parameters[p].annotation)}
                        for p in signature.parameters
                        if p != "self"
                    ],
                }
            )
    return {"name": cls.__name__, "doc": cls.__doc__, "methods": methods}


def spec_of(cls: type, holder: Any) -> Dict[str, Any]:
    """The spec ``holder`` (the class or an instance) serves: its PackageSpec, or for a 2.1.x
    App, which has none, its route table."""
    if hasattr(cls, "_package_spec"):
        return holder._package_spec.dict(by_alias=True)
    return app_table(cls)


def dump_root(root: str) -> Dict[str, Any]:
    import steamship  # noqa: F401  (imported before the analysed roots go on sys.path)

    try:
        from steamship.invocable import PackageService
    except ImportError:  # 2.1.x: packages are steamship.app.App subclasses
        from steamship.app import App as PackageService

    roots, modules = discover_modules(root)
    for r in reversed(roots):
        if r in sys.path:
            sys.path.remove(r)
        sys.path.insert(0, r)
    importlib.invalidate_caches()

    errors: List[Dict[str, str]] = []
    found: List[Tuple[str, type]] = []
    seen: set = set()
    for modname in modules:
        try:
            # Keep stdout clean for the JSON document.
            with contextlib.redirect_stdout(sys.stderr):
                module = importlib.import_module(modname)
        except BaseException as exc:  # noqa: B902 - SystemExit etc. must not kill the dump
            if isinstance(exc, KeyboardInterrupt):
                raise
            errors.append({"module": modname, "error": _err(exc)})
            continue
        for cls in iter_classes(dict(vars(module)), modname, seen):
            if issubclass(cls, PackageService) and cls is not PackageService:
                found.append((f"{modname}.{cls.__qualname__}", cls))

    packages: Dict[str, Dict[str, Any]] = {}
    for key, cls in sorted(found, key=lambda kv: kv[0]):
        entry: Dict[str, Any] = {}
        try:
            entry["class"] = to_jsonable(spec_of(cls, cls))
        except Exception as exc:
            entry["class"] = {"error": _err(exc)}
        try:
            with contextlib.redirect_stdout(sys.stderr):
                instance, config = instantiate(cls)
            entry["instance"] = to_jsonable(spec_of(cls, instance))
            if config is not None:
                entry["instance_config"] = to_jsonable(config)
        except BaseException as exc:  # noqa: B902
            if isinstance(exc, KeyboardInterrupt):
                raise
            entry["instance"] = {"error": _err(exc)}
            entry["instance_traceback"] = traceback.format_exc(limit=-4)
        packages[key] = entry
    return {"packages": packages, "errors": errors, "modules": modules, "import_roots": roots}


def main(argv: List[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    for root in argv:
        if not os.path.isdir(root):
            print(f"runtime_dump: not a directory: {root}", file=sys.stderr)
            return 2
    if len(argv) == 1:
        result = dump_root(argv[0])
    else:
        result = {"packages": {}, "errors": [], "modules": [], "import_roots": []}
        for root in argv:
            proc = subprocess.run(
                [sys.executable, os.path.abspath(__file__), root],
                stdout=subprocess.PIPE,
                universal_newlines=True,
            )
            if proc.returncode != 0:
                result["errors"].append(
                    {"root": root, "error": f"runtime_dump exited {proc.returncode}"}
                )
                continue
            part = json.loads(proc.stdout)
            result["modules"].extend(m for m in part["modules"] if m not in result["modules"])
            result["import_roots"].extend(part["import_roots"])
            for err in part["errors"]:
                err["root"] = root
                result["errors"].append(err)
            for key, entry in part["packages"].items():
                if key in result["packages"]:
                    result["errors"].append(
                        {"root": root, "error": f"package key {key} also seen under another root"}
                    )
                    continue
                entry["root"] = root
                result["packages"][key] = entry
    json.dump(result, sys.stdout, indent=1, sort_keys=True, default=str)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
