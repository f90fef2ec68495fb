"""A contract's calendar and SLA rules as form fields: the weekly hours as text such as
``08:30-17:30`` (or ``08:30-12:00, 13:00-17:30``), holidays, extra closed days, 24x7, and
the rules as JSON. Checked by :mod:`hub.sla.spec` and :mod:`hub.sla.rules`, each error
put beside the field it is about."""

from __future__ import annotations

import json
import re
from typing import Any

from hub.admin.forms import Field
from hub.sla.spec import WEEKDAYS, parse_spec

DAY_NAMES = dict(zip(WEEKDAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                                "Saturday", "Sunday"), strict=True))  # fmt: skip
_SPAN = re.compile(r"^\s*(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})\s*$")


def fields() -> list[Field]:
    hours = [
        Field(f"calendar.hours.{day}", f"{name} hours", maxlength=60,
              help="08:30-17:30, or 08:30-12:00, 13:00-17:30; empty: closed" if day == "mon"
              else "")
        for day, name in DAY_NAMES.items()
    ]  # fmt: skip
    return [
        *hours,
        Field("calendar.always_open", "Open 24x7 (hours, holidays and closed days ignored)",
              "checkbox"),
        Field("calendar.country", "Public holidays of (country code)", maxlength=2,
              help="NL, BE, DE …; empty: no public holidays"),
        Field("calendar.region", "Region (subdivision code)", maxlength=10),
        Field("calendar.closed", "Extra closed days", "textarea", maxlength=4000,
              help="One date per line, such as 2026-12-24."),
        Field("rules", "SLA rules (JSON)", "textarea", maxlength=20_000,
              help='Escalation levels, line and collegial targets, quiet hours, e.g. '
                   '{"levels": {"P1": [{"at": -30, "do": "notify"}, {"at": 0, "do": '
                   '"escalate"}]}}; empty: the defaults.'),
    ]  # fmt: skip


def initial(calendar: dict[str, Any], rules: dict[str, Any]) -> dict[str, Any]:
    """The form values of a stored calendar and rules."""
    values: dict[str, Any] = {}
    for day in WEEKDAYS:
        spans = (calendar.get("working_hours") or {}).get(day) or []
        if spans and isinstance(spans[0], str):
            spans = [spans]
        values[f"calendar.hours.{day}"] = ", ".join(f"{a}-{b}" for a, b in spans)
    values["calendar.always_open"] = bool(calendar.get("always_open"))
    values["calendar.country"] = calendar.get("country", "NL") or ""
    values["calendar.region"] = calendar.get("region") or ""
    values["calendar.closed"] = "\n".join(calendar.get("closed") or [])
    values["rules"] = json.dumps(rules, indent=2) if rules else ""
    return values


def prepare(data: dict[str, Any], timezone: str, keep: dict[str, Any]) -> tuple[dict, dict]:
    """Turn the posted terms into ``calendar`` and ``rules`` for the schema; errors by field.

    ``keep`` is the stored calendar: its imported (.ics) closed days are kept.
    """
    errors: dict[str, str] = {}
    form = data.pop("calendar", None) or {}
    hours: dict[str, list] = {}
    for day in WEEKDAYS:
        text = ((form.get("hours") or {}).get(day) or "").strip()
        if not text:
            continue
        spans = []
        for part in text.split(","):
            match = _SPAN.match(part)
            if not match:
                errors[f"calendar.hours.{day}"] = f"{part.strip()!r}: write hours as 08:30-17:30"
                break
            spans.append([match[1].zfill(5), match[2].zfill(5)])
        hours[day] = spans[0] if len(spans) == 1 else spans
    calendar: dict[str, Any] = {
        "working_hours": hours,
        "country": (form.get("country") or "").upper() or None,
        "always_open": bool(form.get("always_open")),
    }
    if form.get("region"):
        calendar["region"] = form["region"]
    closed = [line.strip() for line in (form.get("closed") or "").splitlines() if line.strip()]
    if closed:
        calendar["closed"] = closed
    if keep.get("ics_closed"):
        calendar["ics_closed"] = keep["ics_closed"]
    if not errors:
        try:
            parse_spec(timezone or "Europe/Amsterdam", calendar)
        except ValueError as exc:
            errors[_field_of(str(exc))] = str(exc)
    data["calendar"] = calendar
    text = (data.pop("rules", None) or "").strip()
    try:
        data["rules"] = json.loads(text) if text else {}
    except ValueError as exc:
        errors["rules"] = f"not JSON: {exc}"
    return data, errors


def _field_of(message: str) -> str:
    """The form field a calendar error is about, from the words of its message."""
    if "time zone" in message:
        return "timezone"
    for day in WEEKDAYS:
        if f"working_hours.{day}" in message or f"'{day}'" in message:
            return f"calendar.hours.{day}"
    if "holidays" in message or "country" in message.lower():
        return "calendar.region" if "subdivision" in message.lower() else "calendar.country"
    for key in ("region", "closed"):
        if key in message:
            return f"calendar.{key}"
    return "calendar.hours.mon"
