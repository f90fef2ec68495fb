"""Business-time arithmetic of hub.sla.calendar: properties, Dutch holidays, DST, worked cases."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.sla.calendar import Calendar, calendar_from
from hub.sla.spec import parse_spec

AMS = ZoneInfo("Europe/Amsterdam")
WORKDAYS = ("mon", "tue", "wed", "thu", "fri")
ALL_DAYS = (*WORKDAYS, "sat", "sun")
#: The demo contract's calendar (hub/demo.py): office hours, Dutch public holidays.
OFFICE = {"working_hours": {d: ["08:30", "17:30"] for d in WORKDAYS}, "country": "NL"}
LUNCH = {"working_hours": {d: [["08:30", "12:00"], ["13:00", "17:30"]] for d in WORKDAYS}}
NIGHTS = {"working_hours": {d: ["00:00", "04:00"] for d in ALL_DAYS}, "country": None}
EVENINGS = {"working_hours": {d: ["18:00", "24:00"] for d in ALL_DAYS}, "country": None}
BAVARIA = {"working_hours": {d: ["09:00", "17:00"] for d in WORKDAYS}, "country": "DE"}
BAVARIA["region"] = "BY"
ALWAYS = {"always_open": True}
SPECS = [OFFICE, LUNCH, NIGHTS, EVENINGS, BAVARIA, ALWAYS]


def office() -> Calendar:
    return calendar_from("Europe/Amsterdam", OFFICE)


def local(*args: int) -> datetime:
    """An Amsterdam wall-clock time (first occurrence when it repeats)."""
    return datetime(*args, tzinfo=AMS)


def wall(at: datetime) -> datetime:
    """``at`` as naive Amsterdam wall time, to compare with table rows."""
    return at.astimezone(AMS).replace(tzinfo=None)


# -- properties -----------------------------------------------------------------------

instants = st.datetimes(
    min_value=datetime(2024, 1, 1),
    max_value=datetime(2030, 12, 31),
    timezones=st.sampled_from([UTC, AMS]),  # Amsterdam ones include DST's odd hours
)
durations = st.floats(min_value=0, max_value=4 * 7 * 24 * 60, allow_nan=False)
calendars = st.sampled_from(SPECS).map(lambda spec: calendar_from("Europe/Amsterdam", spec))


@settings(max_examples=300, deadline=None)
@given(calendars, instants, durations)
def test_due_is_never_before_start_and_measures_back(cal: Calendar, start: datetime, minutes):
    due = cal.add(start, minutes)
    assert due >= start
    assert due.tzinfo is UTC
    assert cal.between(start, due) == pytest.approx(minutes, abs=1e-6)


@settings(max_examples=200, deadline=None)
@given(calendars, instants, durations, durations)
def test_more_minutes_never_give_an_earlier_due_time(cal: Calendar, start: datetime, a, b):
    short, long = sorted((a, b))
    assert cal.add(start, short) <= cal.add(start, long)


@settings(max_examples=200, deadline=None)
@given(calendars, instants, instants, instants)
def test_business_time_adds_up_over_consecutive_spans(cal: Calendar, a, b, c):
    a, b, c = sorted((a, b, c), key=datetime.timestamp)  # (same-zone order is wall order)
    whole = cal.between(a, c)
    assert cal.between(a, b) + cal.between(b, c) == pytest.approx(whole, abs=1e-6)
    assert 0 <= whole <= (c.timestamp() - a.timestamp()) / 60 + 1e-6
    assert cal.between(c, a) == 0


def reference_minutes(a: datetime, b: datetime) -> float:
    """Office-hours business minutes counted day by day: the slow, obvious way."""
    closed = holidays.country_holidays("NL", years=range(a.year - 1, b.year + 2))
    total = timedelta()
    day = wall(a).date() - timedelta(days=1)
    while day <= wall(b).date():
        if day.weekday() < 5 and day not in closed:
            opens = datetime.combine(day, time(8, 30), AMS).astimezone(UTC)
            closes = datetime.combine(day, time(17, 30), AMS).astimezone(UTC)
            lo, hi = max(a, opens), min(b, closes)
            total += max(hi - lo, timedelta())
        day += timedelta(days=1)
    return total.total_seconds() / 60


@settings(max_examples=150, deadline=None)
@given(instants, st.floats(min_value=0, max_value=60 * 24 * 60, allow_nan=False))
def test_office_hours_agree_with_a_day_by_day_count(start: datetime, span_minutes: float):
    end = start.astimezone(UTC) + timedelta(minutes=span_minutes)
    assert office().between(start, end) == pytest.approx(reference_minutes(start, end), abs=1e-6)


def test_years_computed_in_any_order_give_the_same_answers():
    """The table grows lazily backwards and forwards; growth must not shift results."""
    late, early = local(2030, 6, 3, 9), local(2024, 2, 1, 12)

    def fresh() -> Calendar:  # not from the cache: an empty table
        return Calendar(parse_spec("Europe/Amsterdam", OFFICE))

    forwards, backwards = fresh(), fresh()
    forwards.add(early, 10)
    due = backwards.add(late, 600)
    assert forwards.add(late, 600) == due
    measured = backwards.between(early, late)  # grows the table backwards
    assert backwards.add(late, 600) == due
    assert forwards.between(early, late) == measured
    assert measured == pytest.approx(reference_minutes(early, late), abs=1e-6)


# -- worked examples on office hours ----------------------------------------------------

OFFICE_CASES = [
    # (start, business minutes, due) in Amsterdam wall time; why
    ((2026, 1, 9, 16, 30), 240, (2026, 1, 12, 11, 30)),  # the worked case: Fri → Mon
    ((2026, 1, 10, 11, 0), 60, (2026, 1, 12, 9, 30)),  # starts in the weekend
    ((2026, 1, 12, 7, 0), 30, (2026, 1, 12, 9, 0)),  # starts before opening
    ((2026, 1, 12, 16, 30), 60, (2026, 1, 12, 17, 30)),  # due exactly at closing
    ((2026, 1, 12, 17, 30), 1, (2026, 1, 13, 8, 31)),  # starts at closing
    ((2026, 1, 12, 20, 0), 540, (2026, 1, 13, 17, 30)),  # a whole day from the evening
    ((2025, 4, 25, 16, 30), 240, (2025, 4, 28, 11, 30)),  # Koningsdag 2025 is Sat 26th
    ((2026, 4, 24, 16, 30), 240, (2026, 4, 28, 11, 30)),  # Koningsdag: Mon 27 April 2026
    ((2026, 4, 2, 16, 30), 240, (2026, 4, 7, 11, 30)),  # Good Friday, Easter Monday 6 Apr
    ((2026, 5, 13, 16, 30), 240, (2026, 5, 15, 11, 30)),  # Ascension, Thu 14 May
    ((2026, 5, 22, 16, 30), 240, (2026, 5, 26, 11, 30)),  # Whit Monday 25 May
    ((2025, 5, 2, 16, 30), 240, (2025, 5, 6, 11, 30)),  # Liberation Day 2025 (lustrum)
    ((2026, 5, 4, 16, 30), 240, (2026, 5, 5, 11, 30)),  # … not a day off in 2026
    ((2026, 12, 24, 16, 30), 240, (2026, 12, 28, 11, 30)),  # Christmas Fri 25 / Sat 26
    ((2025, 12, 31, 16, 30), 120, (2026, 1, 2, 9, 30)),  # New Year, across the year
    ((2026, 3, 27, 16, 30), 240, (2026, 3, 30, 11, 30)),  # over the spring DST weekend
    ((2026, 10, 23, 16, 30), 240, (2026, 10, 26, 11, 30)),  # over the autumn DST weekend
    ((2026, 1, 12, 9, 0), 5 * 540, (2026, 1, 19, 9, 0)),  # a business week
]


@pytest.mark.parametrize(("start", "minutes", "due"), OFFICE_CASES)
def test_office_hours_due_times(start, minutes, due):
    cal = office()
    got = cal.add(local(*start), minutes)
    assert wall(got) == datetime(*due)
    assert cal.between(local(*start), got) == pytest.approx(minutes)


@pytest.mark.parametrize(
    "day",
    [
        date(2025, 4, 26),  # Koningsdag on a Saturday when the 27th is a Sunday
        date(2026, 4, 27),
        date(2026, 4, 6),  # Easter Monday
        date(2026, 5, 25),  # Whit Monday
        date(2026, 12, 25),
        date(2026, 12, 26),
        date(2027, 1, 1),
    ],
)
def test_dutch_holidays_are_closed_even_on_a_seven_day_calendar(day: date):
    cal = calendar_from(None, {"working_hours": {d: ["08:30", "17:30"] for d in ALL_DAYS}})
    noon = datetime.combine(day, time(12), AMS)
    assert not cal.is_open(noon)
    assert wall(cal.next_open(noon)).date() > day
    assert cal.is_open(noon - timedelta(days=14))  # the same weekday two weeks before


def test_zero_minutes_is_the_start_itself_even_when_closed():
    saturday = local(2026, 1, 10, 11, 0)
    assert office().add(saturday, 0) == saturday
    assert office().add(saturday, 0).tzinfo is UTC


def test_is_open_and_next_open_bounds():
    cal = office()
    assert cal.is_open(local(2026, 1, 12, 8, 30))  # an opening includes its start
    assert not cal.is_open(local(2026, 1, 12, 17, 30))  # … not its end
    assert cal.next_open(local(2026, 1, 12, 10)) == local(2026, 1, 12, 10)
    assert cal.next_open(local(2026, 1, 9, 17, 45)) == local(2026, 1, 12, 8, 30)
    assert cal.next_open(local(2026, 12, 31, 18)) == local(2027, 1, 4, 8, 30)  # next year
    assert cal.next_open(local(2026, 12, 31, 18)).tzinfo is UTC


def test_lunch_break_does_not_count():
    cal = calendar_from("Europe/Amsterdam", LUNCH)
    assert wall(cal.add(local(2026, 1, 12, 11, 30), 60)) == datetime(2026, 1, 12, 13, 30)
    assert not cal.is_open(local(2026, 1, 12, 12, 30))
    assert cal.between(local(2026, 1, 12, 0), local(2026, 1, 13, 0)) == 8 * 60


def test_region_adds_its_own_holidays():
    epiphany = datetime(2026, 1, 6, 12, tzinfo=ZoneInfo("Europe/Berlin"))  # a Tuesday
    assert not calendar_from("Europe/Berlin", BAVARIA).is_open(epiphany)
    germany = {**BAVARIA, "region": None}
    assert calendar_from("Europe/Berlin", germany).is_open(epiphany)


def test_extra_closed_days_and_imported_ones():
    spec = {**OFFICE, "closed": ["2026-12-24"], "ics_closed": ["2026-12-31"]}
    cal = calendar_from("Europe/Amsterdam", spec)
    assert not cal.is_open(local(2026, 12, 24, 12))
    assert not cal.is_open(local(2026, 12, 31, 12))
    assert office().is_open(local(2026, 12, 24, 12))
    assert wall(cal.add(local(2026, 12, 23, 16, 30), 120)) == datetime(2026, 12, 28, 9, 30)


def test_no_country_means_no_public_holidays():
    cal = calendar_from("Europe/Amsterdam", {**OFFICE, "country": None})
    assert cal.is_open(local(2026, 12, 25, 12))


def test_non_utc_aware_input_gives_utc_output():
    due = office().add(datetime(2026, 1, 12, 9, 0, tzinfo=ZoneInfo("America/New_York")), 30)
    assert due.tzinfo is UTC
    assert due == local(2026, 1, 12, 15, 30)  # 09:00 in New York is 15:00 here


def test_naive_datetimes_and_negative_minutes_are_refused():
    with pytest.raises(ValueError, match="aware datetime"):
        office().add(datetime(2026, 1, 12, 9), 10)
    with pytest.raises(ValueError, match="aware datetime"):
        office().between(local(2026, 1, 12, 9), datetime(2026, 1, 13, 9))
    with pytest.raises(ValueError, match="finite number"):
        office().add(local(2026, 1, 12, 9), -1)
    with pytest.raises(ValueError, match="finite number"):
        office().add(local(2026, 1, 12, 9), float("nan"))


def test_absurd_dates_are_refused_not_computed_for_ever():
    cal = calendar_from("Europe/Amsterdam", {**OFFICE, "closed": ["2031-01-01"]})
    cal.add(local(2026, 1, 12, 9), 1)
    with pytest.raises(ValueError, match="years"):
        cal.between(local(2026, 1, 12, 9), datetime(2400, 1, 1, tzinfo=UTC))


# -- daylight saving (Europe/Amsterdam: last Sunday of March / October) -----------------


def test_24x7_counts_real_time_over_both_dst_changes():
    cal = calendar_from("Europe/Amsterdam", ALWAYS)
    spring = local(2026, 3, 29, 0, 0)
    assert wall(cal.add(spring, 180)) == datetime(2026, 3, 29, 4, 0)  # 02:00-03:00 is skipped
    autumn = local(2026, 10, 25, 0, 0)
    assert wall(cal.add(autumn, 180)) == datetime(2026, 10, 25, 2, 0)  # second 02:00
    assert cal.add(autumn, 180) == datetime(2026, 10, 25, 1, 0, tzinfo=UTC)
    assert cal.between(autumn, local(2026, 10, 25, 4, 0)) == 5 * 60
    assert cal.is_open(local(2026, 12, 25, 3))  # 24x7 ignores holidays


def test_night_hours_lose_an_hour_in_spring_and_gain_one_in_autumn():
    cal = calendar_from("Europe/Amsterdam", NIGHTS)
    day = timedelta(days=1)
    spring, autumn = local(2026, 3, 29, 0, 0), local(2026, 10, 25, 0, 0)
    assert cal.between(spring, spring + day) == 3 * 60
    assert cal.between(autumn, autumn + day) == 5 * 60
    assert cal.between(spring - day, spring) == 4 * 60
    assert wall(cal.add(spring, 180)) == datetime(2026, 3, 29, 4, 0)  # closing, not later
    assert wall(cal.add(spring, 181)) == datetime(2026, 3, 30, 0, 1)
    # In the repeated hour the due time is the second 02:30 (CET, UTC 01:30).
    assert cal.add(autumn, 210) == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("hours", "usual", "spring", "autumn"),
    [
        (["02:30", "03:30"], 60, 30, 120),  # opens in the gap: at 03:00, when the clock jumps
        (["02:00", "02:45"], 45, 0, 45),  # wholly in the gap: no time that day
        (["01:30", "03:00"], 90, 30, 150),  # autumn: 01:30 summer time to 03:00 winter time
        (["02:00", "02:30"], 30, 0, 30),  # repeated hour: its first occurrence
    ],
)
def test_openings_in_the_missing_and_the_repeated_hour(hours, usual, spring, autumn):
    """Sunday openings; DST changes on Sundays 29 March and 25 October 2026."""
    cal = calendar_from("Europe/Amsterdam", {"working_hours": {"sun": hours}})
    assert cal.between(local(2026, 3, 22), local(2026, 3, 23)) == usual
    assert cal.between(local(2026, 3, 29), local(2026, 3, 30)) == spring
    assert cal.between(local(2026, 10, 25), local(2026, 10, 26)) == autumn


def test_evening_till_midnight_joins_the_next_evening_over_dst():
    cal = calendar_from("Europe/Amsterdam", EVENINGS)
    assert wall(cal.add(local(2026, 3, 28, 23, 0), 120)) == datetime(2026, 3, 29, 19, 0)
    assert cal.between(local(2026, 10, 24, 18), local(2026, 10, 26, 18)) == 12 * 60


# -- the cache --------------------------------------------------------------------------


def test_calendar_from_is_cached_on_zone_and_canonical_spec():
    reordered = {"country": "NL", "working_hours": dict(reversed(OFFICE["working_hours"].items()))}
    assert calendar_from("Europe/Amsterdam", reordered) is office()
    assert calendar_from(None, OFFICE) is office()  # None: the default zone
    assert calendar_from("Europe/Brussels", OFFICE) is not office()
    dates = calendar_from(None, {**OFFICE, "closed": [date(2026, 12, 24)]})
    assert dates is calendar_from(None, {**OFFICE, "closed": ["2026-12-24"]})
