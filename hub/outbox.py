"""The durable outbox: hook deliveries written with the change that causes them.

Delivery is at-least-once with a stable idempotency key (``Delivery.key``): a worker
claims a batch under a lease, renews the lease of each delivery as it starts it, calls
one plugin per delivery, and marks it done only if it still holds the lease. A worker
that dies loses its lease; another takes over when the lease runs out. Keep plugin calls
shorter than ``OUTBOX_LEASE_SECONDS``.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Select, or_, select, update
from sqlalchemy.orm import aliased

from hub import audit, requestid
from hub.db import db, utcnow
from hub.errors import Conflict, NotFound
from hub.models import OutboxDelivery
from hub.pluginmanager import get_pm, implementers


def listeners(hook: str) -> list[str]:
    """The plugins a delivery of ``hook`` would go to."""
    return implementers(get_pm(), hook)


def enqueue(
    hook: str,
    payload: dict[str, Any],
    call_id: int | None = None,
    hold: dict[str, datetime] | None = None,
) -> int:
    """Add one delivery per plugin implementing ``hook`` to the current transaction;
    ``hold`` delays some plugins' deliveries (plugin → not before)."""
    plugins = listeners(hook)
    hold = hold or {}
    for plugin in plugins:
        row = OutboxDelivery(hook=hook, plugin=plugin, payload=payload, call_id=call_id)
        # The id of the request (or applied event) that caused it: the delivery's logs
        # then read together with the webhook's or the form's.
        row.request_id = requestid.current()
        if plugin in hold:
            row.next_attempt_at = hold[plugin]
        db.session.add(row)
    return len(plugins)


def backoff(attempts: int, base: float, cap: float) -> float:
    """Seconds to wait after ``attempts`` failures: exponential, capped, with equal jitter."""
    delay = min(cap, base * 2 ** min(max(attempts - 1, 0), 64))  # 2**1024 overflows a float
    return delay / 2 + random.uniform(0, delay / 2)


