"""A quarter's statement for an associate: previewed from the live data, issued once and
then frozen (stored with its lines; later changes never alter it).

The lines of quarter Q:

- ``item`` — each item dated in Q, priced with the tariff valid on its date;
- ``correction`` — an item of an earlier, already issued quarter that changed after
  issue (added, grown, removed): the difference between what it is worth now and what
  the issued statements paid for it;
- ``advance`` — what was paid at the start of Q for the duties and handover sessions
  planned by then (see :func:`hub.pay.items.planned`).

``settlement`` = earned + corrections − advance: what is paid at the end of Q.

Items of an earlier quarter that was never issued wait for that quarter's statement;
statements are issued in order (a quarter is refused once a later one is issued) and only
after the quarter has ended.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from hub import audit
from hub.db import db, utcnow
from hub.errors import Conflict, Invalid
from hub.models import Person, Statement, StatementLine
from hub.pay import quarters
from hub.pay.items import Line, all_items, order, planned
from hub.pay.tariffs import Book, euros

PAID_KINDS = ("item", "correction")


def _issued(person: Person) -> dict[str, Statement]:
    rows = db.session.scalars(select(Statement).where(Statement.person_id == person.id))
    return {s.quarter: s for s in rows}


def _paid_before(person: Person, label: str) -> dict[str, tuple[int, StatementLine]]:
    """Per source: the amount issued statements before ``label`` paid for it, and the
    latest line that did (for a removed item's description)."""
    rows = db.session.scalars(
        select(StatementLine)
        .join(Statement)
        .where(
            Statement.person_id == person.id,
            Statement.quarter < label,
            StatementLine.kind.in_(PAID_KINDS),
        )
        .order_by(Statement.quarter, StatementLine.position)
    )
    out: dict[str, tuple[int, StatementLine]] = {}
    for row in rows:
        out[row.source] = (out.get(row.source, (0, row))[0] + row.amount_cents, row)
    return out


def compute(person: Person, label: str) -> list[Line]:
    """The lines of ``label`` for ``person`` as the data stand now."""
    book = Book()
    _, end = quarters.instants(label)
    issued = {q for q in _issued(person) if q < label}
    items = {line.source: line for line in all_items(person, end, book)}
    paid = _paid_before(person, label)
    lines = [line for line in items.values() if quarters.of(line.day) == label]
    corrections = []
    for source in sorted(set(paid) | {s for s, x in items.items() if quarters.of(x.day) in issued}):
        now = items.get(source)
        due = now.amount_cents if now is not None and quarters.of(now.day) in issued else 0
        before, last = paid.get(source, (0, None))
        if due == before:
            continue
        if now is not None:
            base = Line(
                "correction",
                now.item,
                source,
                now.day,
                "",
                now.quantity,
                now.rate_cents,
                now.tariff_id,
                0,
                now.flagged,
            )
            what = now.description
        else:
            base = Line(
                "correction", last.item, source, last.day, "", 0, last.rate_cents, last.tariff_id, 0
            )
            what = f"{last.description} (no longer recorded)"
        base.description = f"correction for {quarters.of(base.day)}: {what}; paid {euros(before)}"
        base.amount_cents = due - before
        corrections.append(base)
    corrections.sort(key=order)
    return lines + corrections + planned(person, label, book)


def totals(lines: list[Any]) -> dict[str, int]:
    def total(kind: str) -> int:
        return sum(line.amount_cents for line in lines if line.kind == kind)

    earned, corrections, advance = total("item"), total("correction"), total("advance")
    return {
        "earned_cents": earned,
        "corrections_cents": corrections,
        "advance_cents": advance,
        "settlement_cents": earned + corrections - advance,
    }


def find(person: Person, label: str) -> Statement | None:
    return db.session.scalar(
        select(Statement).where(Statement.person_id == person.id, Statement.quarter == label)
    )


def issue(person: Person, label: str, *, actor: str, now: datetime | None = None) -> Statement:
    """Freeze the quarter's statement: refused before the quarter has ended, twice, or
    when a later quarter is already issued (corrections run forward only)."""
    if person.kind != "associate":
        raise Invalid(f"{person.key} is not an associate", "person")
    _, end = quarters.instants(label)
    if (now or utcnow()) < end:
        raise Invalid(f"{label} has not ended yet; issue it once it has", "quarter")
    if find(person, label) is not None:
        raise Conflict(f"the statement of {label} for {person.key} was already issued", "quarter")
    later = db.session.scalar(
        select(func.max(Statement.quarter)).where(Statement.person_id == person.id)
    )
    if later is not None and later > label:
        raise Conflict(f"{later} is already issued for {person.key}; issue in order", "quarter")
    lines = compute(person, label)
    row = Statement(person=person, quarter=label, issued_by=actor, **totals(lines))
    row.lines = [
        StatementLine(position=i, **{k: v for k, v in vars(line).items()})
        for i, line in enumerate(lines, 1)
    ]
    db.session.add(row)
    audit.created("statement.issue", "person", person.key, row, lines=len(lines))
    return row


def _line_json(line: Any) -> dict[str, Any]:
    keys = (
        "kind",
        "item",
        "source",
        "description",
        "quantity",
        "rate_cents",
        "tariff_id",
        "amount_cents",
        "flagged",
    )
    out = {k: getattr(line, k) for k in keys}
    out["day"] = line.day.isoformat()
    out["amount"] = euros(line.amount_cents)
    return out


def view(person: Person, label: str) -> dict[str, Any]:
    """The statement as JSON: the issued one if there is one, else a preview."""
    stored = find(person, label)
    lines: list[Any] = stored.lines if stored is not None else compute(person, label)
    sums = totals(lines)
    return {
        "person": person.key,
        "name": person.name,
        "quarter": label,
        "currency": "EUR",
        "issued": stored is not None,
        "issued_at": stored.issued_at.isoformat() if stored else None,
        "issued_by": stored.issued_by if stored else None,
        **sums,
        **{k.removesuffix("_cents"): euros(v) for k, v in sums.items()},
        "flagged": sum(1 for line in lines if line.flagged),
        "lines": [_line_json(line) for line in lines],
    }


def as_csv(body: dict[str, Any]) -> str:
    """The statement as CSV: one row per line, then the totals; amounts in EUR."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(
        [
            "person",
            "quarter",
            "kind",
            "item",
            "source",
            "day",
            "description",
            "quantity",
            "rate_eur",
            "amount_eur",
            "flagged",
        ]
    )
    for x in body["lines"]:
        w.writerow(
            [
                body["person"],
                body["quarter"],
                x["kind"],
                x["item"],
                x["source"],
                x["day"],
                x["description"],
                x["quantity"],
                euros(x["rate_cents"]),
                x["amount"],
                "yes" if x["flagged"] else "",
            ]
        )
    for key in ("earned", "corrections", "advance", "settlement"):
        w.writerow(
            [body["person"], body["quarter"], "total", key, "", "", "", "", "", body[key], ""]
        )
    return out.getvalue()
