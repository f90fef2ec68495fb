"""Quarters on the hub's clock: an item belongs to the quarter of its local date
(Europe/Amsterdam), so 23:30 on 31 March is Q1 and 00:30 on 1 April is Q2."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from hub.errors import Invalid
from hub.sla.rosterplan import zone

_QUARTER = re.compile(r"([0-9]{4})-Q([1-4])", re.ASCII)
HELP = "a quarter such as 2026-Q1"


def parse(text: str | None, field: str = "quarter") -> str:
    """``2026-Q1`` (also ``2026-q1``) as the canonical label; anything else is Invalid."""
    found = _QUARTER.fullmatch((text or "").strip().upper())
    if found is None or not 1900 <= int(found.group(1)) <= 9998:
        raise Invalid(f"{field} must be {HELP}", field)
    return f"{found.group(1)}-Q{found.group(2)}"


def of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def days(label: str) -> tuple[date, date]:
    """The quarter's first day and the day after its last."""
    year, number = int(label[:4]), int(label[-1])
    first = date(year, 3 * number - 2, 1)
    after = date(year + 1, 1, 1) if number == 4 else date(year, 3 * number + 1, 1)
    return first, after


def instants(label: str) -> tuple[datetime, datetime]:
    """The quarter as UTC instants ``[start, end)``: local midnights of its bounds."""
    here = zone()
    return tuple(  # type: ignore[return-value]
        datetime(d.year, d.month, d.day, tzinfo=here).astimezone(UTC) for d in days(label)
    )


def local_day(at: datetime) -> date:
    return at.astimezone(zone()).date()


def following(label: str) -> str:
    year, number = int(label[:4]), int(label[-1])
    return f"{year + 1}-Q1" if number == 4 else f"{year}-Q{number + 1}"
