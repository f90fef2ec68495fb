"""Every payable item of an associate, each priced with the tariff valid on its date and
named by the event it comes from (its ``source``):

- ``shift:<id>`` — a duty prepared: one per shift, dated by its local start;
- ``handover:<id>`` — a handover session; ``meeting:<id>`` — a team meeting;
- ``exam:<id>`` — a training or exam (free, listed for the record);
- ``call:<id>`` — a call the associate logged time on: the sum of their minutes on it,
  dated by their first time entry; under the minimum counts as the minimum, over the
  maximum is capped and flagged for the SLA manager.

Calls are summed in SQL (one row per call), not loaded entry by entry.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select

from hub.db import db
from hub.models import Call, Exam, HandoverSession, Person, Shift, TeamMeeting, TimeEntry
from hub.pay import quarters
from hub.pay.tariffs import Book, euros
from hub.sla.rosterplan import zone


@dataclass
class Line:
    kind: str  # item, correction or advance
    item: str
    source: str
    day: date
    description: str
    quantity: int
    rate_cents: int
    tariff_id: int | None
    amount_cents: int
    flagged: bool = False

    def json(self) -> dict[str, Any]:
        out = asdict(self)
        out["day"] = self.day.isoformat()
        out["amount"] = euros(self.amount_cents)
        out["rate"] = euros(self.rate_cents)
        return out


def order(line: Line) -> tuple[date, str, int]:
    """Lines by date, then item, then the source's id (as a number: 9 before 10)."""
    return line.day, line.item, int(line.source.partition(":")[2])


def _priced(book: Book, item: str, source: str, day: date, text: str, qty: int = 1) -> Line:
    tariff = book.on(item, day)
    return Line(
        "item", item, source, day, text, qty, tariff.amount_cents, tariff.id, tariff.price(qty)
    )


def _minutes(n: int) -> str:
    hours, mins = divmod(n, 60)
    return f"{hours} h {mins:02d} min" if hours else f"{mins} min"


def all_items(person: Person, end: datetime, book: Book | None = None) -> list[Line]:
    """The associate's items dated before the instant ``end`` (a quarter's end)."""
    book = book or Book()
    end_day = quarters.local_day(end)
    out: list[Line] = []
    shifts = db.session.scalars(
        select(Shift).where(Shift.person_id == person.id, Shift.starts_at < end)
    )
    for s in shifts:
        begins = s.starts_at.astimezone(zone())
        text = f"preparing the {s.product_line} duty from {begins:%d %b %Y %H:%M}"
        out.append(_priced(book, "duty", f"shift:{s.id}", quarters.local_day(s.starts_at), text))
    for model, item, prefix in (
        (HandoverSession, "handover", "handover"),
        (TeamMeeting, "meeting", "meeting"),
        (Exam, "training", "exam"),
    ):
        rows = db.session.scalars(
            select(model).where(model.person_id == person.id, model.day < end_day)
        )
        for row in rows:
            if item == "handover":
                text = f"handover session: {row.application.name}"
            elif item == "meeting":
                text = "team meeting follow-up"
            else:
                verdict = {True: ", passed", False: ", not passed", None: ""}[row.passed]
                text = f"{row.kind} {row.product_line}{verdict}"
            out.append(_priced(book, item, f"{prefix}:{row.id}", row.day, text))
    calls = db.session.execute(
        select(
            TimeEntry.call_id,
            Call.title,
            func.sum(TimeEntry.minutes),
            func.min(TimeEntry.created_at),
        )
        .join(Call, Call.id == TimeEntry.call_id)
        .where(TimeEntry.person_id == person.id)
        .group_by(TimeEntry.call_id, Call.title)
        .having(func.min(TimeEntry.created_at) < end)
    )
    for call_id, title, minutes, first in calls:
        first = first if first.tzinfo else first.replace(tzinfo=UTC)
        day = quarters.local_day(first)
        tariff = book.on("call", day)
        counted = tariff.counted(int(minutes))
        text = f"call #{call_id} {title[:200]}: {_minutes(int(minutes))} worked"
        if counted != minutes:
            text += f", {_minutes(counted)} counted"
        flagged = tariff.max_minutes is not None and minutes > tariff.max_minutes
        if flagged:
            text += " (over the maximum: for the SLA manager)"
        out.append(
            Line(
                "item",
                "call",
                f"call:{call_id}",
                day,
                text,
                counted,
                tariff.amount_cents,
                tariff.id,
                tariff.price(counted),
                flagged,
            )
        )
    out.sort(key=order)
    return out


def planned(person: Person, label: str, book: Book | None = None) -> list[Line]:
    """The advance of a quarter: the duties and handover sessions of the quarter that were
    planned (recorded) before it began, priced on their dates."""
    book = book or Book()
    start, end = quarters.instants(label)
    first, after = quarters.days(label)
    shifts = db.session.scalars(
        select(Shift).where(
            Shift.person_id == person.id,
            Shift.starts_at >= start,
            Shift.starts_at < end,
            Shift.created_at < start,
        )
    )
    out = [
        _advance(book, "duty", f"shift:{s.id}", quarters.local_day(s.starts_at),
                 f"preparing the {s.product_line} duty")
        for s in shifts
    ]  # fmt: skip
    sessions = db.session.scalars(
        select(HandoverSession).where(
            HandoverSession.person_id == person.id,
            HandoverSession.day >= first,
            HandoverSession.day < after,
            HandoverSession.created_at < start,
        )
    )
    out += [
        _advance(book, "handover", f"handover:{h.id}", h.day,
                 f"handover session {h.application.name}")
        for h in sessions
    ]  # fmt: skip
    out.sort(key=order)
    return out


def _advance(book: Book, item: str, source: str, day: date, what: str) -> Line:
    """A line of the advance: the item priced on its day, marked as paid ahead."""
    line = _priced(book, item, source, day, f"advance: {what}")
    line.kind = "advance"
    return line
