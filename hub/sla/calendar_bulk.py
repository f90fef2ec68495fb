"""Due times for many (start, business minutes) pairs at once, with numpy.

For bulk work (recomputing many clocks, the benchmarks): the same answers as
:meth:`hub.sla.calendar.Calendar.add_seconds`, pair by pair.

Why not just ``numpy.searchsorted``: with unsorted queries every step of each binary
search misses the cache, and two such searches were most of the cost. Both searches
here go through an evenly spaced grid instead (written by hand: numpy has no such
lookup). Its step is the shortest distance between two openings' starts (for wall
time) or the shortest opening (for business time), so between two grid points at
most one opening starts or ends: a query takes its grid point's answer by index and
corrects it by at most one step forward (and one back, for rounding). Office hours
give a grid of about one point a day. A calendar of very many short openings would
make the grid too big; it falls back to ``numpy.searchsorted``.

numpy is imported here only: the web process never needs it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from hub.sla.calendar import Calendar, _Table

#: Above this many grid points, search the table instead (memory over speed).
MAX_GRID = 4_000_000


class _Lookup:
    """Index of the last item of a sorted array at or before each query (``right``), or
    the first item at or after it (``left``), through a grid when one fits."""

    __slots__ = ("values", "side", "lo", "inv", "at")

    def __init__(
        self, values: np.ndarray, lo: float, hi: float, side: str, max_grid: int = MAX_GRID
    ) -> None:
        self.values, self.side, self.lo = values, side, lo
        gaps = np.diff(values)
        step = float(gaps[gaps > 0].min()) if (gaps > 0).any() else hi - lo + 1
        n = int((hi - lo) / step) + 2
        self.inv = 1 / step if n <= max_grid else 0.0
        if self.inv:
            self.at = np.searchsorted(values, lo + step * np.arange(n), side=side)

    def find(self, q: np.ndarray) -> np.ndarray:
        v = self.values
        if not self.inv:
            return np.searchsorted(v, q, side=self.side)
        k = self.at[((q - self.lo) * self.inv).astype(np.intp)]
        last = len(v) - 1
        if self.side == "right":  # k = count of values <= q
            k = k + (v[np.minimum(k, last)] <= q) * (k <= last)
            return k - (k > 0) * (v[np.maximum(k - 1, 0)] > q)
        # left: k = count of values < q
        k = k + (v[np.minimum(k, last)] < q) * (k <= last)
        return k - (k > 0) * (v[np.maximum(k - 1, 0)] >= q)


class _Grid:
    """A calendar table's openings as arrays, with their two lookups."""

    __slots__ = ("table", "opens", "ends", "cum", "opening", "reached")

    def __init__(self, t: _Table) -> None:
        self.table = t
        self.opens = np.asarray(t.starts, dtype=float)
        self.ends = np.asarray(t.ends, dtype=float)
        self.cum = np.asarray(t.cum, dtype=float)
        self.opening = _Lookup(self.opens, float(t.lo), float(t.hi), "right")
        self.reached = _Lookup(self.cum, 0.0, float(self.cum[-1]), "left")


def _grid(cal: Calendar, t: _Table) -> _Grid:
    """The arrays of the calendar's current table, made once per table."""
    g = cal._bulk
    if g is None or g.table is not t:
        g = cal._bulk = _Grid(t)
    return g


def add_many(cal: Calendar, starts: Sequence[float], minutes: Sequence[float]) -> Any:
    """See :meth:`hub.sla.calendar.Calendar.add_many`."""
    s = np.asarray(starts, dtype=float)
    need = np.asarray(minutes, dtype=float) * 60
    if s.shape != need.shape:
        raise ValueError("starts and minutes differ in length")
    if s.size == 0:
        return s
    if not (np.isfinite(need).all() and (need >= 0).all()):
        raise ValueError("business minutes must be finite numbers >= 0")
    if cal.always_open:
        return s + need
    cal._cover(float(s.min()))
    t = cal._cover(float(s.max()))
    while True:
        g = _grid(cal, t)
        i = g.opening.find(s) - 1  # the opening started last at or before s (-1: none)
        j = np.maximum(i, 0)
        pos = np.where(i < 0, 0.0, g.cum[j] + np.minimum(s, g.ends[j]) - g.opens[j])
        target = pos + need
        if target.max() <= g.cum[-1]:
            break
        t = cal._cover_year(t.y1 + 1)
    k = np.maximum(g.reached.find(target), 1)
    due = g.opens[k - 1] + (target - g.cum[k - 1])
    return np.where(need == 0, s, np.maximum(due, s))
