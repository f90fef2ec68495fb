"""Behind a reverse proxy: X-Forwarded-* honoured only when PROXY_FIX_* asks for it."""

from __future__ import annotations

import pytest
from flask import Flask, jsonify, request, url_for

from tests.test_admin_login import log_in

FORWARDED = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
BEHIND_NGINX = {"PROXY_FIX_X_FOR": 1, "PROXY_FIX_X_PROTO": 1, "PROXY_FIX_X_HOST": 1}


def probe(app: Flask) -> None:
    """A view that shows what the hub believes about the request (the test's window)."""

    @app.get("/_test/probe")
    def _probe():  # noqa: ANN202
        return jsonify(
            addr=request.remote_addr,
            scheme=request.scheme,
            healthz=url_for("healthz", _external=True),
        )


@pytest.mark.parametrize("config_extra", [BEHIND_NGINX], indirect=True)
def test_forwarded_headers_are_honoured_with_the_setting(app):
    probe(app)
    headers = {**FORWARDED, "X-Forwarded-Host": "hub.example.org"}
    seen = app.test_client().get("/_test/probe", headers=headers).get_json()
    assert seen == {
        "addr": "203.0.113.7",
        "scheme": "https",
        "healthz": "https://hub.example.org/healthz",
    }


def test_forwarded_headers_are_ignored_without_the_setting(app):
    probe(app)
    headers = {**FORWARDED, "X-Forwarded-Host": "evil.example.org"}
    seen = app.test_client().get("/_test/probe", headers=headers).get_json()
    assert seen == {"addr": "127.0.0.1", "scheme": "http", "healthz": "http://localhost/healthz"}


@pytest.fixture
def config_extra(request: pytest.FixtureRequest) -> dict:
    return {"LOGIN_RATE_LIMIT": "2 per minute", **getattr(request, "param", {})}


def failed_login(client, addr: str) -> int:  # noqa: ANN001
    client.environ_base["HTTP_X_FORWARDED_FOR"] = addr
    return log_in(client, "admin", "wrong password here").status_code


@pytest.mark.parametrize("config_extra", [BEHIND_NGINX], indirect=True)
def test_login_rate_limit_counts_the_forwarded_client_address(client, demo):
    assert [failed_login(client, "203.0.113.7") for _ in range(3)] == [401, 401, 429]
    assert failed_login(client, "203.0.113.8") == 401, "another client is not held back"


def test_without_the_setting_a_forwarded_address_does_not_dodge_the_limit(client, demo):
    assert [failed_login(client, "203.0.113.7") for _ in range(3)] == [401, 401, 429]
    assert failed_login(client, "203.0.113.8") == 429, "the header is not trusted"
