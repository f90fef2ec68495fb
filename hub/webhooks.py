"""``POST /webhooks/<source>``: verify, check, store raw, answer; the worker applies it.

Order of work: find the source's handler (404 if none) → verify the signature (4xx) →
let the handler interpret the payload, to refuse one that makes no sense (4xx, nothing
stored) → store the raw body and headers in one insert → answer ``202 accepted``. A
delivery id seen before is answered ``200 duplicate`` and not stored again. The worker's
``inbound`` job then applies the event (:mod:`hub.inbound`).

The request does no more than that on purpose: one short write keeps webhook ingest
fast on SQLite, where writers take turns.
"""

from __future__ import annotations

import functools
import logging

from flask import Blueprint, jsonify, request
from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from hub import requestid
from hub.db import db, utcnow
from hub.errors import HubError, NotFound
from hub.hooktypes import RawRequest, WebhookRejected
from hub.models import InboundEvent
from hub.pluginmanager import get_pm

log = logging.getLogger(__name__)
bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")

#: Headers never stored with the raw event (credentials of the sender).
_SECRET_HEADERS = {"authorization", "cookie"}
_INSERT = {"sqlite": sqlite_insert, "postgresql": pg_insert}


@functools.cache
def store_statement(dialect: str):  # noqa: ANN202
    """``INSERT … ON CONFLICT DO NOTHING RETURNING id``, built once: this is the hot path."""
    table = InboundEvent.__table__
    return (
        _INSERT[dialect](table)
        .values({c: bindparam(c) for c in _STORED})
        .on_conflict_do_nothing(index_elements=["source", "delivery_id"])
        .returning(table.c.id)
    )


_STORED = (
    "source",
    "delivery_id",
    "headers",
    "body",
    "status",
    "attempts",
    "received_at",
    "next_attempt_at",
    "request_id",
)


@bp.post("/<source>")
def receive(source: str):  # noqa: ANN201 - a Flask view
    handler = get_pm().hook.hub_get_webhook_handler(source=source)
    if handler is None:
        raise NotFound(f"unknown webhook source {source!r}", field="source")
    headers = {k.lower(): v for k, v in request.headers.items() if k.lower() not in _SECRET_HEADERS}
    body = request.get_data(cache=False)
    raw = RawRequest(source=source, headers=headers, body=body, query=request.args.to_dict())
    try:
        delivery_id = handler.verify(raw)
    except WebhookRejected as exc:
        log.info("webhook %s refused: %s", source, exc)
        raise HubError(str(exc), field=exc.field, status=exc.status) from None
    raw = RawRequest(source=source, headers=headers, body=body)  # the query stays out
    try:
        handler.interpret(raw)
    except WebhookRejected as exc:
        log.info("webhook %s refused: %s", source, exc)
        raise HubError(str(exc), field=exc.field, status=exc.status) from None
    except Exception:  # noqa: BLE001 - boundary: the check failed, not the payload; keep it
        log.exception("webhook %s: checking the payload failed; stored for the worker", source)
    now = utcnow()
    params = {
        "source": source,
        "delivery_id": delivery_id,
        "headers": headers,
        "body": raw.body,
        "status": "received",
        "attempts": 0,
        "received_at": now,
        "next_attempt_at": now,
        "request_id": requestid.current(),  # the worker binds it again to apply the event
    }
    # A plain connection, not the ORM session: one statement, one short transaction.
    with db.engine.begin() as conn:
        event_id = conn.execute(store_statement(db.engine.dialect.name), params).scalar()
    if event_id is None:
        seen = db.session.scalar(
            select(InboundEvent.id).where(
                InboundEvent.source == source, InboundEvent.delivery_id == delivery_id
            )
        )
        return jsonify(status="duplicate", event=seen), 200
    return jsonify(status="accepted", event=event_id), 202
