"""A call's SLA clocks: started, paused, resumed, stopped and recomputed as the call moves.

Every clock counts business minutes of its contract's calendar (:mod:`hub.sla.calendar`)
from ``started_at``, leaving out the periods the call waited for the client. Those
periods are records (:class:`~hub.models.CallPause`), never a running total, so that a
change of priority or contract recomputes every due time from the history and loses no
paused time. A clock's due time and its next alert are stored in indexed columns: the
sweep (:mod:`hub.sla.sweep`) finds what is due with one query.

The call lifecycle (:mod:`hub.calls`) tells this module what happened through
:func:`on_created`, :func:`on_status`, :func:`on_fields`, :func:`on_escalated` and
:func:`on_touched`, inside the caller's transaction.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from hub.db import db, utcnow
from hub.models import Call, CallPause, Clock, Contract, Person, ScheduledJob, User
from hub.sla.calendar import Calendar, calendar_from
from hub.sla.rules import Rules, parse_rules

Pause = tuple[datetime, datetime | None]

#: The client-facing clocks; the others (line, collegial) measure the team's own time.
CLIENT_KINDS = ("response", "resolution")
SWEEP_JOB = "sla_sweep"
#: An alert further off than this is caught by the sweep's own rounds; only a sooner one
#: moves the sweep's next run forward (one UPDATE saved on most clock changes).
SOON = timedelta(minutes=10)
#: While a call is in one of these, a pause is open: its clocks stand still.
PAUSED = ("waiting_for_client", "resolved", "closed")


#: The calendar of a contract that names none: Dutch office hours with Dutch holidays.
DEFAULT_CALENDAR = {
    "working_hours": {day: ["08:30", "17:30"] for day in ("mon", "tue", "wed", "thu", "fri")},
    "country": "NL",
}


def calendar_of(contract: Contract) -> Calendar:
    return calendar_from(contract.timezone, contract.calendar or DEFAULT_CALENDAR)


@functools.lru_cache(maxsize=256)
def _rules(rules_json: str, warning_percent: int) -> Rules:
    return parse_rules(json.loads(rules_json), warning_percent)


def rules_of(contract: Contract) -> Rules:
    """The contract's rules, parsed once per distinct content."""
    return _rules(json.dumps(contract.rules or {}, sort_keys=True), contract.warning_percent)


def targets(contract: Contract | None, priority: str) -> tuple[int, int] | None:
    """(response, resolution) business minutes for ``priority``, or None without a target."""
    if contract is None:
        return None
    for target in contract.targets:
        if target.priority == priority:
            return target.response_minutes, target.resolution_minutes
    return None


def pauses_of(call_id: int) -> list[Pause]:
    """The call's pause periods in order. Read without an autoflush: pauses are only
    written by :func:`on_status`, which flushes them itself, and flushing the whole
    session before each read is what made a sweep slow."""
    with db.session.no_autoflush:
        rows = db.session.execute(
            select(CallPause.started_at, CallPause.ended_at)
            .where(CallPause.call_id == call_id)
            .order_by(CallPause.started_at)
        ).all()
    return [(start, end) for start, end in rows]


# --- business time with pauses ---------------------------------------------------------


def mark_time(
    cal: Calendar, start: datetime, minutes: float, pauses: Sequence[Pause]
) -> datetime | None:
    """When ``minutes`` of business time, pauses left out, have passed since ``start``;
    None when a pause still open began before that (the clock stands still)."""
    s = start.timestamp()  # epoch seconds inside: the calendar's fast path
    extra = 0.0
    due = cal.add_seconds(s, minutes)
    for p_start, p_end in pauses:
        pe = p_end.timestamp() if p_end is not None else None
        if pe is not None and pe <= s:
            continue
        ps = max(p_start.timestamp(), s)
        if ps >= due:
            break  # pauses are ordered and do not overlap: the rest come later still
        if pe is None:
            return None
        extra += cal.between_seconds(ps, pe)
        due = cal.add_seconds(s, minutes + extra)
    return datetime.fromtimestamp(due, UTC)


def used(cal: Calendar, start: datetime, at: datetime, pauses: Sequence[Pause]) -> float:
    """Business minutes from ``start`` to ``at``, pauses left out."""
    s, e = start.timestamp(), at.timestamp()
    total = cal.between_seconds(s, e)
    for p_start, p_end in pauses:
        lo = max(p_start.timestamp(), s)
        hi = min(p_end.timestamp() if p_end is not None else e, e)
        if hi > lo:
            total -= cal.between_seconds(lo, hi)
    return max(total, 0.0)


