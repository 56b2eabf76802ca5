"""OpenAPI export: every fixture's documents validate; type mapping on a purpose-built package."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Dict

import pytest
from openapi_spec_validator import validate

from linter.run.engine import package_specs
from linter.tools.openapi import RESERVED_PATHS, openapi_document, openapi_documents, path_key

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
        # a verb computed at run time has no operation; the document names its path instead
        unknown = {path for verb, path in wanted if verb == "?"}
        assert listed == {(verb, path) for verb, path in wanted if verb != "?"}, name
        assert set(document.get("x-pkgcheck-unknown-verbs", ())) == unknown, name
        with_reserved = openapi_document(name, spec, project, include_reserved=True)
        validate(with_reserved)
        # the release's own reserved routes (2.2.0 has no /__instance_init__)
        for path in set(RESERVED_PATHS) & {reserved[1] for reserved in project.behaviour.reserved}:
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
    from linter.tools.openapi import find_package

    names = ["api.Shop", "base.Shop", "api.Other"]
    assert find_package(names, "api.Shop") == "api.Shop"
    assert find_package(names, "Other") == "api.Other"
    with pytest.raises(LookupError, match="ambiguous"):
        find_package(names, "Shop")
    with pytest.raises(LookupError, match="no package Nope"):
        find_package(names, "Nope")


# -- what steamship really sends and accepts: aliases, exclusions, Optional models ------------

MODELS = '''\
from enum import Enum
from typing import List, Optional

from pydantic import BaseModel, Field
from steamship.base.model import CamelModel


def shout(name: str) -> str:
    return name.upper()


class Tone(str, Enum):
    RED = "red"
    CRIMSON = "red"  # an alias of RED, not a member
    BLUE = "blue"


class Query(BaseModel):
    text_value: str = Field(alias="text")
    limit: int = 10


class Note(CamelModel):
    note_id: str
    file_url: str = ""
    secret: str = Field("", exclude=True)


class Plain(BaseModel):
    item_id: str = Field(alias="itemId")
    hidden: int = Field(0, exclude=True)
    notes: List[Note] = []


class Loud(BaseModel):
    some_field: str

    class Config:
        alias_generator = shout  # pkgcheck does not evaluate the project's functions
'''

ROUTES = '''\
from typing import List, Optional

from steamship.invocable import PackageService, get, post

from models import Loud, Note, Plain, Query, Tone


class Notes(PackageService):
    @post("search")
    def search(self, query: Query, tone: Tone = Tone.RED, maybe: Optional[Note] = None) -> Note:
        return Note(note_id="n")

    @get("find")
    def find(self, query: Optional[Query] = None, extra: Optional[dict] = None) -> Plain:
        return Plain(itemId="i")

    @post("all")
    def all(self) -> List[Plain]:
        return []

    @post("loud")
    def loud(self, loud: Loud) -> Loud:
        return loud
'''


@pytest.fixture
def notes_package(tmp_path: Path) -> Path:
    root = tmp_path / "notes"
    root.mkdir()
    (root / "steamship.json").write_text("{}", encoding="utf-8")
    (root / "models.py").write_text(MODELS, encoding="utf-8")
    (root / "api.py").write_text(ROUTES, encoding="utf-8")
    return root


def notes_document(root: Path) -> dict:
    specs, failures, project = package_specs([root], "instance")
    assert not failures
    document = openapi_document("api.Notes", specs["api.Notes"], project)
    validate(document)
    return document


def deref(document: dict, schema: dict) -> dict:
    return document["components"]["schemas"][schema["$ref"].rpartition("/")[2]]


def body(document: dict, path: str) -> dict:
    operation = document["paths"][path]["post"]
    return operation["requestBody"]["content"]["application/json"]["schema"]["properties"]


def response(document: dict, path: str, verb: str = "post") -> dict:
    operation = document["paths"][path][verb]
    return operation["responses"]["200"]["content"]["application/json"]["schema"]


def test_optional_model_and_dict_query_arguments_are_sent_as_json(notes_package: Path) -> None:
    document = notes_document(notes_package)
    parameters = {p["name"]: p for p in document["paths"]["/find"]["get"]["parameters"]}
    for name in ("query", "extra"):
        assert "schema" not in parameters[name]
        assert list(parameters[name]["content"]) == ["application/json"]
    assert parameters["query"]["content"]["application/json"]["schema"] == {
        "anyOf": [{"$ref": "#/components/schemas/Query"}, {"type": "null"}]
    }


def test_enum_aliases_are_not_values(notes_package: Path) -> None:
    document = notes_document(notes_package)
    assert document["components"]["schemas"]["Tone"]["enum"] == ["red", "blue"]
    specs, _, _ = package_specs([notes_package], "instance")
    search = specs["api.Notes"].routes[("POST", "/search")]
    assert [a.values for a in search.args if a.name == "tone"] == [("red", "blue")]


def test_request_models_are_parsed_by_alias(notes_package: Path) -> None:
    document = notes_document(notes_package)
    query = deref(document, body(document, "/search")["query"])
    assert list(query["properties"]) == ["text", "limit"]
    assert query["required"] == ["text"]
    note = deref(document, body(document, "/search")["maybe"]["anyOf"][0])
    # an excluded field is still accepted on the way in
    assert list(note["properties"]) == ["noteId", "fileURL", "secret"]
    # an alias generator pkgcheck cannot evaluate: no property names are guessed
    loud = deref(document, body(document, "/loud")["loud"])
    assert loud == {"type": "object", "title": "Loud"}


def test_responses_are_serialised_as_steamship_does(notes_package: Path) -> None:
    document = notes_document(notes_package)
    # a CamelModel: dict(by_alias=True), without excluded fields
    note = deref(document, response(document, "/search"))
    assert list(note["properties"]) == ["noteId", "fileURL"]
    # another model: dict(), by field name, nested models too
    plain = deref(document, response(document, "/find", "get"))
    assert list(plain["properties"]) == ["item_id", "notes"]
    nested = deref(document, plain["properties"]["notes"]["items"])
    assert list(nested["properties"]) == ["note_id", "file_url"]
    # models in a returned list: serialised with the response, by alias
    listed = deref(document, response(document, "/all")["items"])
    assert list(listed["properties"]) == ["itemId", "notes"]
    assert list(deref(document, listed["properties"]["notes"]["items"])["properties"]) == [
        "noteId",
        "fileURL",
    ]
    # field names are known even where aliases are not
    loud = deref(document, response(document, "/loud"))
    assert list(loud["properties"]) == ["some_field"]


RUNTIME_CHECK = """
import json
from steamship.invocable.invocable_response import InvocableResponse
from models import Loud, Note, Plain, Query, Tone

