"""A contract's calendar and SLA rules in the admin form, and closed days from an .ics."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from hub.db import db
from hub.models import Clock, Contract
from tests.test_admin_directory import CONTRACT, error_beside, post
from tests.test_admin_login import log_in, user

URL = "/contracts/amarant-sla-2026"
ICS = b"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
UID:1@test
DTSTART;VALUE=DATE:20261228
DTEND;VALUE=DATE:20261231
SUMMARY:Closed between the holidays
END:VEVENT
END:VCALENDAR
"""


@pytest.fixture
def manager(client, demo):  # noqa: ANN001,ANN201
    log_in(client, *user(demo, "sla_manager"))
    return client


def contract(app) -> Contract:  # noqa: ANN001
    with app.app_context():
        row = db.session.scalar(select(Contract).where(Contract.reference == "amarant-sla-2026"))
        db.session.expunge(row)
        return row


def test_the_form_shows_the_stored_hours_and_saves_changed_ones(manager, app):
    form = manager.get(URL + "/edit").get_data(as_text=True)
    assert 'name="calendar.hours.mon"' in form and 'value="08:30-17:30"' in form
    with app.app_context():
        before = {c.id: c.due_at for c in db.session.scalars(
            select(Clock).where(Clock.stopped_at.is_(None)))}  # fmt: skip
    data = {**CONTRACT, "calendar.hours.mon": "09:00-12:00, 13:00-17:00",
            "calendar.hours.sat": "10:00-14:00", "calendar.closed": "2026-12-24\n2026-12-31",
            "rules": '{"quiet_hours": ["23:00", "06:00"]}'}  # fmt: skip
    resp = post(manager, URL + "/edit", data)
    assert resp.status_code == 303, resp.get_data(as_text=True)[:300]
    saved = contract(app)
    assert saved.calendar["working_hours"]["mon"] == [["09:00", "12:00"], ["13:00", "17:00"]]
    assert saved.calendar["working_hours"]["sat"] == ["10:00", "14:00"]
    assert saved.calendar["closed"] == ["2026-12-24", "2026-12-31"]
    assert saved.rules == {"quiet_hours": ["23:00", "06:00"]}
    with app.app_context():
        after = {c.id: c.due_at for c in db.session.scalars(
            select(Clock).where(Clock.stopped_at.is_(None)))}  # fmt: skip
    assert after.keys() == before.keys() and after != before, "running clocks recomputed"


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"calendar.hours.tue": "9 to 5"}, "f-calendar-hours-tue", "write hours as 08:30-17:30"),
        ({"calendar.hours.wed": "17:00-09:00"}, "f-calendar-hours-wed", "wed"),
        ({f"calendar.hours.{d}": "" for d in ("mon", "tue", "wed", "thu", "fri")},
         "f-calendar-hours-mon", "never open"),
        ({"calendar.country": "XX"}, "f-calendar-country", "XX"),
        ({"calendar.closed": "someday"}, "f-calendar-closed", "someday"),
        ({"rules": "{not json"}, "f-rules", "not JSON"),
        ({"rules": '{"levels": {"P9": []}}'}, "f-rules", "unknown priority 'P9'"),
    ],
)  # fmt: skip
def test_bad_terms_are_refused_beside_their_field(manager, app, change, field, message):
    before = contract(app)
    resp = post(manager, URL + "/edit", {**CONTRACT, "name": "Renamed", **change})
    assert resp.status_code == 422
    assert message in error_beside(resp.get_data(as_text=True), field).replace("&#39;", "'")
    after = contract(app)
    assert (after.name, after.calendar, after.rules) == (before.name, before.calendar,
                                                         before.rules)  # fmt: skip


def test_closed_days_are_imported_from_an_ics_file(manager, app):
    from tests.test_admin_login import csrf_from

    token = csrf_from(manager.get("/login").get_data(as_text=True))
    resp = manager.post(URL + "/ics", data={
        "csrf_token": token, "ics_file": (io.BytesIO(ICS), "holidays.ics"),
    }, content_type="multipart/form-data")  # fmt: skip
    assert resp.status_code == 303
    assert contract(app).calendar["ics_closed"] == ["2026-12-28", "2026-12-29", "2026-12-30"]
    page = manager.get(URL).get_data(as_text=True)
    assert "3 closed days imported" in page and "2026-12-28, 2026-12-29, 2026-12-30" in page
    resp = manager.post(URL + "/ics", data={
        "csrf_token": token, "ics_file": (io.BytesIO(b"not a calendar"), "x.ics"),
    }, content_type="multipart/form-data")  # fmt: skip
    assert "Nothing imported" in manager.get(resp.headers["Location"]).get_data(as_text=True)
    assert contract(app).calendar["ics_closed"] == ["2026-12-28", "2026-12-29", "2026-12-30"]