def claim(worker_id: str, limit: int, lease_seconds: float) -> list[int]:
    """Take up to ``limit`` due deliveries for this worker, oldest first; commits.

    One plugin gets one call's deliveries in the order they were made: a delivery is not
    taken while an earlier one for the same plugin and call is pending but cannot be
    taken with it (waiting for its retry, or held by another worker). Taken together,
    they come in order, and :func:`hub.worker.drain_once` stops the rest of such a chain
    when one fails. So a note does not reach a tracker before the issue it belongs to.
    """
    now = utcnow()
    earlier, waits = _earlier_pending(
        OutboxDelivery.plugin, OutboxDelivery.call_id, OutboxDelivery.id
    )
    waits = waits.where(or_(earlier.next_attempt_at > now, earlier.locked_until >= now)).exists()
    rows = db.session.scalars(
        select(OutboxDelivery.id)
        .where(
            OutboxDelivery.state == "pending",
            OutboxDelivery.next_attempt_at <= now,
            or_(OutboxDelivery.locked_until.is_(None), OutboxDelivery.locked_until < now),
            ~waits,
        )
        .order_by(OutboxDelivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if rows:
        db.session.execute(
            update(OutboxDelivery)
            .where(OutboxDelivery.id.in_(rows))
            .values(locked_by=worker_id, locked_until=now + timedelta(seconds=lease_seconds))
        )
    db.session.commit()
    return list(rows)


def waits_for_earlier(delivery_id: int) -> bool:
    """Whether an earlier delivery of the same call to the same plugin is still pending.

    Checked again just before a delivery is made: two workers claiming at the same
    moment can each see the other's row as free (PostgreSQL's SKIP LOCKED), so the claim
    alone cannot keep a call's deliveries in order.
    """
    row = db.session.get(OutboxDelivery, delivery_id)
    if row is None or row.call_id is None:
        return False
    _, earlier = _earlier_pending(row.plugin, row.call_id, delivery_id)
    return bool(db.session.scalar(select(earlier.exists())))


def _earlier_pending(plugin: Any, call_id: Any, before: Any) -> tuple[Any, Select]:
    """Pending deliveries to ``plugin`` for ``call_id`` made before ``before`` (values, or
    the outer query's columns), and the alias they are selected under."""
    earlier = aliased(OutboxDelivery)
    return earlier, select(earlier.id).where(
        earlier.plugin == plugin,
        earlier.call_id == call_id,
        earlier.state == "pending",
        earlier.id < before,
    )


def chains(delivery_ids: list[int]) -> dict[int, tuple[str, int | None]]:
    """Each delivery's plugin and call: the chain it belongs to."""
    rows = db.session.execute(
        select(OutboxDelivery.id, OutboxDelivery.plugin, OutboxDelivery.call_id).where(
            OutboxDelivery.id.in_(delivery_ids)
        )
    )
    chain = {id_: (plugin, call_id) for id_, plugin, call_id in rows}
    db.session.commit()
    return chain


def renew(delivery_id: int, worker_id: str, lease_seconds: float) -> bool:
    """Extend the lease on a claimed delivery just before calling its plugin.

    False when the lease ran out while the delivery waited in this worker's batch and
    another worker has taken it (or it is no longer pending): then leave it alone.
    The caller commits.
    """
    result = db.session.execute(
        update(OutboxDelivery)
        .where(
            OutboxDelivery.id == delivery_id,
            OutboxDelivery.locked_by == worker_id,
            OutboxDelivery.state == "pending",
        )
        # The attempt counts from its start, so that a delivery that kills its worker
        # (a crashing plugin, out of memory) still runs out of attempts.
        .values(
            locked_until=utcnow() + timedelta(seconds=lease_seconds),
            attempts=OutboxDelivery.attempts + 1,
        )
    )
    return result.rowcount == 1


def release(delivery_ids: list[int], worker_id: str) -> None:
    """Hand back claimed deliveries this worker will not try (it is stopping); commits."""
    if delivery_ids:
        db.session.execute(
            update(OutboxDelivery)
            .where(OutboxDelivery.id.in_(delivery_ids), OutboxDelivery.locked_by == worker_id)
            .values(locked_by=None, locked_until=None)
        )
    db.session.commit()


def _finish(delivery_id: int, worker_id: str, **values: Any) -> bool:
    """Update a delivery only if this worker still holds its lease; commits."""
    result = db.session.execute(
        update(OutboxDelivery)
        .where(OutboxDelivery.id == delivery_id, OutboxDelivery.locked_by == worker_id)
        .values(locked_by=None, locked_until=None, **values)
    )
    db.session.commit()
    return result.rowcount == 1


def mark_done(delivery_id: int, worker_id: str, attempts: int) -> bool:
    return _finish(
        delivery_id,
        worker_id,
        state="done",
        attempts=attempts,
        delivered_at=utcnow(),
        last_error=None,
    )


def mark_failed(
    delivery_id: int, worker_id: str, attempts: int, error: str, *, final: bool = False
) -> bool:
    """Record a failed attempt: retry later with backoff, or dead after the last attempt
    (or at once when ``final``: a configuration error that retrying cannot mend)."""
    cfg = current_app.config
    if final or attempts >= int(cfg["OUTBOX_MAX_ATTEMPTS"]):
        return _finish(delivery_id, worker_id, state="dead", attempts=attempts, last_error=error)
    delay = backoff(attempts, float(cfg["OUTBOX_BACKOFF_BASE"]), float(cfg["OUTBOX_BACKOFF_CAP"]))
    return _finish(
        delivery_id,
        worker_id,
        attempts=attempts,
        last_error=error,
        next_attempt_at=utcnow() + timedelta(seconds=delay),
    )


def _dead(delivery_id: int, done: str) -> OutboxDelivery:
    """The dead delivery, locked; anything else is refused (``done``: what would be done)."""
    delivery = db.session.get(OutboxDelivery, delivery_id, with_for_update=True)
    if delivery is None:
        raise NotFound(f"no outbox delivery {delivery_id}", field="id")
    if delivery.state != "dead":
        raise Conflict(
            f"delivery {delivery_id} is {delivery.state}; only dead deliveries are {done}",
            field="state",
        )
    return delivery


def redrive(delivery_id: int) -> OutboxDelivery:
    """Give a dead delivery a fresh set of attempts, due now (the caller commits)."""
    delivery = _dead(delivery_id, "re-driven")
    with audit.changing("delivery.redrive", "delivery", delivery_id, delivery):
        delivery.state = "pending"
        delivery.attempts = 0
        delivery.next_attempt_at = utcnow()
    return delivery


def discard(delivery_id: int) -> OutboxDelivery:
    """Give up on a dead delivery for good; it is kept, as *discarded* (the caller commits)."""
    delivery = _dead(delivery_id, "discarded")
    with audit.changing("delivery.discard", "delivery", delivery_id, delivery):
        delivery.state = "discarded"
    return delivery


def counts() -> dict[str, int]:
    """Deliveries per state."""
    rows = db.session.execute(
        select(OutboxDelivery.state, db.func.count()).group_by(OutboxDelivery.state)
    )
    return {state: n for state, n in rows}


def last_errors() -> dict[str, str]:
    """Each plugin's newest delivery error (of deliveries not yet done)."""
    newest = (
        select(OutboxDelivery.plugin, db.func.max(OutboxDelivery.id).label("id"))
        .where(OutboxDelivery.last_error.is_not(None), OutboxDelivery.state != "done")
        .group_by(OutboxDelivery.plugin)
        .subquery()
    )
    rows = db.session.execute(
        select(OutboxDelivery.plugin, OutboxDelivery.last_error).join(
            newest, OutboxDelivery.id == newest.c.id
        )
    )
    return {plugin: error for plugin, error in rows}


def trouble(limit: int = 10) -> tuple[dict[str, int], list[OutboxDelivery]]:
    """Dead deliveries and pending ones that already failed: counts and the newest few."""
    failing = (OutboxDelivery.state == "dead") | (
        (OutboxDelivery.state == "pending") & (OutboxDelivery.attempts > 0)
    )
    counts = dict(
        db.session.execute(
            select(OutboxDelivery.state, db.func.count())
            .where(failing)
            .group_by(OutboxDelivery.state)
        ).all()
    )
    rows = db.session.scalars(
        select(OutboxDelivery).where(failing).order_by(OutboxDelivery.id.desc()).limit(limit)
    ).all()
    return {"dead": counts.get("dead", 0), "failing": counts.get("pending", 0)}, list(rows)


def oldest_pending() -> datetime | None:
    return db.session.scalar(
        select(db.func.min(OutboxDelivery.created_at)).where(OutboxDelivery.state == "pending")
    )
