"""Schemathesis against the app's own OpenAPI document, in-process over WSGI.

Every operation gets generated requests, valid and invalid per its schema, sent with the
admin's token; no answer may be a 5xx. The app runs with TESTING on, so an unhandled
exception propagates into the test and Hypothesis shrinks it to a small example.

``schemathesis.pytest.from_fixture`` is not used: schemathesis 4.32 reads
``request.node._nodeid``, which pytest 9 no longer has. The operations are listed at
collection from the document of a throwaway app (building it touches no database), and
each test loads the schema from its own app with ``schemathesis.openapi.from_wsgi``.

Both backends, although PostgreSQL doubles the time (about 12 s each at 25 examples per
operation): the 500s this test found were PostgreSQL's alone (NUL characters, ids beyond
INTEGER), which SQLite stores or answers without complaint.
"""

from __future__ import annotations

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from hub import create_app
from tests.conftest import base_config, bearer

OPENAPI = "/api/v1/openapi.json"


def _operations() -> list[tuple[str, str]]:
    doc = create_app(base_config("sqlite://")).test_client().get(OPENAPI).json
    return [(method.upper(), path) for path, ops in doc["paths"].items() for method in ops]


OPERATIONS = _operations()


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_no_server_error(app: Flask, demo: dict, method: str, path: str) -> None:
    operation = schemathesis.openapi.from_wsgi(OPENAPI, app)[path][method]
    headers = bearer(demo["tokens"]["admin"])
    cases = st.one_of(
        operation.as_strategy(schemathesis.GenerationMode.POSITIVE),
        operation.as_strategy(schemathesis.GenerationMode.NEGATIVE),
    )

    @given(case=cases)
    @settings(
        max_examples=25,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, checks=[not_a_server_error])

    check()
