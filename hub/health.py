"""``GET /readyz``: can this hub do its work? For load balancers and monitors.

``/healthz`` (in :mod:`hub.app`) only says the process answers. ``/readyz`` checks what
the hub needs to be useful: the database answers, its schema is the code's, a worker is
alive, and neither the outbox nor the inbound events pile up. The answer is JSON naming
each check, 200 when all pass and 503 naming the failed ones. It needs no login (a load
balancer calls it) and so says nothing that helps an attacker: counts, ages and
revision numbers, never an error text, host name or worker id (those go to the log).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import sqlalchemy
from flask import Blueprint, Flask, current_app, jsonify
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from hub import revisions
from hub.db import db, utcnow
from hub.models import InboundEvent, OutboxDelivery, WorkerHeartbeat

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)

#: Seconds the database check waits for a connection: less than a load balancer's own
#: probe timeout (commonly 5 s), so a database that does not answer is a failed check,
#: not a probe that times out.
DB_TIMEOUT = 3

Check = dict[str, Any]


def _probe_engine(app: Flask) -> sqlalchemy.Engine:
    """A separate engine for the reachability check, with a connect timeout.

    The app's own engine has none: a database host that does not answer would hold the
    probe for the operating system's TCP timeout (minutes). NullPool: no idle
    connection kept for a probe that comes every few seconds.
    """
    engine = app.extensions.get("hub.health.engine")
    if engine is None:
        url = app.config["SQLALCHEMY_DATABASE_URI"]
        args = {"connect_timeout": DB_TIMEOUT} if url.startswith("postgresql") else {}
        engine = sqlalchemy.create_engine(url, poolclass=NullPool, connect_args=args)
        app.extensions["hub.health.engine"] = engine
    return engine


def check_database() -> Check:
    """``SELECT 1`` on a raw driver connection: no hub transaction (on SQLite that would
    take the write lock), nothing written."""
    try:
        raw = _probe_engine(current_app).raw_connection()
        try:
            cur = raw.cursor()
            cur.execute("SELECT 1")
            cur.fetchone()
            cur.close()
            raw.rollback()
        finally:
            raw.close()
    except Exception as exc:  # noqa: BLE001 - boundary: any failure to answer is "unreachable"
        log.warning("readiness: database unreachable: %s", exc)
        return {"ok": False, "detail": "the database does not answer"}
    return {"ok": True, "detail": "answers"}


def check_migrations() -> Check:
    current, heads = revisions.state(db.session.connection())
    detail = {"current": sorted(current), "head": sorted(heads)}
    return {"ok": current == heads, "detail": detail}


def check_worker() -> Check:
    limit = float(current_app.config["READY_HEARTBEAT_SECONDS"])
    seen = db.session.scalar(select(func.max(WorkerHeartbeat.seen_at)))
    if seen is None:
        return {"ok": False, "detail": {"age_seconds": None, "max_seconds": limit}}
    age = round((utcnow() - seen).total_seconds(), 1)
    return {"ok": age <= limit, "detail": {"age_seconds": age, "max_seconds": limit}}


def _count(model: Any, *where: Any) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def check_outbox_backlog() -> Check:
    """Deliveries due now and not yet delivered (the ``ix_outbox_due`` index)."""
    limit = int(current_app.config["READY_MAX_BACKLOG"])
    due = OutboxDelivery.next_attempt_at <= utcnow()
    n = _count(OutboxDelivery, OutboxDelivery.state == "pending", due)
    return {"ok": n <= limit, "detail": {"due": n, "max": limit}}


def check_outbox_dead() -> Check:
    limit = int(current_app.config["READY_MAX_DEAD"])
    n = _count(OutboxDelivery, OutboxDelivery.state == "dead")
    return {"ok": n <= limit, "detail": {"dead": n, "max": limit}}


def check_inbound_backlog() -> Check:
    """Webhook events stored and due but not yet applied (``ix_inbound_events_due``)."""
    limit = int(current_app.config["READY_MAX_BACKLOG"])
    due = InboundEvent.next_attempt_at <= utcnow()
    n = _count(InboundEvent, InboundEvent.status == "received", due)
    return {"ok": n <= limit, "detail": {"due": n, "max": limit}}


#: The checks that read through the app's own session, in order.
SESSION_CHECKS: dict[str, Callable[[], Check]] = {
    "migrations": check_migrations,
    "worker": check_worker,
    "outbox_backlog": check_outbox_backlog,
    "outbox_dead": check_outbox_dead,
    "inbound_backlog": check_inbound_backlog,
}


def run_checks() -> dict[str, Check]:
    """Every check by name. When the database does not answer, the checks that need it
    fail as "not checked" instead of each waiting for it in turn."""
    checks = {"database": check_database()}
    for name, check in SESSION_CHECKS.items():
        if not checks["database"]["ok"]:
            checks[name] = {"ok": False, "detail": "not checked: the database does not answer"}
            continue
        try:
            checks[name] = check()
        except SQLAlchemyError:
            db.session.rollback()
            log.exception("readiness check %s failed", name)
            checks[name] = {"ok": False, "detail": "the check's query failed (see the log)"}
    db.session.rollback()  # read only: end the transaction (and SQLite's lock) now
    return checks


@bp.get("/readyz")
def readyz():  # noqa: ANN201 - a Flask view
    checks = run_checks()
    failed = [name for name, check in checks.items() if not check["ok"]]
    body = {"status": "not ready" if failed else "ready", "failed": failed, "checks": checks}
    response = jsonify(body)
    response.status_code = 503 if failed else 200
    response.headers["Cache-Control"] = "no-store"
    return response
