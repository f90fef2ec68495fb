"""The calendar format (hub.sla.spec): what it accepts, and errors that name the problem."""

from __future__ import annotations

from datetime import date

import pytest

from hub.sla.calendar import calendar_from
from hub.sla.spec import parse_spec

OFFICE_HOURS = {d: ["08:30", "17:30"] for d in ("mon", "tue", "wed", "thu", "fri")}


def test_the_demo_calendar_is_valid_and_means_office_hours_with_dutch_holidays():
    spec = parse_spec("Europe/Amsterdam", {"working_hours": OFFICE_HOURS, "country": "NL"})
    assert spec.hours[0] == ((8 * 60 + 30, 17 * 60 + 30),)
    assert spec.hours[5] == spec.hours[6] == ()
    assert (spec.country, spec.region, spec.always_open) == ("NL", None, False)


def test_defaults_and_every_key():
    spec = parse_spec(
        "Europe/Berlin",
        {
            "working_hours": {"mon": [["13:00", "24:00"], ["00:00", "12:00"]], "sat": []},
            "country": "DE",
            "region": "BY",
            "closed": ["2026-12-24"],
            "ics_closed": ["2026-12-31", "2026-12-24"],
            "always_open": False,
        },
    )
    assert spec.hours[0] == ((0, 720), (780, 1440))  # sorted
    assert spec.closed == {date(2026, 12, 24), date(2026, 12, 31)}
    assert parse_spec("UTC", {"working_hours": OFFICE_HOURS}).country == "NL"
    assert parse_spec("UTC", {"always_open": True}).always_open


@pytest.mark.parametrize(
    ("timezone", "spec", "message"),
    [
        ("Mars/Olympus_Mons", {"always_open": True}, "unknown time zone 'Mars/Olympus_Mons'"),
        ("", {"always_open": True}, "unknown time zone ''"),
        ("UTC", {"working_hours": {"mon": ["25:00", "26:00"]}}, "bad time '25:00'"),
        ("UTC", {"working_hours": {"mon": ["08:60", "17:00"]}}, "bad time '08:60'"),
        ("UTC", {"working_hours": {"mon": ["8h", "17:00"]}}, "bad time '8h'"),
        ("UTC", {"working_hours": {"mon": ["17:00", "09:00"]}}, "start 17:00 is not before"),
        ("UTC", {"working_hours": {"mon": ["09:00", "09:00"]}}, "start 09:00 is not before"),
        ("UTC", {}, "never open"),
        ("UTC", {"working_hours": {}}, "never open"),
        ("UTC", {"working_hours": {"mon": []}, "always_open": False}, "never open"),
        ("UTC", {"working_hours": {"monday": ["08:00", "09:00"]}}, "unknown day(s) ['monday']"),
        ("UTC", {"working_hours": ["08:00", "09:00"]}, "working_hours must be an object"),
        ("UTC", {"working_hours": {"mon": "08:00-17:00"}}, "working_hours.mon must be a list"),
        ("UTC", {"working_hours": {"mon": [["08:00"]]}}, "want [start, end]"),
        (
            "UTC",
            {"working_hours": {"mon": [["08:00", "12:00"], ["11:00", "13:00"]]}},
            "openings overlap",
        ),
        ("UTC", {"workinghours": {}}, "unknown key(s) ['workinghours']"),
        ("UTC", {"always_open": "yes"}, "always_open must be true or false"),
        ("UTC", {"always_open": True, "country": "XX"}, "no holidays for 'XX'"),
        ("UTC", {"always_open": True, "country": "DE", "region": "ZZ"}, "'DE'/'ZZ'"),
        ("UTC", {"always_open": True, "country": None, "region": "BY"}, "without a country"),
        ("UTC", {"always_open": True, "country": 31}, "must be text"),
        ("UTC", {"always_open": True, "closed": ["2026-13-01"]}, "closed: '2026-13-01'"),
        ("UTC", {"always_open": True, "ics_closed": "2026-12-31"}, "ics_closed must be a list"),
        ("UTC", [["08:00", "17:00"]], "must be a JSON object"),
    ],
)
def test_invalid_calendars_are_refused_naming_the_problem(timezone, spec, message):
    with pytest.raises(ValueError) as info:
        calendar_from(timezone, spec)
    assert message in str(info.value)


def test_a_spec_that_is_not_json_is_refused():
    with pytest.raises(ValueError, match="not JSON"):
        calendar_from(None, {"working_hours": OFFICE_HOURS, "closed": [object()]})
