"""Calendar.add_many gives what add_seconds gives, pair by pair (property test)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.sla.calendar import calendar_from
from hub.sla.clocks import DEFAULT_CALENDAR

FIRST = datetime(2024, 1, 1, tzinfo=UTC).timestamp()
LAST = datetime(2030, 12, 31, tzinfo=UTC).timestamp()
OFFICE = calendar_from("Europe/Amsterdam", DEFAULT_CALENDAR)
ALWAYS = calendar_from("Europe/Amsterdam", {"always_open": True})


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(min_value=FIRST, max_value=LAST),
            st.one_of(st.just(0), st.floats(min_value=0, max_value=60 * 540)),
        ),
        min_size=1,
        max_size=200,
    )
)
def test_add_many_equals_add_seconds(pairs):
    for cal in (OFFICE, ALWAYS):
        many = cal.add_many([s for s, _ in pairs], [m for _, m in pairs])
        one = [cal.add_seconds(s, m) for s, m in pairs]
        assert list(many) == pytest.approx(one, abs=1e-6)


def test_add_many_refuses_what_add_refuses():
    with pytest.raises(ValueError, match="finite numbers >= 0"):
        OFFICE.add_many([FIRST], [-1])
    with pytest.raises(ValueError, match="differ in length"):
        OFFICE.add_many([FIRST, LAST], [1])
    assert list(OFFICE.add_many([], [])) == []


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: Opening hours of one day: up to four sorted, non-touching whole-minute spans, some
#: only a minute long (the grid's step is then a minute).
day_hours = st.lists(st.integers(0, 1440), min_size=0, max_size=8, unique=True).map(
    lambda marks: [
        [f"{a // 60:02d}:{a % 60:02d}", f"{b // 60:02d}:{b % 60:02d}"]
        for a, b in zip(sorted(marks)[::2], sorted(marks)[1::2], strict=False)
        if b - a >= 1
    ]
)


@settings(max_examples=40, deadline=None)
@given(
    st.fixed_dictionaries({d: day_hours for d in WEEKDAYS}),
    st.sampled_from(["Europe/Amsterdam", "America/New_York", "Australia/Lord_Howe", "UTC"]),
    st.lists(
        st.tuples(
            st.floats(min_value=FIRST, max_value=LAST),
            st.one_of(st.just(0), st.floats(min_value=0, max_value=60 * 40)),
        ),
        min_size=1,
        max_size=100,
    ),
)
def test_add_many_equals_add_seconds_on_any_calendar(hours, zone, pairs):
    # Up to 40 business hours: on a calendar open one minute a week that is 46 years,
    # well inside what one calendar computes (MAX_YEARS).
    if not any(hours.values()):
        hours["wed"] = [["09:00", "09:01"]]  # a calendar that is never open is refused
    cal = calendar_from(zone, {"working_hours": {d: h for d, h in hours.items() if h}})
    many = cal.add_many([s for s, _ in pairs], [m for _, m in pairs])
    one = [cal.add_seconds(s, m) for s, m in pairs]
    assert list(many) == pytest.approx(one, abs=1e-6)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(-10_000, 10_000), min_size=1, max_size=50, unique=True),
    st.lists(st.integers(-12_000, 12_000), min_size=1, max_size=50),
    st.sampled_from(["left", "right"]),
    st.sampled_from([4_000_000, 1]),
)
def test_grid_lookup_equals_searchsorted(values, queries, side, max_grid):
    import numpy as np

    from hub.sla.calendar_bulk import _Lookup

    v = np.array(sorted(values), dtype=float) * 1.5
    lo, hi = float(v[0]) - 30, float(v[-1]) + 30
    q = np.array(queries, dtype=float) * 1.5
    q = np.clip(np.concatenate([q, v, v - 0.25, v + 0.25]), lo, hi - 1e-6)  # at, beside each
    found = _Lookup(v, lo, hi, side, max_grid).find(q)
    assert found.tolist() == np.searchsorted(v, q, side=side).tolist()
