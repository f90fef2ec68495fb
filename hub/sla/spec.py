"""The calendar format of a contract, checked and turned into a :class:`CalendarSpec`.

A contract has a ``timezone`` (an IANA name; default ``Europe/Amsterdam``) and a JSON
``calendar`` object. Its format, every key optional::

    {
      "working_hours": {"mon": ["08:30", "17:30"],             # one opening a day
                        "tue": [["08:30", "12:00"], ["13:00", "17:30"]],  # lunch break
                        "sat": []},                           # closed (as a missing day)
      "country": "NL",          # public holidays from the `holidays` package; null: none
      "region": null,           # its subdivision (e.g. "BY" for country "DE")
      "closed": ["2026-12-24"], # extra closed days (ISO dates), e.g. a company day off
      "ics_closed": ["2026-12-31"],  # closed days imported from an .ics (hub.sla.ics)
      "always_open": false      # true: 24x7, every instant counts (the rest is ignored)
    }

Weekdays are ``mon`` … ``sun``; times are local wall-clock ``HH:MM`` from ``00:00`` to
``24:00`` (the end of the day), each opening's start before its end, a day's openings
not overlapping. A closed day (holiday, ``closed``, ``ics_closed``) has no opening at
all. A calendar that is never open (no working hours and not ``always_open``) is refused
when it is built, as is any unknown key or value, with a ValueError naming it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

DEFAULT_TIMEZONE = "Europe/Amsterdam"
DEFAULT_COUNTRY = "NL"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
KEYS = ("working_hours", "country", "region", "closed", "ics_closed", "always_open")

_TIME = re.compile(r"(\d{1,2}):(\d{2})")

Opening = tuple[int, int]  # minutes after local midnight: start, end (end <= 1440)


@dataclass(frozen=True, slots=True)
class CalendarSpec:
    """A checked calendar: what :class:`hub.sla.calendar.Calendar` computes from."""

    timezone: str
    tz: ZoneInfo
    always_open: bool
    hours: tuple[tuple[Opening, ...], ...]  # per weekday, Monday first, sorted
    country: str | None
    region: str | None
    closed: frozenset[date]  # ``closed`` and ``ics_closed`` together


def parse_spec(timezone: str, spec: Mapping[str, Any]) -> CalendarSpec:
    """Check a contract's time zone and calendar JSON; ValueError naming what is wrong."""
    tz = _zone(timezone)
    if not isinstance(spec, Mapping):
        raise ValueError(f"calendar must be a JSON object, got {type(spec).__name__}")
    unknown = sorted(set(spec) - set(KEYS))
    if unknown:
        raise ValueError(f"calendar: unknown key(s) {unknown}; known: {list(KEYS)}")
    always = spec.get("always_open", False)
    if not isinstance(always, bool):
        raise ValueError(f"calendar: always_open must be true or false, got {always!r}")
    hours = _parse_hours(spec.get("working_hours"))
    if not always and not any(hours):
        raise ValueError("calendar is never open: no working_hours and always_open not true")
    country = spec.get("country", DEFAULT_COUNTRY)
    region = spec.get("region")
    _check_holidays(country, region)
    closed = _parse_dates(spec.get("closed"), "closed")
    closed += _parse_dates(spec.get("ics_closed"), "ics_closed")
    return CalendarSpec(timezone, tz, always, hours, country, region, frozenset(closed))


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(f"unknown time zone {name!r} (want an IANA name)") from None


def _check_holidays(country: object, region: object) -> None:
    if country is None:
        if region is not None:
            raise ValueError(f"calendar: region {region!r} given without a country")
        return
    if not isinstance(country, str) or (region is not None and not isinstance(region, str)):
        raise ValueError(f"calendar: country and region must be text, got {country!r}")
    try:
        holidays.country_holidays(country, subdiv=region)
    except NotImplementedError as exc:
        raise ValueError(f"calendar: no holidays for {country!r}/{region!r}: {exc}") from None


def _parse_time(text: object, where: str) -> int:
    m = _TIME.fullmatch(text) if isinstance(text, str) else None
    minute = int(m[1]) * 60 + int(m[2]) if m else -1
    if not m or int(m[2]) > 59 or not 0 <= minute <= 1440:
        raise ValueError(f"calendar: working_hours.{where}: bad time {text!r} (HH:MM, 00:00-24:00)")
    return minute


def _parse_hours(value: object) -> tuple[tuple[Opening, ...], ...]:
    """Openings per weekday (Monday first), validated and sorted."""
    if value is None:
        value = {}
    if not isinstance(value, Mapping):
        raise ValueError(f"calendar: working_hours must be an object, got {value!r}")
    unknown = sorted(set(value) - set(WEEKDAYS))
    if unknown:
        raise ValueError(f"calendar: working_hours: unknown day(s) {unknown}; use {WEEKDAYS}")
    week = []
    for day in WEEKDAYS:
        pairs = value.get(day) or []
        if not isinstance(pairs, list | tuple):
            raise ValueError(f"calendar: working_hours.{day} must be a list, got {pairs!r}")
        if len(pairs) == 2 and all(isinstance(p, str) for p in pairs):
            pairs = [pairs]  # the short form: one opening
        opens: list[Opening] = []
        for pair in pairs:
            if not isinstance(pair, list | tuple) or len(pair) != 2:
                raise ValueError(f"calendar: working_hours.{day}: want [start, end], got {pair!r}")
            a, b = _parse_time(pair[0], day), _parse_time(pair[1], day)
            if a >= b:
                raise ValueError(
                    f"calendar: working_hours.{day}: start {pair[0]} is not before end {pair[1]}"
                )
            opens.append((a, b))
        opens.sort()
        for (_, end), (start, _) in zip(opens, opens[1:], strict=False):
            if start < end:
                raise ValueError(f"calendar: working_hours.{day}: openings overlap: {pairs!r}")
        week.append(tuple(opens))
    return tuple(week)


def _parse_dates(value: object, key: str) -> list[date]:
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise ValueError(f"calendar: {key} must be a list of ISO dates, got {value!r}")
    out = []
    for item in value:
        try:
            out.append(date.fromisoformat(item.isoformat() if isinstance(item, date) else item))
        except (TypeError, ValueError):
            raise ValueError(f"calendar: {key}: {item!r} is not an ISO date") from None
    return out
