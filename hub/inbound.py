"""Turning stored webhook events into calls and call changes, in the worker.

The web process only verifies a delivery, checks that its payload makes sense and
stores it (see :mod:`hub.webhooks`); this module applies it. One worker at a time
drains the events in arrival order (the ``inbound`` job), each in a savepoint of a
batch transaction: an event the hub cannot apply (unknown client, refused transition)
is kept as *rejected* with the reason; one that fails for another reason is retried with
backoff and kept as *failed* after ``OUTBOX_MAX_ATTEMPTS``.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from hub import calls
from hub.db import db, utcnow
from hub.errors import HubError
from hub.hooktypes import CallUpdate, NewCall, RawRequest, WebhookRejected
from hub.models import Call, InboundEvent
from hub.outbox import backoff
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


def _handle(event: InboundEvent) -> None:
    """Apply one event inside a savepoint and record the outcome on the event."""
    event.attempts += 1
    handler = get_pm().hook.hub_get_webhook_handler(source=event.source)
    if handler is None:
        event.status, event.error = "failed", f"no plugin owns source {event.source!r} any more"
        return
    raw = RawRequest(source=event.source, headers=event.headers, body=event.body)
    try:
        with db.session.begin_nested():
            last = None
            for action in handler.interpret(raw):
                last = apply(action, f"webhook:{event.source}", event.source)
            db.session.flush()
    except (WebhookRejected, HubError) as exc:
        event.status, event.error = "rejected", getattr(exc, "message", None) or str(exc)
        event.processed_at = utcnow()
        log.info("inbound event %s rejected: %s", event.id, event.error)
        return
    except Exception as exc:  # noqa: BLE001 - boundary: keep the event, record, retry later
        log.exception("inbound event %s failed", event.id)
        record_failure(event, exc)
        return
    event.status, event.error, event.processed_at = "processed", None, utcnow()
    event.call_id = last.id if last else None


def record_failure(event: InboundEvent, exc: BaseException) -> None:
    cfg = current_app.config
    event.error = f"{type(exc).__name__}: {exc}"
    if event.attempts >= int(cfg["OUTBOX_MAX_ATTEMPTS"]):
        event.status = "failed"
        return
    delay = backoff(
        event.attempts, float(cfg["OUTBOX_BACKOFF_BASE"]), float(cfg["OUTBOX_BACKOFF_CAP"])
    )
    event.next_attempt_at = utcnow() + timedelta(seconds=delay)


def drain(limit: int = 500, batch: int = 10) -> int:
    """Apply due events in arrival order, ``batch`` per transaction; returns how many.

    Small batches keep each write transaction short, so that webhook requests waiting
    for SQLite's write lock are not held up for long.
    """
    done, after = 0, 0  # each event is tried at most once per call
    while done < limit:
        events = db.session.scalars(
            select(InboundEvent)
            .where(
                InboundEvent.status == "received",
                InboundEvent.next_attempt_at <= utcnow(),
                InboundEvent.id > after,
            )
            .order_by(InboundEvent.id)
            .limit(batch)
        ).all()
        if not events:
            break
        for event in events:
            _handle(event)
        after = events[-1].id
        db.session.commit()
        done += len(events)
    db.session.commit()
    return done
