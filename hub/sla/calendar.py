"""Business calendars: when a contract's SLA clocks run, and how far a due time lies.

A contract has a ``timezone`` and a JSON ``calendar``; :mod:`hub.sla.spec` describes
the format and checks it.

Why it is built this way: a sweep asks thousands of calls for their due times, so a
calendar is made once per (timezone, spec) (:func:`calendar_from` is cached) and keeps,
per local year and lazily, its openings as UTC epoch-second intervals with the running
total of business seconds before each. Business time up to an instant is then one
bisection, a due time a second one: no walk over days. Openings are wall-clock times
turned into UTC day by day through zoneinfo, so daylight saving is exact; an opening or
closing time that does not exist that day (the spring-forward gap) means the first
instant the clock shows a later time, one that occurs twice (autumn) its first occurrence.

Instants in and out are aware datetimes; results are UTC.
"""

from __future__ import annotations

import functools
import json
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import holidays

from hub.sla.spec import DEFAULT_TIMEZONE, CalendarSpec, Opening, parse_spec

#: The widest span of local years one calendar computes (a guard against absurd dates).
MAX_YEARS = 200

_DAY = timedelta(days=1)
_fromtimestamp = datetime.fromtimestamp
_INF = float("inf")


@dataclass(frozen=True, slots=True)
class _Table:
    """The openings of local years y0..y1 as UTC epoch seconds, touching ones merged.

    ``cum[k]`` is the business seconds in openings ``0 .. k-1``, so ``cum`` has one item
    more than ``starts``; ``lo`` / ``hi`` bound the instants the table answers for.
    """

    y0: int
    y1: int
    lo: int
    hi: int
    starts: list[float]
    ends: list[float]
    cum: list[float]


