"""The roster's arithmetic, free of the database: tile a month, share the duties fairly,
read months and local days.

Kept apart from :mod:`hub.sla.roster` so that the rules can be read (and tested) as
plain functions over numbers.

**Fair.** With ``n`` duties and ``k`` associates who can take at least one, each gets
``n // k`` and the ``n % k`` left over go to those with the fewest duties on this
product line before the month (then by key). Counts within a month then differ by at
most one, and so do the running totals over the months: the one who had fewer gets the
extra next time.

**Never on an unavailable day** (hard), **never two duties in a row** (soft: dropped
only when the month cannot be planned otherwise; the duties next to the month, already
on the roster, count as neighbours), **the fair share** (soft: when unavailable days
make it impossible, the cap rises one duty at a time until a plan exists).

The search is a depth-first one over the duties, the most constrained first, pruned by a
bipartite matching (is there still a way to staff every remaining duty within the
caps?) and bounded by a node budget; it has no randomness, so the same input always
gives the same roster.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hub.errors import Invalid

#: The roster's time zone: duties are tiled, and unavailable days judged, on its clock.
TIMEZONE = "Europe/Amsterdam"
#: Nodes the search may visit per attempt before it relaxes a soft rule.
BUDGET = 20_000


@dataclass(frozen=True)
class Slot:
    """One duty to staff: UTC start (inclusive) and end (exclusive), the local days it
    touches."""

    starts_at: datetime
    ends_at: datetime
    days: tuple[date, ...]


def zone(tz: str = TIMEZONE) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(f"unknown time zone {tz!r}", "timezone") from None


def when(at: datetime, tz: str = TIMEZONE) -> str:
    """An instant as people on the roster read it: "Sat 14 Mar 2026 08:00"."""
    return at.astimezone(zone(tz)).strftime("%a %d %b %Y %H:%M")


def parse_month(text: str, field: str = "month") -> tuple[int, int]:
    """``"2026-12"`` as (2026, 12); anything else is refused naming ``field``."""
    year, dash, month = (text or "").strip().partition("-")
    ok = dash and len(year) == 4 and len(month) == 2 and (year + month).isascii()
    if not (ok and (year + month).isdigit() and 2000 <= int(year) <= 2100):
        raise Invalid("a month such as 2026-12 (years 2000 to 2100), please", field)
    if not 1 <= int(month) <= 12:
        raise Invalid("the month must be from 01 to 12", field)
    return int(year), int(month)


def local_days(shift: Slot | Any, tz: str = TIMEZONE) -> list[date]:
    """The local days a duty touches (its end is exclusive)."""
    here = zone(tz)
    first = shift.starts_at.astimezone(here).date()
    last = (shift.ends_at - timedelta(microseconds=1)).astimezone(here).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _utc(wall: datetime, here: ZoneInfo) -> datetime:
    # fold=0: a wall time that occurs twice means its first occurrence, one that does not
    # occur (the spring gap) is read with the offset before the change.
    return wall.replace(tzinfo=here).astimezone(UTC)


def tile(
    year: int, month: int, here: ZoneInfo, *, days: float = 2.5, start_hour: int = 8
) -> list[Slot]:
    """The month's duties: ``days`` long each on the wall clock, from ``start_hour`` on the
    1st to ``start_hour`` on the next 1st, the last one cut short there."""
    if not (isinstance(year, int) and 2000 <= year <= 2100):
        raise Invalid("year must lie between 2000 and 2100", "month")
    if not (isinstance(month, int) and 1 <= month <= 12):
        raise Invalid("month must be from 1 to 12", "month")
    hours = float(days) * 24
    if not (12 <= hours <= 31 * 24 and hours == int(hours)):
        raise Invalid("days must be from 0.5 to 31, in whole hours (2.5 days is 60 hours)", "days")
    if isinstance(start_hour, bool) or not (isinstance(start_hour, int) and 0 <= start_hour < 24):
        raise Invalid("start_hour must be a whole hour from 0 to 23", "start_hour")
    first = datetime(year, month, 1, start_hour)
    last = datetime(year + month // 12, month % 12 + 1, 1, start_hour)
    step = timedelta(hours=int(hours))
    slots: list[Slot] = []
    wall = first
    while wall < last:
        end = min(wall + step, last)
        final = (end - timedelta(microseconds=1)).date()
        touched = tuple(
            wall.date() + timedelta(days=n) for n in range((final - wall.date()).days + 1)
        )
        slots.append(Slot(_utc(wall, here), _utc(end, here), touched))
        wall = end
    return slots


def plan(
    candidates: Sequence[Sequence[int]],
    ranking: Sequence[int],
    *,
    before: int | None = None,
    after: int | None = None,
    budget: int = BUDGET,
) -> list[int]:
    """Who takes each duty: one person (an index) per item of ``candidates``.

    :param candidates: per duty, the people available for all of its days (none empty).
    :param ranking: every person, those owed an extra duty first (fewest past duties).
    :param before, after: who has the duty just before / after the month, if known.
    """
    n = len(candidates)
    able = [p for p in ranking if any(p in c for c in candidates)]
    base, extra = divmod(n, len(able))
    target = {p: base + (i < extra) for i, p in enumerate(able)}
    rank = {p: i for i, p in enumerate(ranking)}
    levels = [target] + [dict.fromkeys(able, cap) for cap in range(base + 1, n + 1)]
    for caps in levels:
        if not _feasible(candidates, caps, range(n)):
            continue
        for apart in (True, False):
            found = _Search(candidates, caps, target, rank, (before, after), apart, budget).run()
            if found is not None:
                return found
    raise AssertionError("unreachable: with no cap below n every duty has a candidate")


def _feasible(
    candidates: Sequence[Sequence[int]], room: dict[int, int], duties: Iterable[int]
) -> bool:
    """Can every duty in ``duties`` get a person with ``room`` left? (Matching with
    capacities by augmenting paths.)"""
    owner: dict[int, list[int]] = {p: [] for p in room}

    def augment(duty: int, seen: set[int]) -> bool:
        for p in candidates[duty]:
            if p in seen or room.get(p, 0) <= 0:
                continue
            seen.add(p)
            if len(owner[p]) < room[p]:
                owner[p].append(duty)
                return True
            for other in list(owner[p]):
                if augment(other, seen):
                    owner[p].remove(other)
                    owner[p].append(duty)
                    return True
        return False

    return all(augment(duty, set()) for duty in duties)


class _Search:
    """One depth-first attempt at a plan within ``caps`` (and, if ``apart``, with no one
    on two duties in a row)."""

    def __init__(self, candidates, caps, target, rank, edges, apart, budget) -> None:  # noqa: ANN001
        self.candidates, self.caps, self.target, self.rank = candidates, caps, target, rank
        self.edges, self.apart, self.budget = edges, apart, budget
        n = len(candidates)
        self.order = sorted(range(n), key=lambda i: (len(candidates[i]), i))
        self.chosen: list[int | None] = [None] * n
        self.load = dict.fromkeys(caps, 0)

    def run(self) -> list[int] | None:
        return list(self.chosen) if self._go(0) else None  # type: ignore[arg-type]

    def _fits(self, duty: int, p: int) -> bool:
        if self.load[p] >= self.caps[p]:
            return False
        if not self.apart:
            return True
        n = len(self.chosen)
        left = self.chosen[duty - 1] if duty > 0 else self.edges[0]
        right = self.chosen[duty + 1] if duty < n - 1 else self.edges[1]
        return p not in (left, right)

    def _preference(self, duty: int, p: int) -> tuple:
        """Furthest below the fair share first, then the longest since (or until) their
        nearest duty, then the ranking: the duties go round."""
        mine = [i for i, who in enumerate(self.chosen) if who == p]
        gap = min((abs(duty - i) for i in mine), default=len(self.chosen) + 1)
        return (self.load[p] - self.target.get(p, 0), -gap, self.rank[p])

    def _go(self, depth: int) -> bool:
        if depth == len(self.order):
            return True
        duty = self.order[depth]
        options = [p for p in self.candidates[duty] if p in self.caps and self._fits(duty, p)]
        for p in sorted(options, key=lambda p: self._preference(duty, p)):
            self.budget -= 1
            if self.budget < 0:
                return False
            self.chosen[duty], self.load[p] = p, self.load[p] + 1
            room = {q: self.caps[q] - self.load[q] for q in self.caps}
            if _feasible(self.candidates, room, self.order[depth + 1 :]) and self._go(depth + 1):
                return True
            self.chosen[duty], self.load[p] = None, self.load[p] - 1
        return False
