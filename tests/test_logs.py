"""Logs: JSON lines with request ids, and no secret in any log or error page.

The redaction filter and the formatter are tested on their own first; then a full run
in real processes (the web server, ``slahub worker``, the CLI) with every kind of secret
configured and used, whose captured output is searched for each of them.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from flask import Flask

from hub import create_app, logs, requestid
from hub.builtin.generic_webhooks import signature
from hub.errors import HubError
from hub.redact import REDACTED, RedactFilter, Redactor, secrets_of
from tests.conftest import base_config
from tests.support.fake_mantis import FakeMantis, serve
from tests.support.hubprocess import listening
from tests.support.logrun import DB_SECRET, Run, json_lines, with_password
from tests.support.mediawiki import free_port
from tests.support.workers import fetch


def record(msg: object, *args: object, exc: BaseException | None = None, **extra: object):  # noqa: ANN201
    rec = logging.LogRecord("hub.test", logging.INFO, __file__, 1, msg, args or None, None)
    if exc is not None:
        rec.exc_info = (type(exc), exc, exc.__traceback__)
    for name, value in extra.items():
        setattr(rec, name, value)
    return rec


def formatted(rec: logging.LogRecord, secrets: tuple[str, ...] = ()) -> str:
    assert RedactFilter(Redactor(secrets)).filter(rec)
    return logs.JsonFormatter().format(rec)


# --- the redaction filter ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Authorization: Bearer abcdefgh12345678", "Authorization: "),
        ("{'authorization': 'Basic dXNlcjpwYXNzd29yZA=='}", "'authorization': '"),
        ('{"X-Hub-Signature-256": "sha256=00ff00ff00ff00ff00ff"}', '"X-Hub-Signature-256": "'),
        ("x-hub-signature: sha1=0123456789abcdef0123", "x-hub-signature: "),
        ("header sha256=deadbeefdeadbeefdeadbeef", "header sha256="),
        ("GET /login?next=/&password=hunter22&x=1", "password="),
        ("POST /webhooks/jira?token=s3cr3t-url-token", "token="),
        ("form csrf_token=IjE2ZjY0&username=bas", "csrf_token="),
        ('{"password": "hunter22", "user": "bas"}', '"password": '),
        ("postgresql://hub:pw-in-url@db/hub failed", "postgresql://hub:"),
        ("Cookie: session=eyJfZnJlc2giOmZhbHNlfQ", "Cookie: "),
    ],
)
def test_patterns_redact_credentials_the_hub_cannot_know(text: str, kept: str) -> None:
    secret = re.search(
        r"abcdefgh12345678|dXNlcjpwYXNzd29yZA==|00ff00ff00ff00ff00ff|0123456789abcdef0123"
        r"|deadbeefdeadbeefdeadbeef|hunter22|s3cr3t-url-token|IjE2ZjY0|pw-in-url|eyJfZnJlc2giOmZhbHNlfQ",
        text,
    ).group(0)
    out = Redactor()(text)
    assert secret not in out
    assert kept in out and REDACTED in out
    assert Redactor()(out) == out, "redacting twice changes nothing"


def test_configured_secrets_are_redacted_in_message_arguments_extras_and_tracebacks() -> None:
    key = "the-secret-key-0815"
    try:
        raise RuntimeError(f"connect failed with {key}")
    except RuntimeError as exc:
        rec = record("called with %s and %r", key, {"k": key}, exc=exc, detail=[key, 3])
    line = formatted(rec, (key, "short"))
    assert key not in line
    data = json.loads(line)
    assert data["message"] == f"called with {REDACTED} and {{'k': '{REDACTED}'}}"
    assert data["detail"] == [REDACTED, 3]
    assert f"RuntimeError: connect failed with {REDACTED}" in data["exc_info"]


def test_short_values_are_not_taken_for_secrets() -> None:
    # "on" or "1" as a secret would blank out half the words of every line.
    assert Redactor(["on", "12345"])("connection on port 12345") == "connection on port 12345"


def test_a_dict_message_is_redacted_too() -> None:
    line = formatted(record({"event": "login", "password": "pw-123456"}), ("pw-123456",))
    assert "pw-123456" not in line and json.loads(line)["event"] == "login"


# --- which secrets the hub knows -------------------------------------------------------


def test_secrets_of_takes_every_configured_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_MANTIS_TOKEN", "mantis-env-token")
    monkeypatch.setenv("HUB_WEBHOOK_SECRET_ALERTS", "alerts-env-secret")
    app = create_app(
        base_config(
            "postgresql://hub:" + DB_SECRET + "@127.0.0.1/hub",
            SECRET_KEY="key-from-config",
            WEBHOOK_SECRETS={"monitoring": "monitoring-secret"},
            SMTP_PASSWORD="smtp-password",
            METRICS_TOKEN="metrics-token",
            ENABLED_PLUGINS=["jira"],
            PLUGINS={"jira": {"webhook_secret": "jira-hook-secret", "url": "https://j.example"}},
        )
    )
    found = secrets_of(app)
    expected = {
        "mantis-env-token",
        "alerts-env-secret",
        DB_SECRET,
        "key-from-config",
        "monitoring-secret",
        "smtp-password",
        "metrics-token",
        "jira-hook-secret",
    }
    assert expected <= found
    assert "https://j.example" not in found
    assert not any("pbkdf2" in s for s in found), "the hash method is not a secret"


def test_plugin_settings_registered_as_secret_are_redacted(db_url: str) -> None:
    # A secret setting whose name says nothing ("url_token" says token; use the registry).
    app = create_app(
        base_config(db_url, ENABLED_PLUGINS=["jira"], PLUGINS={"jira": {"url_token": "ut-998877"}})
    )
    assert "ut-998877" in secrets_of(app)


# --- formats and the request line --------------------------------------------------


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_each_request_is_one_json_line_with_its_request_id(
    app: Flask, capsys: pytest.CaptureFixture
) -> None:
    capsys.readouterr()
    resp = app.test_client().get(
        "/api/v1/calls?token=query-token-1", headers={"X-Request-Id": "trace-42"}
    )
    assert resp.headers["X-Request-Id"] == "trace-42"
    out = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.strip()]
    access = [o for o in out if o["logger"] == "hub.access"]
    assert len(access) == 1, out
    line = access[0]
    assert list(line)[:5] == ["time", "level", "logger", "message", "request_id"]
    assert line["time"].endswith("+00:00")
    assert line["request_id"] == "trace-42"
    assert (line["method"], line["route"], line["status"]) == ("GET", "/api/v1/calls", 401)
    assert isinstance(line["duration_ms"], float)
    assert "query-token-1" not in json.dumps(out)


def test_text_format_for_a_terminal(db_url: str, capsys: pytest.CaptureFixture) -> None:
    create_app(base_config(db_url, LOG_FORMAT="text", LOG_LEVEL="WARNING"))
    capsys.readouterr()
    with requestid.bound("trace-7"):
        logging.getLogger("hub.test").warning("plain %s", "words")
        logging.getLogger("hub.test").info("not written below WARNING")
    err = capsys.readouterr().err
    assert re.search(r"WARNING hub\.test \[trace-7\] plain words$", err.strip()), err
    assert "not written" not in err
    create_app(base_config(db_url))  # back to JSON for the other tests in this process


@pytest.mark.parametrize("setting", [{"LOG_FORMAT": "xml"}, {"LOG_LEVEL": "LOUD"}])
def test_an_unknown_format_or_level_stops_start_up_naming_it(db_url: str, setting: dict) -> None:
    with pytest.raises(ValueError, match=next(iter(setting))):
        create_app(base_config(db_url, **setting))
    create_app(base_config(db_url))


# --- error pages -----------------------------------------------------------------------


def test_error_pages_never_show_a_configured_secret(db_url: str) -> None:
    url = "postgresql://hub:" + DB_SECRET + "@127.0.0.1/hub"
    app = create_app(base_config(db_url, SECRET_KEY="page-secret-key"))

    @app.get("/api/v1/boom")
    def boom():  # noqa: ANN202 - a route that fails with secrets in its message
        raise HubError(f"cannot reach {url} with page-secret-key", field="database")

    @app.get("/boom")
    def boom_page():  # noqa: ANN202
        raise HubError(f"cannot reach {url} with page-secret-key", status=503)

    client = app.test_client()
    api = client.get("/api/v1/boom")
    page = client.get("/boom", headers={"Accept": "text/html"})
    for resp in (api, page):
        body = resp.get_data(as_text=True)
        assert "cannot reach" in body
        assert DB_SECRET not in body and "page-secret-key" not in body
    assert api.status_code == 400 and page.status_code == 503


# --- a full run in real processes ------------------------------------------------------


@pytest.fixture
def mantis() -> Iterator[FakeMantis]:
    yield from serve(FakeMantis())


@pytest.mark.slow
def test_a_full_run_logs_json_with_one_request_id_and_no_secret(
    db_url: str, record_file: Path, tmp_path: Path, mantis: FakeMantis
) -> None:
    url, db_password = with_password(db_url)
    secret = {
        "secret key": secrets.token_urlsafe(32),
        "webhook secret": secrets.token_urlsafe(24),
        "smtp password": secrets.token_urlsafe(16),
        "metrics token": secrets.token_urlsafe(24),
        "mantis token": secrets.token_urlsafe(24),
        "mantis webhook secret": secrets.token_urlsafe(24),
        "user password": secrets.token_urlsafe(16),
        "wrong password": secrets.token_urlsafe(16),
        "rejected token": secrets.token_urlsafe(24),
        "careless plugin's token": secrets.token_urlsafe(24),
    }
    if db_password:
        secret["database password"] = db_password
    mantis.users = {secret["mantis token"]: {"id": 2, "name": "slahub", "access_level": 55}}
    port = free_port()
    contracts = {"amarant-sla-2026": {"client": "amarant", "project": "Amarant intranet",
                                      "create_issues": True}}  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(
        HUB_DATABASE_URL=url,
        HUB_INSTANCE_PATH=str(tmp_path / "instance"),
        HUB_SECRET_KEY=secret["secret key"],
        HUB_WEBHOOK_SECRET_MONITORING=secret["webhook secret"],
        HUB_SMTP_PASSWORD=secret["smtp password"],
        HUB_METRICS_TOKEN=secret["metrics token"],
        HUB_ENABLED_PLUGINS='["mantis"]',
        # The careless plugin logs secrets as a careless plugin would: redaction must
        # catch every one of them (without it this test fails).
        HUB_PLUGIN_MODULES='["tests.support.recorder", "tests.support.careless"]',
        HUB_CARELESS_TOKEN=secret["careless plugin's token"],
        HUB_TEST_RECORD_FILE=str(record_file),
        HUB_MANTIS_URL=mantis.url,
        HUB_MANTIS_TOKEN=secret["mantis token"],
        HUB_MANTIS_WEBHOOK_SECRET=secret["mantis webhook secret"],
        HUB_MANTIS_CONTRACTS=json.dumps(contracts),
        HUB_MANTIS_TIMEOUT="5",
        HUB_MANTIS_POLL_SECONDS="3600",  # one poll, as the worker starts
        HUB_PASSWORD_HASH_METHOD="pbkdf2:sha256:1000",
        HUB_OUTBOX_BACKOFF_BASE="0.01",
        HUB_OUTBOX_BACKOFF_CAP="0.05",
        HUB_WORKER_IDLE_SECONDS="0.05",
        PYTHONUNBUFFERED="1",
    )
    run = Run(tmp_path, env)
    try:
        run.cli("demo", "demo")
        run.cli("create-user", "create-user", "logtester", "--role", "admin",
                "--password", secret["user password"])  # fmt: skip
        secret["api token"] = run.cli("create-token", "create-token", "logtester").strip()
        run.start("web", "run", "--no-worker", "--host", "127.0.0.1", "--port", str(port))
        run.start("worker", "worker")
        base = f"http://127.0.0.1:{port}"
        run.wait(lambda: listening(port), 60, "the web server")
        run.wait(lambda: mantis.requests and caught_up(db_url), 60, "the demo's deliveries")
        mantis.fail_next(1, 500)  # the webhook's delivery to Mantis fails once: a retry
        signatures, trace = exercise(base, secret)
        run.wait(lambda: settled(db_url), 60, "the worker to apply and deliver everything")
        # The delivery lines are written after the rows are marked: give them a moment.
        run.wait(lambda: '"outcome": "done"' in run.logs()["worker.err"], 30, "delivery lines")
    finally:
        run.stop()

    everything = run.logs() | {
        p.name: p.read_text(errors="replace") for p in sorted(tmp_path.glob("*.out"))
    }
    for name, text in everything.items():
        for what, value in [*secret.items(), *signatures.items()]:
            assert value not in text, f"the {what} appears in {name}"
    web = json_lines(run.logs()["web.err"], "web.err")
    worker = json_lines(run.logs()["worker.err"], "worker.err")
    for line in web + worker:
        assert {"time", "level", "logger", "message", "request_id"} <= set(line), line
    assert all(line["request_id"] for line in web if line["logger"] == "hub.access")

    # One webhook's id on the web's line, the worker's apply line and its deliveries'.
    assert any(
        line["logger"] == "hub.access" and line["route"] == "/webhooks/<source>"
        and line["status"] == 202 and line["request_id"] == trace for line in web
    ), "the webhook's request line"  # fmt: skip
    applied = [line for line in worker if line.get("event") and line["request_id"] == trace]
    assert [line["outcome"] for line in applied] == ["processed"], worker
    delivered = [line for line in worker if line.get("delivery") and line["request_id"] == trace]
    outcomes = {(line["plugin"], line["outcome"]) for line in delivered}
    careless_plugin, recorder = "tests.support.careless", "tests.support.recorder"
    expected = {("mantis", "failed"), ("mantis", "done"), (recorder, "done"),
                (careless_plugin, "failed"), (careless_plugin, "done")}  # fmt: skip
    assert expected <= outcomes, worker
    # Every line of the plugin call carries it, the plugin's own lines too.
    careless = [line for line in worker if line["logger"] == "plugins.careless"]
    assert careless and trace in {line["request_id"] for line in careless}
    assert any(REDACTED in line["message"] for line in careless)
    # ... because the stored event and the deliveries it caused keep the id.
    event = fetch(
        db_url, "SELECT call_id, request_id FROM inbound_events WHERE delivery_id = 'alert-1'"
    )
    assert event[0]["request_id"] == trace
    rows = fetch(
        db_url,
        "SELECT DISTINCT request_id FROM outbox WHERE hook = 'hub_call_created'"
        f" AND call_id = {int(event[0]['call_id'])}",
    )
    assert [r["request_id"] for r in rows] == [trace]


def exercise(base: str, secret: dict[str, str]) -> tuple[dict[str, str], str]:
    """Log in (once wrongly), call the API, send signed webhooks (one badly signed), open
    error pages. Returns the signatures sent and the first webhook's request id."""
    browser = requests.Session()
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', browser.get(f"{base}/login").text)
    form = {"csrf_token": csrf.group(1), "username": "logtester"}
    wrong = browser.post(f"{base}/login", data=form | {"password": secret["wrong password"]})
    assert wrong.status_code == 401
    right = browser.post(
        f"{base}/login", data=form | {"password": secret["user password"]}, allow_redirects=False
    )
    assert right.status_code == 302, right.text
    assert browser.get(f"{base}/no-such-page", headers={"Accept": "text/html"}).status_code == 404
    signatures = {"session cookie": browser.cookies["session"]}
    assert (
        requests.post(f"{base}/login", data={"password": secret["user password"]}).status_code
        == 400
    )

    api = {"Authorization": f"Bearer {secret['api token']}"}
    assert requests.get(f"{base}/api/v1/calls", headers=api).status_code == 200
    query = {"password": secret["user password"], "token": secret["api token"]}
    assert requests.get(f"{base}/api/v1/calls", headers=api, params=query).status_code < 500
    rejected = {"Authorization": f"Bearer {secret['rejected token']}"}
    assert requests.get(f"{base}/api/v1/calls", headers=rejected).status_code == 401
    metrics = {"Authorization": f"Bearer {secret['metrics token']}"}
    assert requests.get(f"{base}/metrics", headers=metrics).status_code < 500
    echo = browser.get(f"{base}/careless/echo", headers=api, params=query)
    assert echo.status_code == 200

    body = b'{"anything": 1}'
    sig = signature(secret["webhook secret"], body)
    signatures["careless webhook's signature"] = sig.removeprefix("sha256=")
    headers = {"X-Hub-Signature-256": sig, "X-Delivery-Id": "careless-1", **api}
    assert requests.post(f"{base}/webhooks/careless", data=body, headers=headers).ok

    trace = ""
    events = [
        ("alert-1", {"type": "call.create", "client": "amarant", "title": "Site down",
                     "priority": "P2", "ref": "ALERT-1"}),
        ("alert-2", {"type": "call.update", "ref": "ALERT-1", "note": "looking into it"}),
    ]  # fmt: skip
    for delivery, event in events:
        body = json.dumps(event).encode()
        sig = signature(secret["webhook secret"], body)
        signatures[f"signature of {delivery}"] = sig.removeprefix("sha256=")
        headers = {"X-Hub-Signature-256": sig, "X-Delivery-Id": delivery,
                   "Content-Type": "application/json"}  # fmt: skip
        resp = requests.post(f"{base}/webhooks/monitoring", data=body, headers=headers)
        assert resp.status_code == 202, resp.text
        trace = trace or resp.headers["X-Request-Id"]
    body = json.dumps(events[0][1]).encode()
    forged = signature("not-the-secret", body)
    signatures["forged signature"] = forged.removeprefix("sha256=")
    headers = {"X-Hub-Signature-256": forged, "X-Delivery-Id": "forged-1"}
    assert requests.post(f"{base}/webhooks/monitoring", data=body, headers=headers).status_code in (
        401,
        403,
    )
    return signatures, trace


def settled(db_url: str) -> bool:
    """Both webhooks applied and every delivery they caused delivered (or dead)."""
    events = fetch(db_url, "SELECT status FROM inbound_events")
    deliveries = fetch(
        db_url, "SELECT state FROM outbox WHERE call_id IN (SELECT call_id FROM inbound_events)"
    )
    return (
        len(events) == 3
        and all(e["status"] != "received" for e in events)
        and bool(deliveries)
        and all(d["state"] != "pending" for d in deliveries)
    )


def caught_up(db_url: str) -> bool:
    """No delivery is due (the demo's; some wait for the end of the quiet hours)."""
    now = datetime.now(UTC)
    for row in fetch(db_url, "SELECT next_attempt_at FROM outbox WHERE state = 'pending'"):
        due = row["next_attempt_at"]
        due = datetime.fromisoformat(due) if isinstance(due, str) else due
        if (due if due.tzinfo else due.replace(tzinfo=UTC)) <= now:
            return False
    return True