class Calendar:
    """A contract's business calendar; build it with :func:`calendar_from`.

    Read-only once built, apart from its private cache of computed years; safe to share
    between threads.
    """

    __slots__ = ("spec", "always_open", "_years", "_table", "_lock", "_bulk")

    def __init__(self, spec: CalendarSpec) -> None:
        self.spec = spec
        self.always_open = spec.always_open
        self._years: dict[int, list[Opening]] = {}
        self._table: _Table | None = None
        self._lock = threading.Lock()
        self._bulk: Any = None  # hub.sla.calendar_bulk's arrays of the current table

    def __repr__(self) -> str:
        spec = self.spec
        kind = "24x7" if spec.always_open else f"holidays {spec.country}/{spec.region}"
        return f"<Calendar {spec.timezone} {kind}>"

    # -- the questions ---------------------------------------------------------------

    def add(self, start: datetime, minutes: float) -> datetime:
        """The due time: the instant when ``minutes`` of business time have passed.

        Counting begins at ``start`` if the calendar is open then, else at its next
        opening. Zero minutes return ``start`` itself (in UTC) even when closed: nothing
        is owed, so nothing waits for an opening. A due time falling exactly on a closing
        time is that closing time, not the next opening. Never before ``start``.
        """
        s = _stamp(start)
        if minutes == 0 or self.always_open:
            self.add_seconds(s, minutes)  # (checks minutes)
            return start.astimezone(UTC) + timedelta(minutes=minutes)
        due = _fromtimestamp(self.add_seconds(s, minutes), UTC)
        return due if due >= start else start.astimezone(UTC)

    def add_seconds(self, s: float, minutes: float) -> float:
        """:meth:`add` on epoch seconds: the engine's own path, free of datetime objects
        (turning instants into datetimes and back costs more than the search itself)."""
        if not 0 < minutes < _INF:
            if minutes == 0:
                return s
            raise ValueError(f"business minutes must be a finite number >= 0, got {minutes}")
        need = minutes * 60
        if self.always_open:
            return s + need
        t = self._table
        if t is None or not t.lo <= s < t.hi:
            t = self._cover(s)
        while True:  # (the hot path: kept free of calls that are not needed)
            starts, cum = t.starts, t.cum
            i = bisect_right(starts, s) - 1
            if i < 0:
                target, i = need, 0
            else:
                end = t.ends[i]
                target = cum[i] + (s if s < end else end) - starts[i] + need
            if target <= cum[i + 1]:  # due in the same opening: no second search
                k = i + 1
                break
            k = bisect_left(cum, target, i + 2)
            if k < len(cum):
                break
            t = self._cover_year(t.y1 + 1)
        due = starts[k - 1] + (target - cum[k - 1])
        return due if due >= s else s

    def add_many(self, starts: Sequence[float], minutes: Sequence[float]) -> Any:
        """:meth:`add_seconds` for many (start, minutes) pairs at once, as a numpy array of
        epoch seconds: for bulk work such as recomputing many clocks, and the benchmarks.
        The same answers as one by one (:mod:`hub.sla.calendar_bulk`)."""
        from hub.sla.calendar_bulk import add_many  # numpy: only where bulk work is done

        return add_many(self, starts, minutes)

    def between(self, start: datetime, end: datetime) -> float:
        """Business minutes from ``start`` to ``end``; 0 when ``end`` is not after it."""
        return self.between_seconds(_stamp(start), _stamp(end))

    def between_seconds(self, s: float, e: float) -> float:
        """:meth:`between` on epoch seconds (minutes out)."""
        if e <= s:
            return 0.0
        if self.always_open:
            return (e - s) / 60  # not end - start: that is wall time when both share a zone
        t = self._table
        if t is None or not (t.lo <= s < t.hi and e < t.hi):
            t = self._cover(s)
            if e >= t.hi:
                t = self._cover(e)
        starts, ends, cum = t.starts, t.ends, t.cum  # (inline: the hot path of a sweep)
        i = bisect_right(starts, s) - 1
        j = bisect_right(starts, e, i if i > 0 else 0) - 1
        at_s = 0.0 if i < 0 else cum[i] + (s if s < ends[i] else ends[i]) - starts[i]
        at_e = 0.0 if j < 0 else cum[j] + (e if e < ends[j] else ends[j]) - starts[j]
        return (at_e - at_s) / 60

    def is_open(self, at: datetime) -> bool:
        """Whether business time runs at ``at`` (an opening includes its start, not its end)."""
        x = _stamp(at)
        if self.always_open:
            return True
        t = self._cover(x)
        i = bisect_right(t.starts, x) - 1
        return i >= 0 and x < t.ends[i]

    def next_open(self, at: datetime) -> datetime:
        """``at`` (in UTC) if the calendar is open then, else the start of its next opening."""
        x = _stamp(at)
        if self.always_open:
            return at.astimezone(UTC)
        t = self._cover(x)
        i = bisect_right(t.starts, x) - 1
        if i >= 0 and x < t.ends[i]:
            return at.astimezone(UTC)
        while i + 1 >= len(t.starts):
            t = self._cover_year(t.y1 + 1)
        return datetime.fromtimestamp(t.starts[i + 1], UTC)

    # -- the table of openings -------------------------------------------------------

    def _cover(self, x: float) -> _Table:
        """A table whose span includes instant ``x`` (and everything the old one had)."""
        t = self._table
        if t is not None and t.lo <= x < t.hi:
            return t
        return self._cover_year(datetime.fromtimestamp(x, self.spec.tz).year)

    def _cover_year(self, year: int) -> _Table:
        with self._lock:
            t = self._table
            y0, y1 = (year, year) if t is None else (min(t.y0, year), max(t.y1, year))
            if t is not None and (y0, y1) == (t.y0, t.y1):
                return t
            if y1 - y0 >= MAX_YEARS:
                raise ValueError(
                    f"calendar: {y0}..{y1} spans more than {MAX_YEARS} years; "
                    "is the date right, or is the calendar (almost) never open?"
                )
            # Floats, not ints: bisecting a float list with a float instant is ~2.5x faster,
            # and epoch seconds and their sums stay exact in a float.
            starts: list[float] = []
            ends: list[float] = []
            for y in range(y0, y1 + 1):
                for s, e in self._year(y):
                    if ends and ends[-1] == s:
                        ends[-1] = e  # touching openings (24:00 → 00:00) are one
                    else:
                        starts.append(float(s))
                        ends.append(float(e))
            cum = [0.0]
            for s, e in zip(starts, ends, strict=True):
                cum.append(cum[-1] + e - s)
            lo, hi = self._utc(date(y0, 1, 1), 0), self._utc(date(y1 + 1, 1, 1), 0)
            self._table = t = _Table(y0, y1, lo, hi, starts, ends, cum)
            return t

    def _year(self, year: int) -> list[Opening]:
        """One local year's openings as UTC epoch seconds, computed once."""
        if year in self._years:
            return self._years[year]
        spec = self.spec
        closed = set(spec.closed)
        if spec.country:
            closed.update(holidays.country_holidays(spec.country, subdiv=spec.region, years=year))
        out: list[Opening] = []
        day = date(year, 1, 1)
        while day.year == year:
            if day not in closed:
                for a, b in spec.hours[day.weekday()]:
                    s, e = self._utc(day, a), self._utc(day, b)
                    if s < e:  # an opening inside the spring-forward gap has no time
                        out.append((s, e))
            day += _DAY
        self._years[year] = out
        return out

    def _utc(self, day: date, minute: int) -> int:
        """The first instant at which the local clock shows ``day`` ``minute`` or later."""
        if minute >= 1440:
            day, minute = day + _DAY, minute - 1440
        wall = datetime(day.year, day.month, day.day, minute // 60, minute % 60)
        tz = self.spec.tz
        # fold=0 reads a repeated time as its first occurrence, as wanted; a missing one
        # comes out after the gap (by the offset before it), so check the round trip.
        u0 = int(wall.replace(tzinfo=tz).timestamp())
        if datetime.fromtimestamp(u0, tz).replace(tzinfo=None) == wall:
            return u0
        # In the gap: the transition lies in (u1, u0]; find its exact second.
        lo = int(wall.replace(tzinfo=tz, fold=1).timestamp())
        hi = u0
        before = datetime.fromtimestamp(lo, tz).utcoffset()
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if datetime.fromtimestamp(mid, tz).utcoffset() == before:
                lo = mid
            else:
                hi = mid
        return hi


@functools.lru_cache(maxsize=512)
def _cached(timezone: str, spec_json: str) -> Calendar:
    return Calendar(parse_spec(timezone, json.loads(spec_json)))


def calendar_from(timezone: str | None, spec: Mapping[str, Any] | None) -> Calendar:
    """The calendar of a contract's ``timezone`` (None: the default) and ``calendar`` JSON.

    Cached on the time zone and a canonical JSON text of the spec, so a sweep over many
    calls of one contract builds (and computes years for) one calendar. Raises
    ValueError naming what is wrong with an invalid time zone or spec.
    """
    try:
        key = json.dumps(spec or {}, sort_keys=True, separators=(",", ":"), default=_json)
    except TypeError as exc:
        raise ValueError(f"calendar is not JSON: {exc}") from None
    return _cached(DEFAULT_TIMEZONE if timezone is None else timezone, key)


# -- helpers ---------------------------------------------------------------------------


def _stamp(at: datetime) -> float:
    """Epoch seconds of an aware datetime; a naive one is refused (its zone is a guess)."""
    if at.tzinfo is None:
        raise ValueError(f"an aware datetime is needed, got naive {at.isoformat()}")
    return at.timestamp()


def _json(value: object) -> str:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} {value!r} is not JSON")