def keys(value):
    if isinstance(value, dict):
        return {k: keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [keys(v) for v in value]
    return None

note = Note(note_id="n", file_url="u", secret="s")
plain = Plain(itemId="i", hidden=1, notes=[note])
def sent(obj):
    # what the lambda handler sends: response.dict(by_alias=True)
    return keys(InvocableResponse.from_obj(obj).dict(by_alias=True)["data"])
accepted = []
for data in ({"text": "t"}, {"text_value": "t"}):
    try:
        Query.parse_obj(data)
        accepted.append(sorted(data))
    except Exception:
        pass
print(json.dumps({
    "note": sent(note), "plain": sent(plain), "list": sent([plain]),
    "query": accepted, "tone": [t.value for t in Tone],
}))
"""


def test_the_runtime_agrees(notes_package: Path, oracle_venv) -> None:
    """Property names and values as steamship 2.17.34 and pydantic v1 really serialise and
    parse them."""
    import subprocess

    done = subprocess.run(
        [str(oracle_venv.python), "-c", RUNTIME_CHECK],
        cwd=notes_package,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    runtime = json.loads(done.stdout)
    document = notes_document(notes_package)

    def names(schema: dict) -> list:
        return list(deref(document, schema)["properties"])

    note = response(document, "/search")
    assert list(runtime["note"]) == names(note)
    plain = response(document, "/find", "get")
    assert list(runtime["plain"]) == names(plain)
    nested = deref(document, plain)["properties"]["notes"]["items"]
    assert list(runtime["plain"]["notes"][0]) == names(nested)
    listed = response(document, "/all")["items"]
    assert list(runtime["list"][0]) == names(listed)
    assert list(runtime["list"][0]["notes"][0]) == names(
        deref(document, listed)["properties"]["notes"]["items"]
    )
    assert runtime["query"] == [["text"]]
    assert runtime["query"][0] == deref(document, body(document, "/search")["query"])["required"]
    assert runtime["tone"] == document["components"]["schemas"]["Tone"]["enum"]


def test_to_camel_is_steamships(oracle_venv) -> None:
    import subprocess

    from linter.semantic.schemas import to_camel

    names = ["task_id", "file_url", "url", "a_b_c", "x", "image_url_url", "plugin_url_value",
             "snake__double", "trailing_", "already_camelCase", "id2_x"]  # fmt: skip
    done = subprocess.run(
        [
            str(oracle_venv.python),
            "-c",
            "import json, sys\nfrom steamship.base.model import to_camel\n"
            "print(json.dumps([to_camel(n) for n in json.loads(sys.argv[1])]))",
            json.dumps(names),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert [to_camel(name) for name in names] == json.loads(done.stdout)


@pytest.mark.parametrize(
    "config",
    [
        "model_config = {'alias_generator': str.upper}",  # pydantic v2's spelling
        "Config = SomewhereElse",
        "class Config:\n        fields = {'some_field': 'someField'}",
    ],
)
def test_aliases_set_where_pkgcheck_does_not_read_are_not_guessed(
    notes_package: Path, config: str
) -> None:
    models = notes_package / "models.py"
    text = models.read_text(encoding="utf-8").replace(
        "    class Config:\n        alias_generator = shout  # pkgcheck does not evaluate the "
        "project's functions\n",
        f"    {config}\n",
    )
    assert "shout  #" not in text
    models.write_text(text.replace("def shout", "SomewhereElse = object\n\n\ndef shout"), "utf-8")
    document = notes_document(notes_package)
    assert deref(document, body(document, "/loud")["loud"]) == {"type": "object", "title": "Loud"}
