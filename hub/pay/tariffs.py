"""The tariffs associates are paid by, as dated versions.

The seed's tariffs (DESIGN.md §1) are the defaults, in force from the beginning of time:
a handover session 90, a team-meeting follow-up 50, training and exam free, preparing a
duty 30, and a handled call at 60 an hour, counting at least 15 minutes and at most
2.5 hours. The seed says "per call: min 1 kwartier max. 2,5 uur tegen 60 euro", which
reads as an hourly rate (that is what the minimum and maximum are for); a version with
unit "each" pays a flat amount per call instead.

A new version applies from its ``valid_from`` on and never rewrites the past: an item is
priced with the version valid on the item's date, and a version may not start in (or
before) a quarter for which a statement was already issued.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from hub import audit
from hub.db import db
from hub.errors import Conflict, Invalid
from hub.models import Statement, TariffVersion
from hub.pay import quarters

ITEMS = ("handover", "meeting", "training", "duty", "call")
TITLES = {
    "handover": "handover session",
    "meeting": "team meeting follow-up",
    "training": "training and exam",
    "duty": "preparing a duty",
    "call": "handled call",
}
UNITS = ("each", "hour")
MAX_CENTS = 10_000_000  # 100,000 EUR: more is a typo


@dataclass(frozen=True)
class Tariff:
    item: str
    amount_cents: int
    unit: str = "each"
    min_minutes: int | None = None
    max_minutes: int | None = None
    valid_from: date | None = None  # None: the seed's default
    id: int | None = None

    def price(self, quantity: int) -> int:
        """Cents for ``quantity`` (pieces, or counted minutes at an hourly rate), rounded
        half up to the cent."""
        if self.unit == "hour":
            return (2 * quantity * self.amount_cents + 60) // 120
        return quantity * self.amount_cents

    def counted(self, minutes: int) -> int:
        """The minutes a call counts for: clamped to ``[min_minutes, max_minutes]``."""
        low = self.min_minutes if self.min_minutes is not None else minutes
        high = self.max_minutes if self.max_minutes is not None else minutes
        return max(low, min(high, minutes))

    def json(self) -> dict:
        return {
            "id": self.id,
            "item": self.item,
            "title": TITLES[self.item],
            "valid_from": self.valid_from.isoformat() if self.valid_from else None,
            "amount_cents": self.amount_cents,
            "amount": euros(self.amount_cents),
            "unit": self.unit,
            "min_minutes": self.min_minutes,
            "max_minutes": self.max_minutes,
        }


DEFAULTS = {
    "handover": Tariff("handover", 9000),
    "meeting": Tariff("meeting", 5000),
    "training": Tariff("training", 0),
    "duty": Tariff("duty", 3000),
    "call": Tariff("call", 6000, "hour", 15, 150),
}


def euros(cents: int) -> str:
    """Cents as a decimal string ("805.00", "-12.50"): exact, no float."""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def _tariff(row: TariffVersion) -> Tariff:
    return Tariff(
        row.item,
        row.amount_cents,
        row.unit,
        row.min_minutes,
        row.max_minutes,
        row.valid_from,
        row.id,
    )


class Book:
    """All versions, loaded once: ``book.on(item, day)`` is the tariff valid that day."""

    def __init__(self) -> None:
        rows = db.session.scalars(select(TariffVersion).order_by(TariffVersion.valid_from))
        self.versions: dict[str, list[Tariff]] = {item: [] for item in ITEMS}
        for row in rows:
            self.versions.setdefault(row.item, []).append(_tariff(row))

    def on(self, item: str, day: date) -> Tariff:
        found = self.versions.get(item, [])
        at = bisect.bisect_right([t.valid_from for t in found], day)
        return found[at - 1] if at else DEFAULTS[item]


def listing() -> list[dict]:
    """The defaults and every version, per item in order."""
    book = Book()
    return [t.json() for item in ITEMS for t in [DEFAULTS[item], *book.versions[item]]]


def add_version(
    item: str,
    valid_from: date,
    amount_cents: int,
    *,
    actor: str,
    unit: str | None = None,
    min_minutes: int | None = None,
    max_minutes: int | None = None,
    note: str | None = None,
) -> TariffVersion:
    if item not in ITEMS:
        raise Invalid(f"unknown item {item!r}; expected one of {', '.join(ITEMS)}", "item")
    if not 0 <= amount_cents <= MAX_CENTS:
        raise Invalid(f"amount_cents must be 0 to {MAX_CENTS}", "amount_cents")
    unit = unit or DEFAULTS[item].unit
    if unit not in UNITS or (unit == "hour" and item != "call"):
        raise Invalid("unit is 'each', or 'hour' for a call", "unit")
    if item != "call" and (min_minutes is not None or max_minutes is not None):
        raise Invalid("only a call counts minutes", "min_minutes")
    if item == "call":
        min_minutes = DEFAULTS["call"].min_minutes if min_minutes is None else min_minutes
        max_minutes = DEFAULTS["call"].max_minutes if max_minutes is None else max_minutes
        if not 0 <= min_minutes <= max_minutes <= 24 * 60:
            raise Invalid("min_minutes ≤ max_minutes, both 0 to 1440", "max_minutes")
    last = db.session.scalar(select(func.max(Statement.quarter)))
    if last is not None and quarters.of(valid_from) <= last:
        raise Conflict(
            f"valid_from {valid_from.isoformat()} falls in or before {last}, for which a "
            "statement was issued: a tariff never rewrites the past",
            "valid_from",
        )
    clash = db.session.scalar(
        select(TariffVersion.id).where(
            TariffVersion.item == item, TariffVersion.valid_from == valid_from
        )
    )
    if clash is not None:
        raise Conflict(f"{item} already has a version from {valid_from.isoformat()}", "valid_from")
    row = TariffVersion(
        item=item,
        valid_from=valid_from,
        amount_cents=amount_cents,
        unit=unit,
        min_minutes=min_minutes,
        max_minutes=max_minutes,
        note=note,
        created_by=actor,
    )
    db.session.add(row)
    audit.created("tariff.create", "tariff", item, row)
    return row
