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
import math
import time
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from hub import calls, lifecycle, requestid, sqlitelock
from hub.db import db, utcnow
from hub.errors import HubError
from hub.hooktypes import CallUpdate, NewCall, RawRequest, WebhookRejected
from hub.models import Call, InboundEvent
from hub.outbox import backoff
from hub.pluginmanager import get_pm
from hub.webhooks import store_statement

log = logging.getLogger(__name__)


def apply(
    action: NewCall | CallUpdate, actor: str, source: str, received_at: datetime | None = None
) -> Call:
    """Apply one interpreted action (in the current transaction).

    A new call counts as opened at ``received_at``, when its event reached the hub, or at
    the ``opened_at`` the source gives if that is earlier.
    """
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
            received_at=_opened(action.opened_at, received_at),
        )
    call = calls.find_by_ref(action.ref)
    if call is None:
        raise WebhookRejected(
            f"no call is linked to {action.ref.system} {action.ref.key!r}", 422, "ref"
        )
    call = calls.get_call(call.id, for_update=True)
    if action.actor:
        actor = f"{actor} ({action.actor})"[:200]
    changes = {"priority": action.priority, "line": action.line}
    changes = {k: v for k, v in changes.items() if v and v != getattr(call, k)}
    if changes:
        calls.update(call, actor=actor, **changes)
    note = action.note
    if note and action.note_ref is not None:
        if calls.find_by_ref(action.note_ref) is not None:
            note = None  # seen before (or written by the hub itself): not again
        else:
            calls.add_links(call, [action.note_ref], actor=actor)
    # The outside system may jump (new → resolved) where the hub has steps: follow its
    # status through the allowed moves, the note on the last. A status the hub cannot go
    # back to (new, once acknowledged) is left as it is; the note is still kept.
    steps = lifecycle.path(call.status, action.status) if action.status else []
    for n, status in enumerate(steps or (), 1):
        calls.transition(call, status, actor=actor, note=note if n == len(steps) else None)
    if note and not steps:
        calls.add_note(call, actor=actor, note=note)
    if action.hours:
        calls.record_hours_verdict(call, actor=actor, verdict=action.hours, note=action.feedback)
    return call


def _opened(opened_at: str | None, received_at: datetime | None) -> datetime | None:
    """The earlier of the source's own opening time and the arrival (never the future)."""
    if opened_at is None:
        return received_at
    try:
        at = datetime.fromisoformat(opened_at)
    except ValueError:
        message = f"opened_at {opened_at!r} is not ISO 8601"
        raise WebhookRejected(message, 422, "opened_at") from None
    if at.tzinfo is None:
        raise WebhookRejected(f"opened_at {opened_at!r} has no UTC offset", 422, "opened_at")
    at = at.astimezone(UTC)
    return min(at, received_at or utcnow())


def store(
    source: str, delivery_id: str, body: bytes, headers: dict[str, str] | None = None
) -> bool:
    """Keep an event the hub fetched itself (a poll found a changed issue) exactly as a
    webhook would be kept, for the ``inbound`` job to apply; the source's webhook handler
    interprets it. False when ``delivery_id`` was stored before (nothing is stored twice).
    Joins the caller's transaction."""
    now = utcnow()
    values = {
        "source": source, "delivery_id": delivery_id, "headers": headers or {}, "body": body,
        "status": "received", "attempts": 0, "received_at": now, "next_attempt_at": now,
        "request_id": requestid.current(),
    }  # fmt: skip
    return db.session.execute(store_statement(db.engine.dialect.name), values).scalar() is not None


def _handle(event: InboundEvent) -> None:
    """Apply one event under the request id of the webhook that brought it (so the
    deliveries it causes, and every log line on the way, carry that id); one log line
    says how it went."""
    with requestid.bound(event.request_id):
        _apply_event(event)
        outcome = "retry" if event.status == "received" else event.status
        log.info(
            "inbound event %s from %s: %s%s",
            event.id,
            event.source,
            outcome,
            f" ({event.error})" if event.error else "",
            extra={"event": event.id, "source": event.source, "outcome": outcome,
                   "attempt": event.attempts},
        )  # fmt: skip


def _apply_event(event: InboundEvent) -> None:
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
                last = apply(action, f"webhook:{event.source}", event.source, event.received_at)
            db.session.flush()
    except (WebhookRejected, HubError) as exc:
        event.status, event.error = "rejected", getattr(exc, "message", None) or str(exc)
        event.processed_at = utcnow()
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