def marks(clock: Clock, rules: Rules) -> list[tuple[float, str]]:
    """The alert levels of a clock as (business minutes into it, name), in order.

    Every clock warns and breaches; the client-facing ones also climb the contract's
    escalation levels (``level:<at>:<action>``).
    """
    target = clock.target_minutes
    out = [(rules.warning_mark(target), "warning"), (float(target), "breach")]
    if clock.kind in CLIENT_KINDS:
        for at, action in rules.levels[clock.priority]:
            out.append((float(max(0, target + at)), f"level:{at}:{action}"))
    return sorted(out)


def refresh(clock: Clock, contract: Contract, pauses: Sequence[Pause]) -> None:
    """Recompute ``due_at`` and ``next_alert_at`` from the clock's start and the pauses."""
    if clock.stopped_at is not None:
        clock.due_at = clock.next_alert_at = None
        return
    cal = calendar_of(contract)
    clock.due_at = mark_time(cal, clock.started_at, clock.target_minutes, pauses)
    clock.next_alert_at = None
    for minutes, name in marks(clock, rules_of(contract)):
        if name not in (clock.fired or ()):
            clock.next_alert_at = mark_time(cal, clock.started_at, minutes, pauses)
            break
    if clock.next_alert_at is not None and clock.next_alert_at < utcnow() + SOON:
        bring_sweep_forward(clock.next_alert_at)


def bring_sweep_forward(when: datetime) -> None:
    """Make the sweep run by ``when`` at the latest: a P1 due in minutes does not wait.

    A plain UPDATE of the job's row: no flush of pending objects first and no search of
    the session for job objects to keep in step (nothing here holds one), which made this
    the dearest step of a sweep."""
    with db.session.no_autoflush:
        db.session.execute(
            update(ScheduledJob)
            .where(ScheduledJob.name == SWEEP_JOB, ScheduledJob.next_run_at > when)
            .values(next_run_at=when),
            execution_options={"synchronize_session": False},
        )


def stop(clock: Clock, at: datetime, contract: Contract, pauses: Sequence[Pause]) -> None:
    """Stop a running clock at ``at``: record the business minutes used, met or breached."""
    if clock.stopped_at is not None:
        return
    clock.elapsed_minutes = used(calendar_of(contract), clock.started_at, at, pauses)
    clock.stopped_at = at
    if clock.outcome != "breached" and clock.elapsed_minutes > clock.target_minutes:
        clock.outcome, clock.breached_at = "breached", clock.due_at
        clock.cause = cause(clock.call)
    elif clock.outcome is None:
        clock.outcome = "met"
    clock.paused_since = clock.due_at = clock.next_alert_at = None


def cause(call: Call) -> str:
    """Where the call stood when a clock breached: the start of its cause."""
    who = call.assignee.name if call.assignee else "nobody"
    return f"on line {call.line}, assigned to {who}, status {call.status.replace('_', ' ')}"


# --- what the lifecycle tells us -------------------------------------------------------


def _clocks(call: Call, *kinds: str) -> list[Clock]:
    """The call's running clocks (of ``kinds``). All its clocks are read without an
    autoflush and filtered here, on the objects as they are in this transaction: a clock
    stopped or restarted a moment ago counts as such (new clocks are flushed when made)."""
    with db.session.no_autoflush:
        rows = db.session.scalars(
            select(Clock).where(Clock.call_id == call.id).order_by(Clock.id)
        ).all()
    return [c for c in rows if c.stopped_at is None and (not kinds or c.kind in kinds)]


def _new(call: Call, kind: str, minutes: int, at: datetime, **extra: Any) -> Clock:
    clock = Clock(call=call, kind=kind, priority=call.priority, target_minutes=minutes,
                  started_at=at, fired=[], **extra)  # fmt: skip
    db.session.add(clock)
    return clock


def _line_clock(call: Call, at: datetime) -> Clock | None:
    found = targets(call.contract, call.priority)
    if found is None:
        return None
    minutes = rules_of(call.contract).line_target(call.line, call.priority, found[1])
    return _new(call, "line", minutes, at, line=call.line)


def on_created(call: Call) -> None:
    """Start the response, resolution and first line clocks (a call without a contract
    or without a target for its priority has no clocks)."""
    found = targets(call.contract, call.priority)
    if found is None:
        return
    at = call.created_at
    made = [_new(call, "response", found[0], at), _new(call, "resolution", found[1], at)]
    made.append(_line_clock(call, at))
    db.session.flush()
    for clock in made:
        refresh(clock, call.contract, [])


