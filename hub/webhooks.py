"""``POST /webhooks/<source>``: verify, store raw, answer; the source's plugin interprets.

Order of work: find the source's handler (404 if none) → verify the signature (4xx) →
store the raw event (commit) → a repeated delivery id is answered 200 and not processed
again → interpret and apply (202; a payload that makes no sense is kept and answered 422;
an unexpected failure is kept for the worker to retry, still 202).
"""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hub import inbound
from hub.db import db
from hub.errors import HubError, NotFound
from hub.hooktypes import RawRequest, WebhookRejected
from hub.models import InboundEvent
from hub.pluginmanager import get_pm

log = logging.getLogger(__name__)
bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")

#: Headers never stored with the raw event (credentials of the sender).
_SECRET_HEADERS = {"authorization", "cookie"}


@bp.post("/<source>")
def receive(source: str):  # noqa: ANN201 - a Flask view
    handler = get_pm().hook.hub_get_webhook_handler(source=source)
    if handler is None:
        raise NotFound(f"unknown webhook source {source!r}", field="source")
    headers = {k.lower(): v for k, v in request.headers.items() if k.lower() not in _SECRET_HEADERS}
    raw = RawRequest(source=source, headers=headers, body=request.get_data(cache=False))
    try:
        delivery_id = handler.verify(raw)
    except WebhookRejected as exc:
        log.info("webhook %s refused: %s", source, exc)
        raise HubError(str(exc), field=exc.field, status=exc.status) from None
    event = InboundEvent(source=source, delivery_id=delivery_id, headers=headers, body=raw.body)
    db.session.add(event)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        seen = db.session.scalar(
            select(InboundEvent).where(
                InboundEvent.source == source, InboundEvent.delivery_id == delivery_id
            )
        )
        return jsonify(status="duplicate", event=seen.id if seen else None), 200
    event_id = event.id
    try:
        event = inbound.process(event_id, handler)
    except WebhookRejected as exc:
        return jsonify(error=str(exc), field=exc.field, event=event_id), exc.status
    except Exception as exc:  # noqa: BLE001 - boundary: the raw event is safe; the worker retries it
        db.session.rollback()
        log.exception("webhook %s event %s failed; left for the worker to retry", source, event_id)
        inbound.record_failure(event_id, exc)
        return jsonify(status="stored", event=event_id), 202
    return jsonify(status="processed", event=event_id, call=event.call_id), 202
