"""The OpenAPI 3.1 document, built from the routes themselves and their ``@doc`` notes.

Building it from ``app.url_map`` means a route cannot be left out; a test checks that
every API route carries a ``@doc`` note and that the document validates.
"""

from __future__ import annotations

import re
from typing import Any

from flask import current_app, jsonify

from hub import __version__
from hub.api import MAX_ID, PUBLIC, bp, doc

_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")
_ERROR = {"$ref": "#/components/schemas/Error"}


def _path(rule: str) -> tuple[str, list[dict[str, Any]]]:
    params = []
    for converter, name in _PARAM.findall(rule):
        schema: dict[str, Any] = {"type": "string"}
        if converter == "int":  # werkzeug's int takes no sign; ids end at INTEGER's range
            schema = {"type": "integer", "minimum": 0, "maximum": MAX_ID}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    return _PARAM.sub(r"{\2}", rule), params


def build() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {
        "Error": {
            "type": "object",
            "properties": {"error": {"type": "string"}, "field": {"type": ["string", "null"]}},
            "required": ["error"],
        }
    }
    for rule in current_app.url_map.iter_rules():
        if not rule.rule.startswith(bp.url_prefix):
            continue
        view = current_app.view_functions[rule.endpoint]
        note = view.api_doc
        path, params = _path(rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            op: dict[str, Any] = {
                "operationId": rule.endpoint.split(".", 1)[1],
                "summary": note["summary"],
                "parameters": params
                + [{"name": k, "in": "query", "schema": v} for k, v in note["query"].items()],
                "responses": {
                    "200": {"description": "OK", "content": {"application/json": {"schema": {}}}},
                    "201": {"description": "Created"},
                    **{
                        code: {
                            "description": text,
                            "content": {"application/json": {"schema": _ERROR}},
                        }
                        for code, text in (
                            ("400", "Malformed"),
                            ("401", "No valid token"),
                            ("403", "Not allowed"),
                            ("404", "Not found"),
                            ("409", "Conflict"),
                            ("413", "Too large"),
                            ("422", "Invalid"),
                        )
                    },
                },
            }
            if rule.endpoint in PUBLIC:
                op["security"] = []
            if note["roles"]:
                op["description"] = "Roles: " + ", ".join(note["roles"])
            if note["body"] is not None:
                model = note["body"]
                schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
                schemas.update(schema.pop("$defs", {}))
                schemas[model.__name__] = schema
                op["requestBody"] = {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": f"#/components/schemas/{model.__name__}"}
                        }
                    },
                }
            paths.setdefault(path, {})[method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "SLA Hub API", "version": __version__},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


@bp.get("/openapi.json")
@doc("This document")
def openapi():  # noqa: ANN201
    return jsonify(build())
