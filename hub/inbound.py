"""Turning stored webhook events into calls and call changes.

The raw event is committed first (so nothing is lost); then this module applies what
the source's handler makes of it in a second transaction. An event whose payload makes
no sense is kept as *rejected*; one that failed for another reason stays *received*
and the worker's ``inbound-retry`` job tries it again.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from hub import calls
from hub.db import db, utcnow
from hub.errors import HubError
from hub.hooktypes import CallUpdate, NewCall, RawRequest, WebhookHandler, WebhookRejected
from hub.models import Call, InboundEvent
from hub.pluginmanager import get_pm

log = logging.getLogger(__name__)


def apply(action: NewCall | CallUpdate, actor: str, source: str) -> Call:
    """Apply one interpreted action (in the current transaction)."""
    if isinstance(action, NewCall):
        existing = next(filter(None, (calls.find_by_ref(ref) for ref in action.links)), None)
        if existing is not None:
            return existing  # the source sent the same call under a new delivery id
        return calls.create(
            actor=actor,
            source=source,
            client=action.client,
            title=action.title,
            priority=action.priority,
            category=action.category,
            description=action.description,
            application=action.application,
            line=action.line,
            reporter=action.reporter,
            links=action.links,
        )
    call = calls.find_by_ref(action.ref)
    if call is None:
        raise WebhookRejected(
            f"no call is linked to {action.ref.system} {action.ref.key!r}", 422, "ref"
        )
    call = calls.get_call(call.id, for_update=True)
    if action.priority and action.priority != call.priority:
        calls.update(call, actor=actor, priority=action.priority)
    if action.status and action.status != call.status:
        calls.transition(call, action.status, actor=actor, note=action.note)
    elif action.note:
        calls.add_note(call, actor=actor, note=action.note)
    return call


def process(event_id: int, handler: WebhookHandler) -> InboundEvent:
    """Interpret and apply a stored event; commits. Raises WebhookRejected for bad payloads."""
    event = db.session.get(InboundEvent, event_id)
    raw = RawRequest(source=event.source, headers=event.headers, body=event.body)
    actor = f"webhook:{event.source}"
    try:
        last = None
        for action in handler.interpret(raw):
            last = apply(action, actor, event.source)
        event = db.session.get(InboundEvent, event_id)
        event.status, event.processed_at = "processed", utcnow()
        event.call_id = last.id if last else None
        event.attempts += 1
        db.session.commit()
        return event
    except (WebhookRejected, HubError) as exc:
        db.session.rollback()
        status, field = (exc.status, exc.field)
        message = exc.message if isinstance(exc, HubError) else str(exc)
        event = db.session.get(InboundEvent, event_id)
        event.status, event.error, event.processed_at = "rejected", message, utcnow()
        event.attempts += 1
        db.session.commit()
        raise WebhookRejected(message, status, field) from exc


def retry_pending(older_than_seconds: float = 10, limit: int = 100) -> int:
    """Process events left *received* by a failure; used by the worker. Returns how many."""
    cutoff = utcnow().timestamp() - older_than_seconds
    rows = db.session.scalars(
        select(InboundEvent)
        .where(InboundEvent.status == "received")
        .order_by(InboundEvent.id)
        .limit(limit)
    ).all()
    pending = [(e.id, e.source) for e in rows if e.received_at.timestamp() < cutoff]
    db.session.commit()
    done = 0
    for event_id, source in pending:
        handler = get_pm().hook.hub_get_webhook_handler(source=source)
        if handler is None:
            log.warning("inbound event %s: no handler for source %s any more", event_id, source)
            continue
        try:
            process(event_id, handler)
            done += 1
        except WebhookRejected as exc:
            log.info("inbound event %s rejected: %s", event_id, exc)
        except Exception as exc:  # noqa: BLE001 - boundary: keep the event, record, go on
            db.session.rollback()
            log.exception("inbound event %s failed again", event_id)
            record_failure(event_id, exc)
    return done


def record_failure(event_id: int, exc: BaseException) -> None:
    event = db.session.get(InboundEvent, event_id)
    event.attempts += 1
    event.error = f"{type(exc).__name__}: {exc}"
    db.session.commit()
