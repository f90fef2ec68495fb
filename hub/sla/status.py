"""How a call's clocks stand right now, for the screens: business time used and left,
and the colour (green, amber past the warning, red past the target, grey while paused).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from hub.db import db
from hub.models import CallPause, Clock, Contract
from hub.sla.clocks import Pause, calendar_of, rules_of, used


@dataclass(frozen=True)
class ClockView:
    """One clock as a screen shows it; ``left`` is business minutes (negative: late)."""

    id: int | None
    name: str  # response, resolution, line, collegial; "" when the call has no clock
    line: str | None
    person: str | None
    target: int | None
    due: datetime | None
    used: float | None
    left: float | None
    state: str  # green, amber, red, paused, met, breached, none
    outcome: str | None = None


NO_CLOCK = ClockView(None, "", None, None, None, None, None, None, "none")


def view(clock: Clock, contract: Contract, pauses: list[Pause], now: datetime) -> ClockView:
    """The clock at ``now``: stopped ones show their outcome."""
    person = clock.person.name if clock.person else None
    if clock.stopped_at is not None:
        return ClockView(clock.id, clock.kind, clock.line, person, clock.target_minutes,
                         None, clock.elapsed_minutes,
                         clock.target_minutes - (clock.elapsed_minutes or 0),
                         clock.outcome or "met", clock.outcome)  # fmt: skip
    spent = used(calendar_of(contract), clock.started_at, now, pauses)
    left = clock.target_minutes - spent
    if clock.paused_since is not None:
        state = "paused"
    elif left < 0 or clock.outcome == "breached":
        state = "red"
    elif spent >= rules_of(contract).warning_mark(clock.target_minutes):
        state = "amber"
    else:
        state = "green"
    return ClockView(clock.id, clock.kind, clock.line, person, clock.target_minutes,
                     clock.due_at, spent, left, state, clock.outcome)  # fmt: skip


def _pauses(call_ids: Iterable[int]) -> dict[int, list[Pause]]:
    out: dict[int, list[Pause]] = defaultdict(list)
    ids = list(call_ids)
    if ids:
        rows = db.session.execute(
            select(CallPause.call_id, CallPause.started_at, CallPause.ended_at)
            .where(CallPause.call_id.in_(ids))
            .order_by(CallPause.started_at)
        )
        for call_id, start, end in rows:
            out[call_id].append((start, end))
    return out


def running_client_clocks(calls: list, now: datetime) -> dict[int, ClockView]:  # noqa: ANN001
    """For each call, the client-facing clock that runs: response until the first
    response, then resolution (two queries for the whole list)."""
    ids = [c.id for c in calls]
    if not ids:
        return {}
    clocks = db.session.scalars(
        select(Clock).where(
            Clock.call_id.in_(ids),
            Clock.kind.in_(("response", "resolution")),
            Clock.stopped_at.is_(None),
        )
    ).all()
    chosen: dict[int, Clock] = {}
    for clock in clocks:
        if clock.call_id not in chosen or clock.kind == "response":
            chosen[clock.call_id] = clock
    pauses = _pauses(chosen)
    by_id = {c.id: c for c in calls}
    return {
        call_id: view(clock, by_id[call_id].contract, pauses[call_id], now)
        for call_id, clock in chosen.items()
    }


def all_clocks(call, now: datetime) -> list[ClockView]:  # noqa: ANN001
    """Every clock of one call, oldest first (for the call's page)."""
    if call.contract is None:
        return []
    clocks = db.session.scalars(
        select(Clock).where(Clock.call_id == call.id).order_by(Clock.id)
    ).all()
    pauses = _pauses([call.id])[call.id]
    return [view(clock, call.contract, pauses, now) for clock in clocks]
