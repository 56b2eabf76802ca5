"""OpenAPI 3.1 documents from the static specs: what a client of each package may call.

One document per package: a path per route, GET arguments as query parameters, POST arguments
as the properties of a JSON request body (steamship calls the method with them as keyword
arguments: an unknown key raises ``TypeError`` unless the method takes ``**kwargs``, so the body
object is closed otherwise). Argument and return types are mapped by :mod:`linter.semantic.schemas`
from the annotation expressions; Enums and models become ``components.schemas``.

The reserved routes (``GET``/``POST /__dir__``, ``POST /__instance_init__``) are left out by
default: every package has them, the Steamship engine calls ``/__instance_init__`` itself when an
instance is created, and ``/__dir__`` only describes the package (this document does that
better). Clients generated from the document would otherwise expose plumbing as API. Pass
``include_reserved=True`` to list them, marked ``x-steamship-reserved``.
"""

from __future__ import annotations

import inspect
import json
import re
from typing import Dict, Iterable, List, Mapping, Optional, Tuple
from urllib.parse import quote

from linter.project.index import Project
from linter.semantic.model import Route, Spec
from linter.semantic.schemas import ANY, NULL, SchemaMapper
from linter.source.facts import ModuleFacts, ParamFact

OPENAPI_VERSION = "3.1.0"
RESERVED_PATHS = ("/__dir__", "/__instance_init__")
SECURITY_SCHEME = "steamshipApiKey"


def openapi_documents(
    specs: Mapping[str, Spec], project: Project, *, include_reserved: bool = False
) -> Dict[str, dict]:
    """An OpenAPI document per package, keyed like ``specs`` (``module.Class``)."""
    return {
        name: openapi_document(name, spec, project, include_reserved=include_reserved)
        for name, spec in sorted(specs.items())
    }


def find_package(names: Iterable[str], wanted: str) -> str:
    """The package ``wanted`` names: its full name, or, when unambiguous, ``module.Class``
    without a project's prefix (``billing:api.Billing``, see
    :func:`linter.run.engine.qualified_specs`) or ``Class``. Raises ``LookupError`` saying which
    packages there are."""
    packages = sorted(names)
    if wanted in packages:
        return wanted
    matches = [name for name in packages if name.rpartition(":")[2] == wanted]
    if len(matches) == 1:
        return matches[0]
    matches = matches or [name for name in packages if name.rpartition(".")[2] == wanted]
    if len(matches) == 1:
        return matches[0]
    known = ", ".join(packages) or "none"
    if matches:
        raise LookupError(f"{wanted} is ambiguous: {', '.join(matches)}")
    raise LookupError(f"no package {wanted} (packages: {known})")


def openapi_document(
    name: str, spec: Spec, project: Project, *, include_reserved: bool = False
) -> dict:
    """The OpenAPI 3.1 document of one package's static spec."""
    mapper = SchemaMapper(project)
    info: Dict[str, object] = {"title": spec.name, "version": package_version(project)}
    if spec.doc:
        info["description"] = inspect.cleandoc(spec.doc)
    paths: Dict[str, Dict[str, object]] = {}
    operation_ids: Dict[str, int] = {}
    unknown_verbs: List[str] = []
    for route in spec.methods():
        if route.origin == "reserved" and not include_reserved:
            continue
        if route.verb == "?":  # a verb computed at run time: no operation can be written for it
            unknown_verbs.append(path_key(route.path))
            continue
        operation = _operation(route, mapper, operation_ids)
        paths.setdefault(path_key(route.path), {})[route.verb.lower()] = operation
    document: Dict[str, object] = {
        "openapi": OPENAPI_VERSION,
        "info": info,
        "paths": paths,
        "security": [{SECURITY_SCHEME: []}],
        "x-steamship-package": name,
    }
    if unknown_verbs:
        document["x-pkgcheck-unknown-verbs"] = sorted(set(unknown_verbs))
    components: Dict[str, object] = {
        "securitySchemes": {
            SECURITY_SCHEME: {
                "type": "http",
                "scheme": "bearer",
                "description": "A Steamship API key",
            }
        }
    }
    if mapper.components:
        components["schemas"] = dict(sorted(mapper.components.items()))
    document["components"] = components
    if spec.sdk_version:
        document["x-steamship-sdk-version"] = spec.sdk_version
    if spec.notes:
        # pkgcheck could not see everything: routes may be missing from this document
        document["x-steamship-incomplete"] = list(spec.notes)
    if spec.fails:
        document["x-steamship-fails"] = True
    return document


