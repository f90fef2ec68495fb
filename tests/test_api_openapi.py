"""The OpenAPI document: complete (every /api/v1 route with its methods), described (every
view has a summary), and valid OpenAPI 3.1 (schemathesis' validator: the official
meta-schema on jsonschema_rs, both already installed with schemathesis)."""

from __future__ import annotations

import copy
import re

import jsonschema_rs
import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient

PREFIX = "/api/v1"


@pytest.fixture
def document(client: FlaskClient) -> dict:
    resp = client.get(f"{PREFIX}/openapi.json")
    assert resp.status_code == 200 and resp.is_json
    return resp.json


def api_rules(app: Flask) -> list:
    return [r for r in app.url_map.iter_rules() if r.rule.startswith(PREFIX)]


def openapi_path(rule: str) -> str:
    return re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", r"{\1}", rule)


def test_every_api_route_is_documented_with_its_methods(app, document):
    rules = api_rules(app)
    assert len(rules) >= 20
    expected: dict[str, set[str]] = {}
    for rule in rules:
        methods = {m.lower() for m in rule.methods - {"HEAD", "OPTIONS"}}
        expected.setdefault(openapi_path(rule.rule), set()).update(methods)
    assert {path: set(ops) for path, ops in document["paths"].items()} == expected


def test_every_view_has_a_summary(app, document):
    for rule in api_rules(app):
        note = getattr(app.view_functions[rule.endpoint], "api_doc", None)
        assert note is not None, f"{rule.endpoint} has no @doc"
        assert note["summary"].strip(), rule.endpoint
    for path, ops in document["paths"].items():
        for method, op in ops.items():
            assert op["summary"].strip(), (method, path)
            assert op["operationId"], (method, path)


def test_operation_ids_are_unique_per_method(document):
    ids = [(m, op["operationId"]) for ops in document["paths"].values() for m, op in ops.items()]
    assert len(ids) == len(set(ids))


def test_document_is_valid_openapi_3_1(document):
    assert document["openapi"] == "3.1.0"
    schemathesis.openapi.from_dict(copy.deepcopy(document)).validate()


def test_the_validator_does_catch_a_broken_document(document):
    broken = copy.deepcopy(document)
    first = next(iter(broken["paths"].values()))
    next(iter(first.values()))["responses"] = {"200": {"content": {}}}  # no description
    with pytest.raises(jsonschema_rs.ValidationError):
        schemathesis.openapi.from_dict(broken).validate()


def test_component_schemas_are_valid_json_schema_2020_12(document):
    schemas = document["components"]["schemas"]
    assert {"CallCreate", "ContractIn", "Error"} <= set(schemas)
    for name, schema in schemas.items():
        assert jsonschema_rs.meta.is_valid(schema), name


def test_every_reference_resolves(document):
    text = str(document)
    refs = set(re.findall(r"'\$ref': '#/components/schemas/([^']+)'", text))
    assert refs, "the document uses no $ref at all"
    assert refs <= set(document["components"]["schemas"])


def test_bodies_roles_parameters_and_security(app, document):
    paths = document["paths"]
    body = paths[f"{PREFIX}/calls"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CallCreate"
    }
    assert "requestBody" not in paths[f"{PREFIX}/calls"]["get"]
    assert paths[f"{PREFIX}/outbox/{{delivery_id}}/redrive"]["post"]["description"] == (
        "Roles: admin"
    )
    param = paths[f"{PREFIX}/calls/{{call_id}}"]["get"]["parameters"][0]
    assert (param["name"], param["in"], param["required"]) == ("call_id", "path", True)
    assert param["schema"]["type"] == "integer"
    names = {p["name"] for p in paths[f"{PREFIX}/calls"]["get"]["parameters"]}
    assert names == {"client", "status", "line", "priority", "assignee", "q", "page", "per_page"}
    assert document["security"] == [{"bearer": []}]
    assert paths[f"{PREFIX}/openapi.json"]["get"]["security"] == []  # public
    assert "security" not in paths[f"{PREFIX}/calls"]["get"]


def test_a_documented_body_is_accepted(client, demo, document):
    """The CallCreate schema and the API agree: a body valid per the document is taken."""
    registry = jsonschema_rs.Registry([("urn:doc", document)])
    validator = jsonschema_rs.validator_for(
        {"$ref": "urn:doc#/components/schemas/CallCreate"}, registry=registry
    )
    body = {"client": "amarant", "title": "From the document", "priority": "P2", "links": []}
    validator.validate(body)
    assert not validator.is_valid({"client": "amarant", "title": "x", "priority": "P9"})
    resp = client.post(
        f"{PREFIX}/calls", json=body, headers={"Authorization": f"Bearer {demo['tokens']['admin']}"}
    )
    assert resp.status_code == 201
