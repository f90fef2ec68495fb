"""What the dashboard shows: open calls by line and priority with their clocks, the duty,
the outbox's trouble and the plugins' health.

Each open call shows its running client-facing clock (:mod:`hub.sla.status`): business
time left on the response clock until the first response, then on the resolution clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from hub.db import db
from hub.models import Call, Contract
from hub.sla import roster, status
from hub.sla.status import ClockView
from hub.vocab import OPEN_STATUSES, PRODUCT_LINES

#: How many open calls the dashboard lists (most urgent first); the grid counts them all.
LIST_LIMIT = 200


def grid(client_id: int | None = None) -> dict[tuple[str, str], int]:
    """Open calls counted per (line, priority), in SQL."""
    stmt = (
        select(Call.line, Call.priority, func.count())
        .where(Call.status.in_(OPEN_STATUSES))
        .group_by(Call.line, Call.priority)
    )
    if client_id is not None:
        stmt = stmt.where(Call.client_id == client_id)
    return {(line, priority): n for line, priority, n in db.session.execute(stmt)}


def open_calls(now: datetime, client_id: int | None = None) -> list[tuple[Call, ClockView]]:
    """The oldest open calls with their running clocks, the least time left first."""
    stmt = (
        select(Call)
        .where(Call.status.in_(OPEN_STATUSES))
        .options(
            selectinload(Call.contract).selectinload(Contract.targets),
            selectinload(Call.client),
            selectinload(Call.assignee),
        )
        .order_by(Call.created_at)
        .limit(LIST_LIMIT)
    )
    if client_id is not None:
        stmt = stmt.where(Call.client_id == client_id)
    calls = list(db.session.scalars(stmt))
    clocks = status.running_client_clocks(calls, now)
    rows = [(call, clocks.get(call.id, status.NO_CLOCK)) for call in calls]
    return sorted(rows, key=lambda row: row[1].left if row[1].left is not None else math.inf)


def cell_states(rows: list[tuple[Call, ClockView]]) -> dict[tuple[str, str], str]:
    """The worst clock colour in each (line, priority) cell of the listed calls."""
    rank = {"none": 0, "paused": 0, "met": 0, "green": 1, "amber": 2, "red": 3}
    worst: dict[tuple[str, str], str] = {}
    for call, clock in rows:
        key = (call.line, call.priority)
        if rank[clock.state] > rank[worst.get(key, "none")]:
            worst[key] = clock.state
    return worst


@dataclass(frozen=True)
class DutyLine:
    """Who is on duty for one product line now, and who comes next and when."""

    line: str
    now: str | None
    next: str | None
    next_at: datetime | None


@dataclass(frozen=True)
class Duty:
    """The roster at a glance: one entry per product line that has someone now or next."""

    lines: tuple[DutyLine, ...] = ()


def duty(now: datetime) -> Duty:
    """Who is the 2nd line now and next, per product line (two indexed queries each)."""
    found = []
    for line in PRODUCT_LINES:
        current, coming = roster.on_duty(now, line), roster.next_duty(now, line)
        if current is not None or coming is not None:
            found.append(
                DutyLine(
                    line=line,
                    now=current.name if current else None,
                    next=coming.person.name if coming else None,
                    next_at=coming.starts_at if coming else None,
                )
            )
    return Duty(tuple(found))
