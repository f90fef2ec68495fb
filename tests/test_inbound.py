"""Telling a burst of webhooks from an ordinary rate (``hub.inbound._Pace``).

Applying events is tested end to end in ``test_webhooks.py``; here the measure that
tells the worker, on SQLite, to let the web requests write first.
"""

from __future__ import annotations

from hub.inbound import BURST_LOAD, BURST_SHARE_FACTOR, LAG_LIMIT, _Pace, deference


def feed(pace: _Pace, per_second: float, seconds: float, step: float = 0.25) -> None:
    newest, now = pace.last_id, pace.last_at or 1000.0
    for _ in range(int(seconds / step)):
        now += step
        newest += round(per_second * step)
        pace.arrived(newest, now)


def test_the_arrival_rate_follows_the_deliveries():
    pace = _Pace()
    pace.arrived(0, 1000.0)
    feed(pace, 100, 10)
    assert 95 < pace.arrivals < 105
    feed(pace, 0, 10)
    assert pace.arrivals < 1


def test_marks_closer_than_a_fifth_of_a_second_are_counted_together():
    pace = _Pace()
    pace.arrived(0, 1000.0)
    pace.arrived(50, 1000.1)  # too soon: not a measurement yet
    assert (pace.last_id, pace.arrivals) == (0, 0.0)
    pace.arrived(100, 1000.5)
    assert pace.arrivals > 0 and pace.last_id == 100


def test_a_burst_would_keep_the_worker_busy_more_than_half_the_time():
    pace = _Pace()
    pace.applied(10, 0.03)  # 3 ms per event: about 330 events a second
    pace.arrived(0, 1000.0)
    feed(pace, 100, 10)
    assert not pace.burst, "100/s is 30 % of the worker's speed"
    feed(pace, 150, 10)
    assert not pace.burst, "150/s would keep the worker busy 45 % of the time"
    feed(pace, 2000, 5)
    assert pace.burst
    assert pace.arrivals * pace.cost > BURST_LOAD
    feed(pace, 20, 10)
    assert not pace.burst, "the burst is over"


def test_the_apply_cost_is_a_moving_average():
    pace = _Pace()
    pace.applied(1, 0.004)
    assert pace.cost == 0.004
    for _ in range(50):
        pace.applied(2, 0.002)
    assert abs(pace.cost - 0.001) < 0.0001


def test_the_worker_holds_back_in_a_burst_until_the_backlog_grows_old():
    assert deference(burst=False, lag=100) == 0
    assert deference(burst=True, lag=0) == BURST_SHARE_FACTOR
    assert deference(burst=True, lag=LAG_LIMIT) == BURST_SHARE_FACTOR
    assert deference(burst=True, lag=2 * LAG_LIMIT) == BURST_SHARE_FACTOR / 2
    assert deference(burst=True, lag=100 * LAG_LIMIT) < 1