#: A burst: applying events as fast as they arrive would keep the worker busy more than
#: this share of the time. (Not 1.0, "faster than it can apply": with webhook senders
#: that wait for their answers, a worker that takes the write lock most of the time
#: slows the arrivals down to just below its own speed, and would never see the burst.)
BURST_LOAD = 0.5


class _Pace:
    """Webhook arrivals against this worker's speed of applying them.

    Tells :mod:`hub.sqlitelock` when a burst is on: then, on SQLite, the worker lets the
    web requests have the write lock first and applies the backlog as the burst ends.
    """

    def __init__(self) -> None:
        self.last_id, self.last_at = 0, 0.0
        self.arrivals = 0.0  # events per second, a moving average over about a second
        self.cost = 0.0  # CPU seconds per applied event, a moving average

    def due(self, now: float) -> bool:
        """Whether a new mark is worth taking (marks closer than MARK_EVERY measure noise)."""
        return not self.last_at or now - self.last_at >= MARK_EVERY

    def arrived(self, newest_id: int, now: float) -> None:
        if not self.due(now):
            return  # too short to measure; keep counting from the last mark
        if self.last_at:
            elapsed = now - self.last_at
            weight = 1 - math.exp(-elapsed)
            rate = (newest_id - self.last_id) / elapsed
            self.arrivals += weight * (rate - self.arrivals)
        self.last_id, self.last_at = newest_id, now

    def applied(self, count: int, seconds: float) -> None:
        per_event = seconds / count
        self.cost = per_event if not self.cost else self.cost + 0.2 * (per_event - self.cost)

    @property
    def burst(self) -> bool:
        return self.arrivals * self.cost > BURST_LOAD


_pace = _Pace()
#: Seconds between two marks of the arrival count.
MARK_EVERY = 0.2

#: During a burst the worker keeps 1 / (1 + BURST_SHARE_FACTOR) of SQLite's write lock...
BURST_SHARE_FACTOR = 49.0
#: ... until the oldest event waiting is this many seconds old; beyond that it takes a
#: share in proportion, so a burst that never ends (or one measured wrong) cannot leave
#: events unapplied for long.
LAG_LIMIT = 15.0


def deference(burst: bool, lag: float) -> float:
    """How far the worker holds back on SQLite (see :func:`hub.sqlitelock.defer`)."""
    if not burst:
        return 0.0
    return BURST_SHARE_FACTOR * min(1.0, LAG_LIMIT / max(lag, 1e-9))


def drain(limit: int = 500, batch: int = 20, batch_seconds: float = 0.01) -> int:
    """Apply due events in arrival order; returns how many.

    Each transaction takes up to ``batch`` events and ends early once it has run for
    ``batch_seconds``: short write transactions keep webhook requests waiting for
    SQLite's write lock from being held up for long. The drain ends after a quarter of
    ``OUTBOX_LEASE_SECONDS`` whatever is left.
    """
    done, after = 0, 0  # each event is tried at most once per call
    # The job's lease is not renewed while it runs: stop well before it can run out, so
    # no second worker starts a drain beside this one (the job runs again at once).
    stop_at = time.monotonic() + float(current_app.config["OUTBOX_LEASE_SECONDS"]) / 4
    while done < limit and time.monotonic() < stop_at:
        # Only SQLite has the worker take turns with requests, so only there is the pace
        # measured; and the newest id is read only when a mark is due.
        now = time.monotonic()
        if db.engine.dialect.name == "sqlite" and _pace.due(now):
            _pace.arrived(db.session.scalar(select(func.max(InboundEvent.id))) or 0, now)
        events = db.session.scalars(
            select(InboundEvent)
            .where(
                InboundEvent.status == "received",
                InboundEvent.next_attempt_at <= utcnow(),
                InboundEvent.id > after,
            )
            .order_by(InboundEvent.id)
            .limit(min(batch, limit - done))
            # The job's lease can run out during a long drain and a second worker start
            # one (benchmarks/soak.py saw events applied twice): each row goes to one.
            .with_for_update(skip_locked=True)
        ).all()
        if not events:
            sqlitelock.defer(0.0)
            break
        lag = (utcnow() - events[0].received_at).total_seconds()
        sqlitelock.defer(deference(_pace.burst, lag))
        started, cpu, handled = time.monotonic(), time.process_time(), 0
        for event in events:
            _handle(event)
            after, done, handled = event.id, done + 1, handled + 1
            if time.monotonic() - started > batch_seconds:
                break
        # CPU time, not wall time: a worker that waits for the CPU is not slower at the job.
        _pace.applied(handled, time.process_time() - cpu)
        db.session.commit()
    db.session.commit()
    return done
