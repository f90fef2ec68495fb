"""The SLA sweep: fire each clock's warnings, breach and escalation levels once, in order.

It runs on the worker (a job every ``SLA_SWEEP_SECONDS``) and asks the database only for
the clocks whose next alert is due (``clocks.next_alert_at``, indexed), so its cost
follows what is due, not how many calls there are. A level is fired and recorded in the
clock's ``fired`` list in one transaction, so a second sweep fires nothing new. After a
sweep the job's next run is brought forward to the earliest next alert, so a P1 due in
minutes does not wait for the next round.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from hub import calls
from hub.db import db, utcnow
from hub.models import Call, Clock
from hub.sla import clocks as engine
from hub.sla.notify import alert
from hub.sla.routing import servers, sla_manager

#: Clocks handled per transaction.
BATCH = 200
ACTOR = "sla"


def run(now: datetime | None = None, batch: int = BATCH) -> int:
    """Fire what is due at ``now``; returns how many clocks were handled."""
    now = now or utcnow()
    stmt = (
        select(Clock)
        .where(Clock.next_alert_at <= now)
        .order_by(Clock.next_alert_at, Clock.id)
        .limit(batch)
    )
    if db.engine.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True, of=Clock)
    handled = 0
    for clock in db.session.scalars(stmt).all():
        fire_due(clock, now)
        handled += 1
    db.session.commit()
    return handled


def next_due() -> datetime | None:
    """The earliest next alert of any clock (the sweep's next run need not be later)."""
    return db.session.scalar(select(func.min(Clock.next_alert_at)))


def fire_due(clock: Clock, now: datetime) -> None:
    """Fire, in order, each level of ``clock`` whose time has come and that has not fired."""
    call: Call = clock.call
    contract = call.contract
    if contract is None or clock.stopped_at is not None:
        clock.next_alert_at = None
        return
    pauses = engine.pauses_of(call.id)
    cal = engine.calendar_of(contract)
    for minutes, name in engine.marks(clock, engine.rules_of(contract)):
        if name in clock.fired:
            continue
        at = engine.mark_time(cal, clock.started_at, minutes, pauses)
        if at is None or at > now:
            break
        clock.fired = [*clock.fired, name]  # a new list: the JSON column sees the change
        _fire(clock, name, at, now)
        if clock.stopped_at is not None:
            break
    engine.refresh(clock, contract, pauses)


def _what(clock: Clock) -> str:
    line = f" of line {clock.line}" if clock.line else ""
    who = f" ({clock.person.name})" if clock.person else ""
    return f"{clock.kind} clock{line}{who}, {clock.priority} target {clock.target_minutes} min"


def _fire(clock: Clock, name: str, at: datetime, now: datetime) -> None:
    call = clock.call
    if name == "warning":
        due = engine.mark_time(
            engine.calendar_of(call.contract), clock.started_at, clock.target_minutes,
            engine.pauses_of(call.id),
        )  # fmt: skip
        when = f"{due:%Y-%m-%d %H:%M} UTC" if due else "later (the call waits for the client)"
        alert(call, clock, "warning", f"{_what(clock)}: due at {when}", now)
    elif name == "breach":
        clock.outcome, clock.breached_at = "breached", at
        clock.cause = engine.cause(call)
        alert(call, clock, "breach", f"{_what(clock)}: breached at {at:%Y-%m-%d %H:%M} UTC", now)
    else:
        _, offset, action = name.split(":")
        reason = f"SLA level {offset} min on the {_what(clock)}"
        _level(clock, action, reason, now)


def _level(clock: Clock, action: str, reason: str, now: datetime) -> None:
    call = clock.call
    if action == "notify":
        alert(call, clock, "warning", reason, now)
        return
    if action == "escalate":
        to_line = engine.rules_of(call.contract).next_line.get(call.line)
        if to_line is not None:
            person = next(iter(servers(call, to_line, now)), None)
            calls.escalate(
                call, actor=ACTOR, kind="functional", to_line=to_line,
                to_person=person.key if person else None, reason=reason,
            )  # fmt: skip
            return
        action = "manager"  # the top of the line plan: only the SLA manager is left
    manager = sla_manager(call)
    if manager is None:
        alert(call, clock, "breach", reason + " (no SLA manager to escalate to)", now)
        return
    calls.escalate(call, actor=ACTOR, kind="hierarchical", to_person=manager.key, reason=reason)