def on_status(call: Call, before: str, to: str, at: datetime) -> None:
    """Pause while waiting for the client; stop on first response and on resolution;
    a reopened call's resolution clock runs on, the resolved time counting as a pause."""
    if call.contract is None:
        return
    if before in PAUSED and to not in PAUSED:
        _end_pause(call, at)
    elif to in PAUSED and _open_pause(call) is None:
        db.session.add(CallPause(call=call, started_at=at))
    db.session.flush()
    pauses = pauses_of(call.id)
    if before == "new":
        for clock in _clocks(call, "response"):
            stop(clock, at, call.contract, pauses)
    if to == "resolved":
        for clock in _clocks(call):
            stop(clock, at, call.contract, pauses)
    elif to == "reopened":
        _reopen(call, at, pauses)
    for clock in _clocks(call):
        clock.paused_since = at if to == "waiting_for_client" else None
        refresh(clock, call.contract, pauses)


def _open_pause(call: Call) -> CallPause | None:
    return db.session.scalar(
        select(CallPause).where(CallPause.call_id == call.id, CallPause.ended_at.is_(None))
    )


def _end_pause(call: Call, at: datetime) -> None:
    pause = _open_pause(call)
    if pause is not None:
        pause.ended_at = at


def _reopen(call: Call, at: datetime, pauses: Sequence[Pause]) -> None:
    last = db.session.scalar(
        select(Clock).where(Clock.call_id == call.id, Clock.kind == "resolution")
        .order_by(Clock.id.desc()).limit(1)
    )  # fmt: skip
    if last is not None:
        last.stopped_at = last.elapsed_minutes = None
        if last.outcome == "met":
            last.outcome = None
    if not _clocks(call, "line"):
        _line_clock(call, at)
        db.session.flush()


def on_fields(call: Call, fields: dict[str, dict[str, Any]], at: datetime) -> None:
    """A priority change retargets the running clocks (from their own start, with every
    pause kept); a line change stops the old line's clock and starts the new line's."""
    contract = call.contract
    if contract is None:
        return
    pauses = pauses_of(call.id)
    if "line" in fields:
        for clock in _clocks(call, "line"):
            stop(clock, at, contract, pauses)
        if call.status not in ("resolved", "closed"):
            _line_clock(call, at)
            db.session.flush()
    if "priority" in fields:
        retarget(call, contract)
    for clock in _clocks(call):
        refresh(clock, contract, pauses)


def retarget(call: Call, contract: Contract) -> None:
    """Give the call's running clocks the targets of its (new) priority or contract."""
    found = targets(contract, call.priority)
    if found is None:
        return
    rules = rules_of(contract)
    for clock in _clocks(call):
        clock.priority = call.priority
        if clock.kind == "response":
            clock.target_minutes = found[0]
        elif clock.kind == "resolution":
            clock.target_minutes = found[1]
        elif clock.kind == "line":
            clock.target_minutes = rules.line_target(clock.line, call.priority, found[1])


def recompute_contract(contract: Contract) -> int:
    """After a contract's calendar, targets or rules changed: recompute its running clocks."""
    calls = db.session.scalars(
        select(Call).where(Call.contract_id == contract.id, Call.id.in_(
            select(Clock.call_id).where(Clock.stopped_at.is_(None))
        ))
    )  # fmt: skip
    n = 0
    for call in calls:
        retarget(call, contract)
        pauses = pauses_of(call.id)
        for clock in _clocks(call):
            refresh(clock, contract, pauses)
            n += 1
    return n


def on_escalated(call: Call, to_person: Person | None, to_line: str, at: datetime) -> None:
    """An internal escalation to a person starts a collegial clock until they acknowledge."""
    if call.contract is None or to_person is None:
        return
    if any(c.person_id == to_person.id for c in _clocks(call, "collegial")):
        return
    minutes = rules_of(call.contract).collegial[to_line]
    clock = _new(call, "collegial", minutes, at, line=to_line, person=to_person)
    db.session.flush()
    refresh(clock, call.contract, pauses_of(call.id))


def on_touched(call: Call, actor: str, at: datetime) -> None:
    """Whatever a colleague does on the call (a note, a move, time) acknowledges their
    collegial escalation: their clock stops."""
    if call.contract is None or not actor.startswith("user:"):
        return
    with db.session.no_autoflush:  # (a lookup of who acted; nothing pending matters)
        person_id = db.session.scalar(
            select(User.person_id).where(User.username == actor.removeprefix("user:"))
        )
    if person_id is None:
        return
    running = [c for c in _clocks(call, "collegial") if c.person_id == person_id]
    if running:
        pauses = pauses_of(call.id)
        for clock in running:
            stop(clock, at, call.contract, pauses)
