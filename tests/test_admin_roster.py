"""The roster in the admin pages: the month grid, planning a month, swaps, reassignments,
unavailable days and certifications, each error beside its field and nothing saved; who
may do what; the dashboard's duty section."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from hub.db import db
from hub.models import Handover, Person, Shift, Unavailability
from hub.sla import roster
from tests.test_admin_directory import error_beside, post
from tests.test_admin_login import log_in, user

JANUARY = "/roster?month=2027-01&line=joomla"
PLAN = {"month": "2027-01", "line": "joomla", "days": "2.5", "start_hour": "8"}


def count(app, model) -> int:  # noqa: ANN001
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def manager(client, demo):  # noqa: ANN001,ANN201
    log_in(client, *user(demo, "sla_manager"))
    return client


@pytest.fixture
def planned(manager, app):  # noqa: ANN001,ANN201
    """January 2027 planned for Joomla (Anja and Ronald, the demo's certified associates)."""
    resp = post(manager, "/roster/generate?month=2027-01&line=joomla", PLAN)
    assert resp.status_code == 303 and resp.headers["Location"] == JANUARY
    with app.app_context():
        shifts = roster.month_shifts("joomla", 2027, 1)
        return [(s.id, s.person.key) for s in shifts]


def test_the_month_page_shows_the_grid_counts_and_links(manager, planned):
    page = manager.get(JANUARY).get_data(as_text=True)
    assert "13 duties planned for joomla in 2027-01." in page
    december = {**PLAN, "month": "2026-12"}
    assert post(manager, "/roster/generate", december).status_code == 303
    page = manager.get(JANUARY).get_data(as_text=True)
    assert "<h1>Roster: joomla, January 2027</h1>" in page
    assert "<title>Roster joomla January 2027 · SLA Hub</title>" in page
    assert 'href="/roster?month=2026-12&amp;line=joomla"' in page, "previous month"
    assert 'href="/roster?month=2027-02&amp;line=joomla"' in page, "next month"
    grid = page[page.index('id="roster-grid"') : page.index("</table>", page.index("roster-grid"))]
    first = grid[grid.index('id="day-2027-01-01"') : grid.index('id="day-2027-01-02"')]
    assert "Anja from 08:00" in first, "the month's first duty starts at 08:00"
    assert "until 08:00" in first, "December's last duty spills into the 1st"
    assert 'id="day-2026-12-28"' in grid, "weeks start on Monday"
    counts = page[page.index('id="roster-counts"') :].split("</table>")[0]
    assert '<th scope="row">Anja</th><td>7</td><td>384</td>' in counts
    assert '<th scope="row">Ronald</th><td>6</td><td>360</td>' in counts
    assert '<div class="scroll"><table class="grid" id="roster-grid">' in page, "fits a phone"


def test_without_arguments_the_page_shows_this_month_of_a_line_with_a_pool(manager, app):
    with app.app_context():
        year, month = roster.this_month()
    page = manager.get("/roster?month=nonsense").get_data(as_text=True)
    assert f"<h1>Roster: joomla, {date(year, month, 1).strftime('%B %Y')}</h1>" in page
    assert "No duties planned for joomla" in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"month": "2027-13"}, "f-month", "the month must be from 01 to 12"),
        ({"month": "next"}, "f-month", "a month such as 2026-12"),
        ({"month": ""}, "f-month", "required"),
        ({"days": "lots"}, "f-days", "a number of days such as 2.5"),
        ({"days": "0.1"}, "f-days", "days must be from 0.5 to 31"),
        ({"start_hour": "25"}, "f-start-hour", "start_hour must be a whole hour from 0 to 23"),
        ({"start_hour": "eight"}, "f-start-hour", "a whole number, please"),
        ({"line": ""}, "f-line", "required"),
        ({"line": "lamp"}, "f-line", "no active associate is certified for lamp"),
    ],
)
def test_a_bad_plan_is_refused_beside_the_field(manager, app, data, field, message):
    resp = post(manager, "/roster/generate", {**PLAN, **data})
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert message in error_beside(page, field)
    assert count(app, Shift) == 0, "nothing saved"


def test_a_planned_month_is_refused_unless_replaced(manager, app, planned):
    resp = post(manager, "/roster/generate", PLAN)
    assert resp.status_code == 422
    assert "joomla already has 13 duties in 2027-01" in error_beside(
        resp.get_data(as_text=True), "f-month"
    )
    assert post(manager, "/roster/generate", {**PLAN, "replace": "1"}).status_code == 303
    assert count(app, Shift) == 13


def test_two_duties_are_swapped_and_a_bad_swap_is_explained(manager, app, planned):
    (a, first), (b, second) = planned[0], planned[1]
    resp = post(manager, "/roster/swap?month=2027-01&line=joomla", {"shift_a": a, "shift_b": b})
    assert resp.status_code == 303 and resp.headers["Location"] == JANUARY
    with app.app_context():
        assert db.session.get(Shift, a).person.key == second
        assert db.session.get(Shift, b).person.key == first
    resp = post(manager, "/roster/swap", {"shift_a": a, "shift_b": a})
    assert resp.status_code == 422
    assert "choose two different duties" in error_beside(resp.get_data(as_text=True), "f-shift-b")
    resp = post(manager, "/roster/swap", {"shift_a": "99999999999", "shift_b": b})
    assert "no such duty" in error_beside(resp.get_data(as_text=True), "f-shift-a")


def test_a_duty_is_given_to_a_certified_associate_only(manager, app, planned):
    shift_id, who = planned[0]
    resp = post(manager, "/roster/reassign", {"shift": shift_id, "person": "bas"})
    assert resp.status_code == 422
    assert "Bas Vredeling is not an active associate certified for joomla" in error_beside(
        resp.get_data(as_text=True), "f-person"
    )
    other = "ronald" if who == "anja" else "anja"
    resp = post(manager, "/roster/reassign", {"shift": shift_id, "person": other})
    assert resp.status_code == 303
    with app.app_context():
        assert db.session.get(Shift, shift_id).person.key == other