def package_version(project: Project) -> str:
    """``version`` of the project's steamship.json, else ``0.0.0``."""
    try:
        data = json.loads((project.root / "steamship.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "0.0.0"
    version = data.get("version") if isinstance(data, dict) else None
    return version if isinstance(version, str) and version else "0.0.0"


def path_key(path: str) -> str:
    """A route path as an OpenAPI path key: steamship matches paths literally, so ``{x}`` is
    no template and whitespace is part of the path; both are percent-encoded."""
    return quote(path, safe="/:@!$&'()*+,;=-._~")


def _operation(route: Route, mapper: SchemaMapper, ids: Dict[str, int]) -> Dict[str, object]:
    stem = re.sub(r"[^0-9A-Za-z_]+", "_", route.path).strip("_") or "root"
    operation_id = f"{route.verb.lower()}_{stem}"
    ids[operation_id] = ids.get(operation_id, 0) + 1
    if ids[operation_id] > 1:
        operation_id = f"{operation_id}_{ids[operation_id]}"
    operation: Dict[str, object] = {"operationId": operation_id, "tags": [route.class_name]}
    doc = inspect.cleandoc(route.doc) if route.doc else ""
    if doc:
        operation["summary"] = doc.splitlines()[0]
        operation["description"] = doc
    params, varkw = _params(route)
    module = mapper.project.module(route.function_class.module) if route.function_class else None
    if route.verb == "GET":
        parameters = [_query_parameter(p, module, mapper) for p in params]
        if varkw is not None:
            parameters.append(
                {
                    "name": varkw.name,
                    "in": "query",
                    "style": "form",
                    "explode": True,
                    "schema": {"type": "object", "additionalProperties": True},
                }
            )
        if parameters:
            operation["parameters"] = parameters
    elif params or varkw is not None or not route.args_known:
        operation["requestBody"] = _request_body(route, params, varkw, module, mapper)
    operation["responses"] = {"200": _response(route, mapper)}
    config = dict(route.config or {})
    if config.get("public") is True:
        operation["security"] = []
        operation["x-steamship-public"] = True
    if config:
        operation["x-steamship-config"] = config
    operation["x-steamship-class"] = route.class_name
    operation["x-steamship-method"] = route.method_name
    if route.origin == "reserved":
        operation["x-steamship-reserved"] = True
    if route.path != path_key(route.path):
        operation["x-steamship-path"] = route.path
    if not route.args_known:
        operation["x-steamship-args-unknown"] = True
    return operation


def _params(route: Route) -> Tuple[List[ParamFact], Optional[ParamFact]]:
    """The parameters a caller can pass — steamship passes them all by keyword, so not
    ``*args`` nor positional-only ones — and ``**kwargs``."""
    if route.function is None:
        return [], None
    params = [
        p for p in route.function.params if p.name != "self" and p.kind not in ("vararg", "posonly")
    ]
    varkw = next((p for p in params if p.kind == "varkw"), None)
    return [p for p in params if p.kind != "varkw"], varkw


def _query_parameter(param: ParamFact, module: Optional[ModuleFacts], mapper: SchemaMapper) -> dict:
    schema = mapper.schema(module, param.annotation)
    parameter: Dict[str, object] = {
        "name": param.name,
        "in": "query",
        "required": param.default is None,
    }
    if mapper.is_object(schema):
        # an object in a query string has no agreed spelling: send it as JSON
        parameter["content"] = {"application/json": {"schema": schema}}
    else:
        parameter["schema"] = schema
    return parameter


def _request_body(
    route: Route,
    params: List[ParamFact],
    varkw: Optional[ParamFact],
    module: Optional[ModuleFacts],
    mapper: SchemaMapper,
) -> dict:
    schema: Dict[str, object] = {"type": "object"}
    if route.args_known:
        schema["properties"] = {p.name: mapper.schema(module, p.annotation) for p in params}
        required = [p.name for p in params if p.default is None]
        if required:
            schema["required"] = required
        schema["additionalProperties"] = varkw is not None
    return {
        "required": any(p.default is None for p in params),
        "content": {"application/json": {"schema": schema}},
    }


def _response(route: Route, mapper: SchemaMapper) -> dict:
    """What ``InvocableResponse.from_obj`` makes of the return value: a str as text, dicts,
    lists, numbers and models as JSON (a ``CamelModel`` by alias, another model by field
    name: see :mod:`linter.semantic.schemas`); anything else is not described."""
    response: Dict[str, object] = {"description": "The route's return value"}
    function = route.function
    if function is None or function.returns is None or route.origin == "reserved":
        return response
    module = mapper.project.module(route.function_class.module) if route.function_class else None
    schema = mapper.response_schema(module, function.returns)
    if schema == NULL or schema == ANY:
        return response
    media = "text/plain" if schema == {"type": "string"} else "application/json"
    response["content"] = {media: {"schema": schema}}
    return response
