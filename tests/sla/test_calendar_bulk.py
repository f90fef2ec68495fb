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
