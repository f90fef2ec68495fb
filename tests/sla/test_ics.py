"""Closed days from iCalendar files (hub.sla.ics), read from bytes and over real HTTP."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from hub.sla.ics import IcsError, closed_days_from_ics, fetch_ics

WINDOW = {"since": date(2026, 1, 1), "until": date(2028, 12, 31)}

# A provider's holiday calendar as calendar programs write it (CRLF lines).
HOLIDAYS_ICS = "\r\n".join(
    [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Amarant SLA//Holidays//EN",
        "BEGIN:VTIMEZONE",
        "TZID:Europe/Amsterdam",
        "BEGIN:STANDARD",
        "DTSTART:19701025T030000",
        "TZOFFSETFROM:+0200",
        "TZOFFSETTO:+0100",
        "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
        "END:STANDARD",
        "BEGIN:DAYLIGHT",
        "DTSTART:19700329T020000",
        "TZOFFSETFROM:+0100",
        "TZOFFSETTO:+0200",
        "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
        "END:DAYLIGHT",
        "END:VTIMEZONE",
        # an all-day event: one day
        "BEGIN:VEVENT",
        "UID:company-day@example.org",
        "DTSTAMP:20260101T000000Z",
        "DTSTART;VALUE=DATE:20260612",
        "SUMMARY:Company day",
        "END:VEVENT",
        # a multi-day all-day event: DTEND is exclusive (24 .. 27 December)
        "BEGIN:VEVENT",
        "UID:christmas-shutdown@example.org",
        "DTSTAMP:20260101T000000Z",
        "DTSTART;VALUE=DATE:20261224",
        "DTEND;VALUE=DATE:20261228",
        "SUMMARY:Christmas shutdown",
        "END:VEVENT",
        # a timed event over midnight, in local time: 30 and 31 October
        "BEGIN:VEVENT",
        "UID:migration@example.org",
        "DTSTAMP:20260101T000000Z",
        "DTSTART;TZID=Europe/Amsterdam:20261030T180000",
        "DTEND;TZID=Europe/Amsterdam:20261031T060000",
        "SUMMARY:Data centre move",
        "END:VEVENT",
        # a timed event ending at midnight does not close the next day
        "BEGIN:VEVENT",
        "UID:training@example.org",
        "DTSTAMP:20260101T000000Z",
        "DTSTART;TZID=Europe/Amsterdam:20260918T130000",
        "DURATION:PT11H",
        "SUMMARY:Training",
        "END:VEVENT",
        # in UTC: 23:00 UTC on 6 July is 01:00 on 7 July in Amsterdam
        "BEGIN:VEVENT",
        "UID:maintenance@example.org",
        "DTSTAMP:20260101T000000Z",
        "DTSTART:20260706T230000Z",
        "DTEND:20260706T233000Z",
        "SUMMARY:Maintenance",
        "END:VEVENT",
        # yearly, except 2027
        "BEGIN:VEVENT",
        "UID:anniversary@example.org",
        "DTSTAMP:20260101T000000Z",
        "DTSTART;VALUE=DATE:20260301",
        "RRULE:FREQ=YEARLY",
        "EXDATE;VALUE=DATE:20270301",
        "SUMMARY:Founders' day",
        "END:VEVENT",
        # cancelled: not closed
        "BEGIN:VEVENT",
        "UID:cancelled@example.org",
        "DTSTAMP:20260101T000000Z",
        "DTSTART;VALUE=DATE:20260803",
        "STATUS:CANCELLED",
        "SUMMARY:Cancelled outing",
        "END:VEVENT",
        # not an event: ignored
        "BEGIN:VTODO",
        "UID:todo@example.org",
        "DTSTAMP:20260101T000000Z",
        "DTSTART;VALUE=DATE:20260401",
        "SUMMARY:Order cake",
        "END:VTODO",
        "END:VCALENDAR",
        "",
    ]
).encode()

EXPECTED = [
    date(2026, 3, 1),
    date(2026, 6, 12),
    date(2026, 7, 6),
    date(2026, 9, 18),
    date(2026, 10, 30),
    date(2026, 10, 31),
    date(2026, 12, 24),
    date(2026, 12, 25),
    date(2026, 12, 26),
    date(2026, 12, 27),
    date(2028, 3, 1),
]


def test_events_become_the_dates_they_cover():
    assert closed_days_from_ics(HOLIDAYS_ICS, **WINDOW) == EXPECTED


def test_timed_events_read_in_the_contracts_zone():
    days = closed_days_from_ics(HOLIDAYS_ICS, timezone="Europe/Amsterdam", **WINDOW)
    assert date(2026, 7, 7) in days
    assert date(2026, 7, 6) not in days
    assert date(2026, 9, 19) not in days


def test_the_window_bounds_every_event():
    days = closed_days_from_ics(HOLIDAYS_ICS, since=date(2026, 10, 1), until=date(2026, 12, 25))
    assert days == [date(2026, 10, 30), date(2026, 10, 31), date(2026, 12, 24), date(2026, 12, 25)]


def test_text_is_accepted_as_well_as_bytes():
    assert closed_days_from_ics(HOLIDAYS_ICS.decode(), **WINDOW) == EXPECTED


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "not a readable iCalendar"),
        (b"this is not a calendar", "not a readable iCalendar"),
        (b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n", "not a readable iCalendar"),
        (b"BEGIN:VCARD\r\nFN:Someone\r\nEND:VCARD\r\n", "holds a VCARD"),
        (
            b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART;VALUE=DATE:20261301\r\n"
            b"END:VEVENT\r\nEND:VCALENDAR\r\n",
            "event x: bad DTSTART",
        ),
        (
            b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nSUMMARY:no start\r\n"
            b"END:VEVENT\r\nEND:VCALENDAR\r\n",
            "DTSTART",
        ),
        (
            b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART;VALUE=DATE:20260101\r\n"
            b"RRULE:FREQ=DAILY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            "not a holiday calendar",
        ),
    ],
)
def test_malformed_files_are_a_value_error_saying_why(data: bytes, message: str):
    with pytest.raises(ValueError, match=message) as info:
        closed_days_from_ics(data, since=date(2026, 1, 1), until=date(2045, 12, 31))
    assert isinstance(info.value, IcsError)


# -- fetching over real HTTP ------------------------------------------------------------

BIG = b"X" * (2 * 1024 * 1024 + 1)


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the http.server name
        if self.path == "/holidays.ics":
            self._send(200, HOLIDAYS_ICS)
        elif self.path == "/big.ics":
            self._send(200, BIG)
        elif self.path == "/big-unsized.ics":  # no Content-Length: the reader must count
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            for _ in range(40):
                self.wfile.write(b"Y" * 65536)
        else:
            self._send(404, b"no such calendar")

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/calendar")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:  # keep the test output clean
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def test_fetch_then_parse(server: str):
    data = fetch_ics(f"{server}/holidays.ics", timeout=5)
    assert data == HOLIDAYS_ICS
    assert closed_days_from_ics(data, **WINDOW) == EXPECTED


@pytest.mark.parametrize("path", ["/big.ics", "/big-unsized.ics"])
def test_an_oversized_body_is_refused(server: str, path: str):
    with pytest.raises(IcsError, match="over the limit"):
        fetch_ics(f"{server}{path}", timeout=5)
    assert fetch_ics(f"{server}{path}", timeout=5, max_bytes=3 * 1024 * 1024)


def test_http_errors_name_the_url_and_status(server: str):
    with pytest.raises(IcsError, match=r"/missing.ics: HTTP 404"):
        fetch_ics(f"{server}/missing.ics", timeout=5)


def test_unreachable_server_and_other_schemes_are_refused():
    with pytest.raises(IcsError, match="ConnectionError"):
        fetch_ics("http://127.0.0.1:9/holidays.ics", timeout=2)  # the discard port: closed
    with pytest.raises(IcsError, match="only http and https"):
        fetch_ics("file:///etc/passwd")
