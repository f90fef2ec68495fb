"""Taking turns at SQLite's write lock: web requests first, the worker in the gaps.

SQLite lets one writer at a time in and is not fair about who is next. Every transaction
of the hub begins with ``BEGIN IMMEDIATE`` (so that a read never has to be upgraded to a
write and fail); :func:`begin_immediate` waits for the lock itself, because SQLite's own
busy handler sleeps 1, 2, 5, 10 … 100 ms between tries, and under a stream of
sub-millisecond webhook writes that coarse wait, not the work, would make the latency.

A busy worker that commits and begins again at once would still take the lock back
before a waiting request woke up. So the worker process calls :func:`yield_to_requests`:
from then on it leaves the lock free for ``MIN_COURTESY`` after each of its
transactions, long enough for every waiting request to get in. During a burst (webhooks
arriving so fast that applying them as they come would keep the worker busy most of the
time) :mod:`hub.inbound` asks it, through :func:`defer`, to also wait a number of times
as long as it held the lock, so that the senders are answered first and the backlog is
applied as the burst ends.

No library does this: it is about this hub's two kinds of writers on one SQLite file.
"""

from __future__ import annotations

import random
import sqlite3
import time

#: How long a transaction waits for the write lock before giving up.
LOCK_TIMEOUT = 30.0
#: Longest pause between two tries for the lock (a web request's polling interval).
MAX_PAUSE = 0.001
#: The worker's pause after each transaction: longer than a request's polling interval.
MIN_COURTESY = 0.002


class _Turn:
    """This process's state (one per process: SQLite's locks are per process)."""

    background = False
    factor = 0.0  # the extra pause, in multiples of the last hold
    began = 0.0  # when this process's current transaction got the lock
    pause_until = 0.0  # a background process does not begin before this


def yield_to_requests() -> None:
    """Make this process (the worker) let web requests write first. See the module text."""
    _Turn.background = True


def defer(factor: float) -> None:
    """After each transaction, also pause ``factor`` times as long as it held the lock.

    The process then keeps about 1 / (1 + factor) of the lock; 0 is no extra pause.
    """
    _Turn.factor = max(factor, 0.0)


def begin_immediate(raw: sqlite3.Connection) -> None:
    """``BEGIN IMMEDIATE``, retried with a short, growing, jittered pause while locked."""
    if _Turn.background:
        wait = _Turn.pause_until - time.monotonic()
        if wait > 0:
            time.sleep(wait)
    pause, deadline = 0.0001, time.monotonic() + LOCK_TIMEOUT
    while True:
        try:
            raw.execute("BEGIN IMMEDIATE")
            break
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if time.monotonic() > deadline:
                raise
        time.sleep(pause * random.uniform(0.5, 1.5))
        pause = min(pause * 2, MAX_PAUSE)
    if _Turn.background:
        _Turn.began = time.monotonic()


def ended() -> None:
    """Called as this process's transaction ends: schedule the background pause."""
    if _Turn.background and _Turn.began:
        now = time.monotonic()
        held, _Turn.began = now - _Turn.began, 0.0
        _Turn.pause_until = now + MIN_COURTESY + held * _Turn.factor
