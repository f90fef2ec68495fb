"""Closed days from an iCalendar (.ics) file or URL, for a calendar's ``ics_closed``.

Providers keep their company holidays in a shared calendar; importing it once (an admin
uploads the file or names its URL) turns its events into plain dates, stored in the
contract's calendar JSON, so the SLA clocks never depend on a remote server being up.
The ``icalendar`` package reads the file and ``recurring_ical_events`` expands repeating
events (RRULE, RDATE, EXDATE, moved occurrences), as neither is worth writing again.
"""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
import requests

#: The largest .ics accepted from a URL; a holiday calendar is a few kilobytes.
MAX_BYTES = 2 * 1024 * 1024
#: Repeating events are expanded from ``YEARS_BACK`` years before this year until
#: ``YEARS_AHEAD`` years after it (a rule without an end would never stop).
YEARS_BACK, YEARS_AHEAD = 2, 10
#: More closed days than this is not a holiday calendar (e.g. a daily rule): refused.
MAX_DAYS = 5000

_TICK = timedelta(microseconds=1)


class IcsError(ValueError):
    """An .ics that could not be fetched or read; the message says which and why."""


def closed_days_from_ics(
    data: bytes | str,
    *,
    timezone: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> list[date]:
    """The sorted dates the VEVENTs of an .ics cover, each date once.

    An all-day event covers its days (DTEND is exclusive, as RFC 5545 says); a timed
    event every date it touches, read in ``timezone`` when given (the contract's), else
    in the event's own wall time. Cancelled events and other components (VTODO …) are
    left out. Only dates from ``since`` to ``until`` count, repeating events expanded
    over them (defaults: see ``YEARS_BACK`` / ``YEARS_AHEAD``). Raises :class:`IcsError`
    (a ValueError) for a file that is not a readable iCalendar.
    """
    zone = ZoneInfo(timezone) if timezone else None
    this_year = date.today().year
    since = since or date(this_year - YEARS_BACK, 1, 1)
    until = until or date(this_year + YEARS_AHEAD, 12, 31)
    try:
        cal = icalendar.Calendar.from_ical(data)
    except ValueError as exc:
        raise IcsError(f"not a readable iCalendar file: {exc}") from None
    if cal.name != "VCALENDAR":
        raise IcsError(f"not an iCalendar file: it holds a {cal.name}, not a VCALENDAR")
    for event in cal.walk("VEVENT"):
        if event.errors:  # icalendar keeps a broken value and lists it here
            name, why = event.errors[0]
            raise IcsError(f"event {event.get('UID', '?')}: bad {name}: {why}")
        if "DTSTART" not in event:
            raise IcsError(f"event {event.get('UID', '?')}: no DTSTART")
    days: set[date] = set()
    try:
        query = recurring_ical_events.of(cal, components=["VEVENT"])
        for event in query.between(since, until + timedelta(days=1)):
            if str(event.get("STATUS", "")).upper() == "CANCELLED":
                continue
            days.update(_dates(event.start, event.end, zone))
            if len(days) > MAX_DAYS:
                raise IcsError(f"more than {MAX_DAYS} closed days: not a holiday calendar")
    except IcsError:
        raise
    except ValueError as exc:  # icalendar's and the expander's errors are ValueErrors
        raise IcsError(f"unreadable event: {exc}") from None
    return sorted(d for d in days if since <= d <= until)


def fetch_ics(url: str, timeout: float = 10, max_bytes: int = MAX_BYTES) -> bytes:
    """The body of an .ics at ``url`` (http or https), at most ``max_bytes`` long.

    Raises :class:`IcsError` naming the URL for a refused scheme, a failed connection, a
    time-out (``timeout`` bounds each wait and the whole download), a status other than
    2xx or a body over the limit (reading stops there).
    """
    deadline = time.monotonic() + timeout
    if not url.lower().startswith(("http://", "https://")):
        raise IcsError(f"{url}: only http and https URLs can be fetched")
    try:
        with requests.get(url, timeout=timeout, stream=True) as resp:
            if not 200 <= resp.status_code < 300:
                raise IcsError(f"{url}: HTTP {resp.status_code} {resp.reason}")
            length = resp.headers.get("Content-Length", "")
            if length.isdigit() and int(length) > max_bytes:
                raise IcsError(f"{url}: {length} bytes is over the limit of {max_bytes}")
            body = bytearray()
            for chunk in resp.iter_content(chunk_size=65536):
                body += chunk
                if len(body) > max_bytes:
                    raise IcsError(f"{url}: more than {max_bytes} bytes, over the limit")
                if time.monotonic() > deadline:
                    raise IcsError(f"{url}: the download took longer than {timeout} s")
            return bytes(body)
    except requests.RequestException as exc:
        raise IcsError(f"{url}: {type(exc).__name__}: {exc}") from None


def _dates(start: date, end: date | None, zone: ZoneInfo | None) -> list[date]:
    """The dates an event from ``start`` to ``end`` (exclusive) covers."""
    if isinstance(start, datetime):
        end = end if isinstance(end, datetime) else start
        if zone is not None and start.tzinfo is not None:
            start, end = start.astimezone(zone), end.astimezone(zone)
        first = start.date()
        last = (end - _TICK).date() if end > start else first  # ends at 00:00: not that day
    else:
        first = start
        last = end - timedelta(days=1) if isinstance(end, date) and end > start else start
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
