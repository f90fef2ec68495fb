"""``/readyz``: ready when every check passes; each failing check named, on both databases."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text, update

from hub import calls, create_app, revisions
from hub.db import db, utcnow
from hub.health import DB_TIMEOUT
from hub.models import OutboxDelivery, WorkerHeartbeat
from hub.worker import drain_once, heartbeat
from tests.conftest import base_config
from tests.test_webhooks import CREATE, post

WORKER = "readyz-test:1:abc"


def beat(app, age_seconds: float = 0.0) -> None:  # noqa: ANN001
    """A heartbeat written by the worker's own code, then aged as a stalled worker's."""
    with app.app_context():
        heartbeat(WORKER)
        if age_seconds:
            at = utcnow() - timedelta(seconds=age_seconds)
            db.session.execute(update(WorkerHeartbeat).values(seen_at=at))
            db.session.commit()


def ready(client):  # noqa: ANN001,ANN201
    response = client.get("/readyz")
    body = response.get_json()
    assert body["status"] == ("ready" if response.status_code == 200 else "not ready")
    assert set(body["checks"]) == {
        "database", "migrations", "worker", "outbox_backlog", "outbox_dead", "inbound_backlog"
    }  # fmt: skip
    assert sorted(body["failed"]) == sorted(n for n, c in body["checks"].items() if not c["ok"])
    return response.status_code, body


def test_ready_with_a_fresh_heartbeat_and_nothing_dead(app, client):
    beat(app)
    status, body = ready(client)
    assert (status, body["failed"]) == (200, [])
    assert body["checks"]["worker"]["detail"]["age_seconds"] < 5
    assert body["checks"]["migrations"]["detail"]["current"] == sorted(revisions.heads())


def test_no_heartbeat_is_not_ready(app, client):
    status, body = ready(client)
    assert (status, body["failed"]) == (503, ["worker"])
    assert body["checks"]["worker"]["detail"]["age_seconds"] is None


def test_a_stale_heartbeat_is_not_ready(app, client):
    app.config["READY_HEARTBEAT_SECONDS"] = 120
    beat(app, age_seconds=100)
    assert ready(client)[0] == 200
    beat(app, age_seconds=130)
    status, body = ready(client)
    assert (status, body["failed"]) == (503, ["worker"])
    assert 129 < body["checks"]["worker"]["detail"]["age_seconds"] < 140
    assert WORKER.split(":")[0] not in client.get("/readyz").get_data(as_text=True)


@pytest.fixture
def config_extra() -> dict:
    return {
        "PLUGIN_MODULES": ["tests.support.recorder", "tests.support.failing"],
        "OUTBOX_MAX_ATTEMPTS": 1,
    }


def test_dead_deliveries_over_the_threshold(app, client, demo, monkeypatch):
    """Deliveries killed by the worker: a plugin with a wrong setting is dead at once."""
    monkeypatch.setenv("HUB_TEST_FAILING", "config")
    with app.app_context():
        calls.create(actor="t", source="t", client="amarant", title="Form broken")
        db.session.commit()
        while drain_once(app, WORKER):
            pass
        dead = db.session.scalar(
            select(func.count()).select_from(OutboxDelivery).where(OutboxDelivery.state == "dead")
        )
    assert dead >= 1
    beat(app)
    app.config["READY_MAX_DEAD"] = dead
    assert ready(client)[0] == 200, "as many dead deliveries as the threshold allows"
    app.config["READY_MAX_DEAD"] = dead - 1
    status, body = ready(client)
    assert (status, body["failed"]) == (503, ["outbox_dead"])
    assert body["checks"]["outbox_dead"]["detail"] == {"dead": dead, "max": dead - 1}


def test_outbox_and_inbound_backlogs_over_the_threshold(app, client, demo):
    beat(app)
    app.config["READY_MAX_BACKLOG"] = 1
    with app.app_context():
        for n in range(2):
            calls.create(actor="t", source="t", client="amarant", title=f"Call {n}")
        db.session.commit()
    for n in range(2):
        assert post(client, {**CREATE, "ref": f"R-{n}"}, delivery=f"d-{n}").status_code == 202
    status, body = ready(client)
    assert (status, body["failed"]) == (503, ["outbox_backlog", "inbound_backlog"])
    assert body["checks"]["inbound_backlog"]["detail"] == {"due": 2, "max": 1}
    assert body["checks"]["outbox_backlog"]["detail"]["due"] >= 2
    with app.app_context():  # the worker catches up
        while drain_once(app, WORKER):
            pass
    assert "outbox_backlog" not in ready(client)[1]["failed"]


def test_a_database_behind_on_migrations_is_not_ready(app, client):
    beat(app)
    with app.app_context(), db.engine.begin() as conn:
        (current,) = conn.execute(text("SELECT version_num FROM alembic_version")).one()
        conn.execute(text("UPDATE alembic_version SET version_num = '0009'"))
    try:
        status, body = ready(client)
    finally:  # PostgreSQL's test database is shared by the session's tests
        with app.app_context(), db.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": current})
    assert (status, body["failed"]) == (503, ["migrations"])
    detail = body["checks"]["migrations"]["detail"]
    assert detail == {"current": ["0009"], "head": sorted(revisions.heads())}


@pytest.mark.parametrize(
    "url",
    ["postgresql://slahub@127.0.0.1:9/slahub", "sqlite:///{tmp}/missing-folder/hub.sqlite3"],
    ids=["postgresql-closed-port", "sqlite-missing-folder"],
)
def test_an_unreachable_database_is_a_failed_check_not_a_500(url, tmp_path, record_file):
    app = create_app(base_config(url.format(tmp=tmp_path)))
    started = time.monotonic()
    response = app.test_client().get("/readyz")
    assert time.monotonic() - started < DB_TIMEOUT + 2
    body = response.get_json()
    assert (response.status_code, body["status"]) == (503, "not ready")
    assert body["checks"]["database"] == {"ok": False, "detail": "the database does not answer"}
    assert body["failed"][0] == "database" and len(body["failed"]) == 6
    page = response.get_data(as_text=True)
    for secret in ("127.0.0.1", "slahub@", "missing-folder", str(tmp_path)):
        assert secret not in page, f"/readyz shows {secret!r}"
