"""OpenAPI export: every fixture's documents validate; type mapping on a purpose-built package."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Dict

import pytest
from openapi_spec_validator import validate

from linter.engine import package_specs
from linter.openapi import RESERVED_PATHS, openapi_document, openapi_documents, path_key

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_dirs():
    return sorted(p for p in FIXTURES.iterdir() if p.is_dir())


@pytest.mark.parametrize("root", fixture_dirs(), ids=lambda p: p.name)
def test_every_fixture_gives_valid_documents(root: Path) -> None:
    specs, _, project = package_specs([root], "instance")
    documents = openapi_documents(specs, project)
    assert set(documents) == set(specs)
    for name, document in documents.items():
        validate(document)
        spec = specs[name]
        listed = {
            (verb.upper(), path)
            for path, operations in document["paths"].items()
            for verb in operations
        }
        wanted = {
            (route.verb, path_key(route.path))
            for route in spec.methods()
            if route.origin != "reserved"
        }
        assert listed == wanted, name
        with_reserved = openapi_document(name, spec, project, include_reserved=True)
        validate(with_reserved)
        for path in RESERVED_PATHS:
            assert path in with_reserved["paths"]


PACKAGE = '''\
{future}from enum import Enum
from typing import Dict, List, Literal, Optional, Tuple, Union

from pydantic import BaseModel, Field
from steamship.invocable import PackageService, get, post


class Color(str, Enum):
    """A colour."""

    RED = "red"
    GREEN = "green"


class Level(Enum):
    LOW = 1
    HIGH = 2


class Address(BaseModel):
    """A postal address."""

    street: str
    city: str = "Paris"
    zip_code: Optional[str]
    tags: List[str] = Field(default_factory=list, description="Free tags")
    _secret: str = "x"


class Person(Address):
    name: str
    friends: List["Person"] = []


class Mystery:
    pass


class Shop(PackageService):
    """A shop.

    Sells things.
    """

    @get("items", public=True, weight=2)
    def items(
        self,
        query: str,
        limit: int = 10,
        ratio: float = 0.5,
        exact: bool = False,
        color: Optional[Color] = None,
        **filters,
    ) -> List[str]:
        """List items.

        Filters are free-form.
        """
        return []

    @post("order")
    def order(
        self,
        person: Person,
        counts: Dict[str, int],
        ids: list[int],
        level: Level,
        mode: Literal["fast", "slow"],
        pair: Tuple[int, str],
        mystery: Mystery,
        untyped,
        maybe: int | None,
        note: Optional[str] = None,
        either: Union[int, str] = 1,
        shade: "Color" = Color.RED,
        *rest,
    ) -> dict:
        return {{}}

    @post("ping")
    def ping(self) -> str:
        return "pong"
'''


def shop_document(tmp_path: Path, future: bool) -> Dict[str, object]:
    root = tmp_path / ("future" if future else "plain")
    root.mkdir()
    (root / "steamship.json").write_text(json.dumps({"version": "1.2.3"}), encoding="utf-8")
    source = PACKAGE.format(future="from __future__ import annotations\n" if future else "")
    (root / "api.py").write_text(textwrap.dedent(source), encoding="utf-8")
    specs, failures, project = package_specs([root], "instance")
    assert not failures
    document = openapi_document("api.Shop", specs["api.Shop"], project)
    validate(document)
    return document


@pytest.fixture(params=[False, True], ids=["plain", "future_annotations"])
def shop(request: pytest.FixtureRequest, tmp_path: Path) -> Dict[str, object]:
    return shop_document(tmp_path, request.param)


def test_future_annotations_map_like_evaluated_ones(tmp_path: Path) -> None:
    assert shop_document(tmp_path, False) == shop_document(tmp_path, True)


def test_package_info_and_security(shop: dict) -> None:
    assert shop["openapi"] == "3.1.0"
    assert shop["info"] == {
        "title": "Shop",
        "version": "1.2.3",
        "description": "A shop.\n\nSells things.",
    }
    assert shop["security"] == [{"steamshipApiKey": []}]
    assert shop["components"]["securitySchemes"]["steamshipApiKey"]["scheme"] == "bearer"
    assert set(shop["paths"]) == {"/items", "/order", "/ping"}  # reserved routes left out


def test_get_arguments_are_query_parameters(shop: dict) -> None:
    operation = shop["paths"]["/items"]["get"]
    assert operation["summary"] == "List items."
    assert operation["description"] == "List items.\n\nFilters are free-form."
    assert operation["security"] == []
    assert operation["x-steamship-public"] is True
    assert operation["x-steamship-config"] == {"public": True, "weight": 2}
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert all(p["in"] == "query" for p in parameters.values())
    assert parameters["query"]["required"] is True
    assert parameters["query"]["schema"] == {"type": "string"}
    assert parameters["limit"] == {
        "name": "limit",
        "in": "query",
        "required": False,
        "schema": {"type": "integer"},
    }
    assert parameters["ratio"]["schema"] == {"type": "number"}
    assert parameters["exact"]["schema"] == {"type": "boolean"}
    assert parameters["color"]["schema"] == {
        "anyOf": [{"$ref": "#/components/schemas/Color"}, {"type": "null"}]
    }
    assert parameters["filters"]["schema"] == {"type": "object", "additionalProperties": True}
    assert "requestBody" not in operation
    response = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert response == {"type": "array", "items": {"type": "string"}}


def test_post_arguments_are_a_closed_json_body(shop: dict) -> None:
    operation = shop["paths"]["/order"]["post"]
    assert "security" not in operation and "x-steamship-public" not in operation
    assert "parameters" not in operation
    body = operation["requestBody"]
    assert body["required"] is True
    schema = body["content"]["application/json"]["schema"]
    assert schema["additionalProperties"] is False  # no **kwargs: an unknown key is a TypeError
    assert schema["required"] == [
        "person",
        "counts",
        "ids",
        "level",
        "mode",
        "pair",
        "mystery",
        "untyped",
        "maybe",
    ]
    props = schema["properties"]
    assert "rest" not in props  # *args cannot be passed as keyword arguments
    assert props["person"] == {"$ref": "#/components/schemas/Person"}
    assert props["counts"] == {"type": "object", "additionalProperties": {"type": "integer"}}
    assert props["ids"] == {"type": "array", "items": {"type": "integer"}}
    assert props["level"] == {"$ref": "#/components/schemas/Level"}
    assert props["mode"] == {"enum": ["fast", "slow"], "type": "string"}
    assert props["pair"] == {
        "type": "array",
        "prefixItems": [{"type": "integer"}, {"type": "string"}],
        "minItems": 2,
        "maxItems": 2,
    }
    assert props["mystery"] == {}  # a class that is neither a model nor an Enum: no type
    assert props["untyped"] == {}
    assert props["maybe"] == {"type": ["integer", "null"]}
    assert props["note"] == {"type": ["string", "null"]}
    assert props["either"] == {"type": ["integer", "string"]}
    assert props["shade"] == {"$ref": "#/components/schemas/Color"}  # a forward reference


def test_enums_and_models_are_components(shop: dict) -> None:
    schemas = shop["components"]["schemas"]
    assert set(schemas) == {"Color", "Level", "Person"}
    assert schemas["Color"] == {
        "title": "Color",
        "description": "A colour.",
        "enum": ["red", "green"],
        "type": "string",
    }
    assert schemas["Level"] == {"title": "Level", "enum": [1, 2], "type": "integer"}
    person = schemas["Person"]
    assert person["type"] == "object"
    assert list(person["properties"]) == ["street", "city", "zip_code", "tags", "name", "friends"]
    assert person["properties"]["tags"] == {
        "type": "array",
        "items": {"type": "string"},
        "description": "Free tags",
    }
    assert person["properties"]["friends"] == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/Person"},
    }
    # pydantic v1: a field without a default is required unless it may be None
    assert person["required"] == ["street", "name"]


def test_post_without_arguments_has_no_body_and_text_response(shop: dict) -> None:
    operation = shop["paths"]["/ping"]["post"]
    assert "requestBody" not in operation
    assert operation["responses"]["200"]["content"] == {
        "text/plain": {"schema": {"type": "string"}}
    }


def test_literal_paths_are_not_templates(tmp_path: Path) -> None:
    root = tmp_path / "weird"
    root.mkdir()
    (root / "steamship.json").write_text("{}", encoding="utf-8")
    (root / "api.py").write_text(
        textwrap.dedent(
            """\
            from steamship.invocable import PackageService, get

            class Odd(PackageService):
                @get("items/{item_id}")
                def item(self) -> str:
                    return ""

                @get("a b")
                def spaced(self) -> str:
                    return ""
            """
        ),
        encoding="utf-8",
    )
    specs, _, project = package_specs([root], "instance")
    document = openapi_document("api.Odd", specs["api.Odd"], project)
    validate(document)
    assert set(document["paths"]) == {"/items/%7Bitem_id%7D", "/a%20b"}
    assert document["paths"]["/a%20b"]["get"]["x-steamship-path"] == "/a b"
    assert document["info"]["version"] == "0.0.0"


def test_find_package() -> None:
    from linter.openapi import find_package

    names = ["api.Shop", "base.Shop", "api.Other"]
    assert find_package(names, "api.Shop") == "api.Shop"
    assert find_package(names, "Other") == "api.Other"
    with pytest.raises(LookupError, match="ambiguous"):
        find_package(names, "Shop")
    with pytest.raises(LookupError, match="no package Nope"):
        find_package(names, "Nope")