@pytest.fixture
def associate(client, demo):  # noqa: ANN001,ANN201
    log_in(client, *user(demo, "associate"))  # anja
    return client


def test_an_associate_notes_and_takes_back_their_own_unavailable_day(associate, app):
    page = associate.get(JANUARY).get_data(as_text=True)
    assert "Plan a month" not in page and "Swap two duties" not in page, "managers only"
    assert '<option value="anja">Anja</option>' in page and 'value="ronald"' not in page
    resp = post(associate, "/roster/unavailable?month=2027-01&line=joomla",
                {"who": "anja", "day": "2027-01-20", "reason": "course"})  # fmt: skip
    assert resp.status_code == 303
    page = associate.get(JANUARY).get_data(as_text=True)
    assert "Anja is unavailable on 2027-01-20." in page
    cell = page[page.index('id="day-2027-01-20"') :].split("</td>")[0]
    assert "away: Anja" in cell
    with app.app_context():
        row_id = db.session.scalar(select(Unavailability.id))
    assert (
        post(associate, f"/roster/unavailable/{row_id}/remove?month=2027-01", {}).status_code == 303
    )
    assert count(app, Unavailability) == 0
    resp = post(associate, f"/roster/unavailable/{row_id}/remove", {})
    assert resp.status_code == 303, "taking back twice is harmless"


def test_an_associate_cannot_note_or_take_back_someone_elses_day(associate, app):
    resp = post(associate, "/roster/unavailable", {"who": "ronald", "day": "2027-01-20"})
    assert resp.status_code == 403
    assert "Associates note their own days only." in resp.get_data(as_text=True)
    with app.app_context():
        ronald = db.session.scalar(select(Person).where(Person.key == "ronald"))
        roster.add_unavailable(ronald, date(2027, 1, 21))
        db.session.commit()
        row_id = db.session.scalar(select(Unavailability.id))
    assert post(associate, f"/roster/unavailable/{row_id}/remove", {}).status_code == 403
    assert count(app, Unavailability) == 1
    for path in ("/roster/generate", "/roster/certify"):
        assert post(associate, path, PLAN).status_code == 403
    assert count(app, Shift) == 0


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"day": "24-12-2027"}, "f-day", "a date such as 2026-12-24"),
        ({"day": ""}, "f-day", "required"),
        ({"day": "2027-01-20", "reason": "x" * 201}, "f-reason", "longer than 200"),
        ({"who": "nobody", "day": "2027-01-20"}, "f-who", "no such person"),
    ],
)
def test_a_bad_unavailable_day_is_refused_beside_the_field(manager, app, data, field, message):
    resp = post(manager, "/roster/unavailable", {"who": "anja", **data})
    assert resp.status_code == 422
    assert message in error_beside(resp.get_data(as_text=True), field)
    assert count(app, Unavailability) == 0


def test_noting_a_day_already_on_duty_says_so(manager, planned):
    resp = post(manager, "/roster/unavailable?month=2027-01&line=joomla",
                {"who": planned[0][1], "day": "2027-01-02"})  # fmt: skip
    page = manager.get(JANUARY).get_data(as_text=True)
    assert "Still on duty then: Fri 01 Jan 2027 08:00; swap or reassign it." in page
    resp = post(manager, "/roster/unavailable", {"who": planned[0][1], "day": "2027-01-02"})
    assert "already unavailable on 2027-01-02" in error_beside(resp.get_data(as_text=True), "f-day")


def test_a_manager_certifies_and_withdraws_an_associate(manager, app):
    page = manager.get("/roster?month=2027-01&line=drupal").get_data(as_text=True)
    assert "Certify for drupal" in page and "Nobody is certified for drupal yet." in page
    for flag, expected in (("1", ["drupal", "joomla"]), ("0", ["joomla"])):
        resp = post(manager, "/roster/certify?month=2027-01&line=drupal",
                    {"associate": "anja", "certified": flag})  # fmt: skip
        assert resp.status_code == 303
        with app.app_context():
            assert (
                db.session.scalar(select(Person).where(Person.key == "anja")).certified == expected
            )


def test_the_months_handovers_are_listed(manager, app, planned):
    with app.app_context():
        shift = db.session.get(Shift, planned[1][0])
        roster.record_handovers(shift.starts_at + timedelta(minutes=1))
        db.session.commit()
        assert count(app, Handover) == 1
    page = manager.get(JANUARY).get_data(as_text=True)
    assert "Sun 03 Jan 2027 20:00: Anja → Ronald, 0 open calls" in page


def test_the_dashboard_shows_who_is_on_duty_now_and_next(manager, app):
    with app.app_context():
        now = roster.utcnow()
        year, month = roster.this_month(now)
        roster.generate_month("joomla", year, month)
        db.session.commit()
        current, coming = roster.on_duty(now, "joomla"), roster.next_duty(now, "joomla")
        names = (current.name if current else "nobody", coming.person.name)
    page = manager.get("/").get_data(as_text=True)
    duty = page[page.index('id="duty"') :].split("</section>")[0]
    assert '<th scope="row">joomla</th>' in duty
    assert f"<td>{names[0]}</td>" in duty and f"{names[1]} from " in duty
    assert 'href="/roster"' in duty


def test_client_viewers_see_no_roster(client, demo):
    log_in(client, *user(demo, "client_viewer"))
    assert client.get(JANUARY).status_code == 403
    assert 'href="/roster"' not in client.get("/").get_data(as_text=True)
