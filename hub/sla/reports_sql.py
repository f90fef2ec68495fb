"""The SQL behind the SLA reports: every figure is an aggregate the database computes.

Nothing here loads a client's calls into Python. Each function takes the *cohort* — one
client's calls opened in ``[start, end)`` — and returns grouped counts, percentiles or a
limited page of rows. The same statements run on SQLite and PostgreSQL: percentiles use
window functions (``ROW_NUMBER``/``COUNT OVER``) and integer arithmetic instead of
``percentile_cont`` (PostgreSQL only) or ``FLOOR`` (not in every SQLite build); month and
bucket labels come from ``CASE`` over bounds computed in Python (SQLite has no time zones).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Select,
    case,
    cast,
    func,
    literal_column,
    select,
    true,
    union_all,
)

from hub.db import db
from hub.models import Call, CallFeedback, Clock, HoursDecision, TimeEntry

#: The clock kinds whose outcomes and times a report shows.
KINDS = ("response", "resolution", "collegial")


def cohort(client_id: int, start: datetime, end: datetime) -> list[ColumnElement[bool]]:
    """The conditions that pick one client's calls opened in ``[start, end)``."""
    return [Call.client_id == client_id, Call.created_at >= start, Call.created_at < end]


def calls_by_priority_category(where: list[ColumnElement[bool]]) -> dict[tuple[str, str], int]:
    """Calls of the cohort counted per (priority, category)."""
    stmt = (
        select(Call.priority, Call.category, func.count())
        .where(*where)
        .group_by(Call.priority, Call.category)
    )
    return {(p, c): n for p, c, n in db.session.execute(stmt)}


def _labelled(column: Any, bounds: Sequence[tuple[str, Any]], last: str) -> ColumnElement:
    """``CASE`` giving the label of the first bound ``column`` is below, else ``last``."""
    return case(*[(column < bound, label) for label, bound in bounds], else_=last)


def outcomes_by_month(
    client_id: int, months: Sequence[tuple[str, datetime, datetime]]
) -> dict[tuple[str, str, str | None], int]:
    """Clock outcomes per (month, kind, outcome) for calls opened in each of ``months``.

    ``months`` are (label, start, end) in order, each ending where the next starts. The
    outcome is None for a clock still running within its target (pending).
    """
    first, last = months[0][1], months[-1][2]
    month = _labelled(Call.created_at, [(m[0], m[2]) for m in months[:-1]], months[-1][0])
    inner = (
        select(month.label("month"), Clock.kind.label("kind"), Clock.outcome.label("outcome"))
        .join(Call, Call.id == Clock.call_id)
        .where(*cohort(client_id, first, last), Clock.kind.in_(KINDS))
        .subquery()
    )
    # Grouped outside: PostgreSQL would not match a CASE repeated with fresh parameters.
    stmt = select(inner.c.month, inner.c.kind, inner.c.outcome, func.count()).group_by(
        inner.c.month, inner.c.kind, inner.c.outcome
    )
    return {(m, k, o): n for m, k, o, n in db.session.execute(stmt)}


def percentiles(
    where: list[ColumnElement[bool]], points: Sequence[int] = (50, 90)
) -> dict[str, tuple[int, dict[int, float]]]:
    """The ``points``-th percentiles (whole percents) of the elapsed business minutes of
    the cohort's stopped clocks, per kind, by linear interpolation between closest ranks.

    For n sorted values v[0..n-1] and a percent p, the position is h = (n-1)·p/100 and the
    percentile is v[⌊h⌋] + (h − ⌊h⌋)·(v[⌊h⌋+1] − v[⌊h⌋]): what Python's
    ``statistics.quantiles(method="inclusive")``, numpy's default and PostgreSQL's
    ``percentile_cont`` give; the 50th is the usual median (the mean of the middle two).
    Only the one or two rows at the position leave the database's window step.

    Returns kind → (how many clocks were measured, {percent: minutes}); a kind without
    stopped clocks is left out.
    """
    ranked = (
        select(
            Clock.kind.label("kind"),
            Clock.elapsed_minutes.label("v"),
            func.row_number()
            .over(partition_by=Clock.kind, order_by=Clock.elapsed_minutes)
            .label("rn"),
            func.count().over(partition_by=Clock.kind).label("n"),
        )
        .join(Call, Call.id == Clock.call_id)
        .where(
            *where,
            Clock.kind.in_(KINDS),
            Clock.stopped_at.is_not(None),
            Clock.elapsed_minutes.is_not(None),
        )
        .cte("ranked")
    )
    # Whole numbers written into the statement: PostgreSQL cannot type a bare parameter here.
    rows = [select(literal_column(str(int(p)), Integer).label("p")) for p in points]
    wanted = union_all(*rows).cte("wanted")
    scaled = (ranked.c.n - 1) * wanted.c.p  # h · 100, a whole number
    below = scaled // 100  # ⌊h⌋ (0-based rank), integer division on both databases
    fraction = cast(scaled % 100, Float) / 100.0
    low, high = func.min(ranked.c.v), func.max(ranked.c.v)
    stmt = (
        select(ranked.c.kind, ranked.c.n, wanted.c.p, low + (high - low) * fraction)
        .select_from(ranked)
        .join(wanted, ranked.c.rn.between(below + 1, below + 2))
        .group_by(ranked.c.kind, wanted.c.p, ranked.c.n)
    )
    found: dict[str, tuple[int, dict[int, float]]] = {}
    for kind, n, p, value in db.session.execute(stmt):
        found.setdefault(kind, (int(n), {}))[1][int(p)] = float(value)
    return found


def histogram(
    where: list[ColumnElement[bool]], kind: str, edges: Sequence[float]
) -> dict[int, int]:
    """Stopped ``kind`` clocks of the cohort counted per bucket of elapsed minutes.

    Bucket i holds ``edges[i-1] <= minutes < edges[i]`` (bucket 0: below ``edges[0]``;
    the last, ``len(edges)``: ``edges[-1]`` and more). Only non-empty buckets come back.
    """
    bucket = case(
        *[(Clock.elapsed_minutes < edge, i) for i, edge in enumerate(edges)], else_=len(edges)
    )
    inner = (
        select(bucket.label("bucket"))
        .join(Call, Call.id == Clock.call_id)
        .where(
            *where,
            Clock.kind == kind,
            Clock.stopped_at.is_not(None),
            Clock.elapsed_minutes.is_not(None),
        )
        .subquery()
    )
    stmt = select(inner.c.bucket, func.count()).group_by(inner.c.bucket)
    return {int(b): n for b, n in db.session.execute(stmt)}


def breaches(where: list[ColumnElement[bool]]) -> Select:
    """The cohort's breached clocks (any kind, running or stopped) with their call, in the
    order they breached (those without a breach time last), for paging."""
    return (
        select(
            Call.id.label("call_id"),
            Call.title,
            Clock.kind,
            Clock.line,
            Clock.priority,
            Clock.due_at,
            Clock.breached_at,
            Clock.cause,
        )
        .join(Call, Call.id == Clock.call_id)
        .where(*where, Clock.outcome == "breached")
        .order_by(Clock.breached_at.is_(None), Clock.breached_at, Clock.id)
    )


def count(stmt: Select) -> int:
    """How many rows ``stmt`` gives."""
    return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))


def page(stmt: Select, limit: int, offset: int) -> list[Any]:
    """One page of ``stmt``'s rows."""
    return list(db.session.execute(stmt.limit(limit).offset(offset)))


def minutes_booked(
    start: datetime,
    end: datetime,
    *,
    client_id: int | None = None,
    contract_id: int | None = None,
) -> int:
    """Minutes of time entries made in ``[start, end)`` on a client's or a contract's calls."""
    stmt = (
        select(func.coalesce(func.sum(TimeEntry.minutes), 0))
        .join(Call, Call.id == TimeEntry.call_id)
        .where(TimeEntry.created_at >= start, TimeEntry.created_at < end)
    )
    if client_id is not None:
        stmt = stmt.where(Call.client_id == client_id)
    if contract_id is not None:
        stmt = stmt.where(Call.contract_id == contract_id)
    return int(db.session.scalar(stmt))


def hours_feedback(where: list[ColumnElement[bool]]) -> tuple[int, int, int, int, float | None]:
    """The client's verdicts on the cohort's calls, in one statement: (calls with hours,
    of them approved, of them with disputed hours held, calls scored, average score).

    A call is *approved* when every one of its time entries has an approved decision; it
    counts as *disputed* while any entry is held. The satisfaction is that of each call's
    latest feedback (by time, then id): an earlier score the client revised is not counted,
    nor is a call whose latest feedback gave no score.
    """
    approved = case((HoursDecision.state == "approved", 1), else_=0)
    disputed = case((HoursDecision.state == "disputed", 1), else_=0)
    per_call = (
        select(
            func.count(TimeEntry.id).label("entries"),
            func.sum(approved).label("approved"),
            func.sum(disputed).label("disputed"),
        )
        .select_from(Call)
        .join(TimeEntry, TimeEntry.call_id == Call.id)
        .outerjoin(HoursDecision, HoursDecision.time_entry_id == TimeEntry.id)
        .where(*where)
        .group_by(Call.id)
        .subquery()
    )
    calls = select(
        func.count().label("with_hours"),
        func.coalesce(
            func.sum(case((per_call.c.approved == per_call.c.entries, 1), else_=0)), 0
        ).label("approved"),
        func.coalesce(func.sum(case((per_call.c.disputed > 0, 1), else_=0)), 0).label("disputed"),
    ).subquery()
    latest = (
        select(
            CallFeedback.score.label("score"),
            func.row_number()
            .over(
                partition_by=CallFeedback.call_id,
                order_by=(CallFeedback.at.desc(), CallFeedback.id.desc()),
            )
            .label("rn"),
        )
        .join(Call, Call.id == CallFeedback.call_id)
        .where(*where)
        .subquery()
    )
    scores = (
        select(
            func.count(latest.c.score).label("scored"),
            func.avg(cast(latest.c.score, Float)).label("average"),
        )
        .where(latest.c.rn == 1)
        .subquery()
    )
    row = db.session.execute(
        select(calls.c.with_hours, calls.c.approved, calls.c.disputed, scores.c.scored,
               scores.c.average).select_from(calls.join(scores, true()))
    ).one()  # fmt: skip
    average = None if row.average is None else float(row.average)
    return int(row.with_hours), int(row.approved), int(row.disputed), int(row.scored), average
