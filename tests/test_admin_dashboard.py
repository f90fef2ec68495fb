"""The dashboard, the new-call form and the error pages of the admin."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from hub import calls as call_service
from hub.admin import minutes
from hub.db import db
from hub.models import Call, Contract
from tests.sla.test_clocks import local
from tests.test_admin_directory import error_beside, post
from tests.test_admin_login import log_in, user
from tests.test_admin_outbox import dead_delivery


def cell(page: str, line: str, priority: str) -> tuple[str, str]:
    """The (colour, count) of one cell of the grid."""
    row = re.search(rf"<th scope=\"row\">{re.escape(line)}</th>(.*?)</tr>", page, re.S).group(1)
    cells = re.findall(r'<td class="cell clock-(\w+)">(?:<a [^>]*>)?(?:<span [^>]*>)?(\d+)', row)
    return cells[("P1", "P2", "P3", "P4").index(priority)]


NOW = local(2026, 12, 1, 13, 0)  # a Tuesday: every age below lies in business hours


def aged_call(app, *, priority: str, age: timedelta, title: str) -> int:  # noqa: ANN001
    with app.app_context(), time_machine.travel(NOW, tick=False):
        call = call_service.create(
            actor="test", source="test", client="amarant", title=title, priority=priority,
            line="1-general", received_at=NOW - age,
        )  # fmt: skip
        db.session.commit()
        return call.id


def dashboard(client) -> str:  # noqa: ANN001
    with time_machine.travel(NOW, tick=False):
        return client.get("/").get_data(as_text=True)


def test_the_grid_counts_open_calls_by_line_and_priority_with_clock_colours(client, demo, app):
    # Demo targets for P2: response 120 business minutes; warning at 75%.
    with app.app_context():
        contract = db.session.scalar(select(Contract))
        target = next(t for t in contract.targets if t.priority == "P2")
        response, warn = target.response_minutes, contract.warning_percent
    aged_call(app, priority="P2", age=timedelta(minutes=response * 0.1), title="Fresh")
    with time_machine.travel(NOW, tick=False):  # a session signed later would not count yet
        log_in(client, *user(demo, "sla_manager"))
    page = dashboard(client)
    assert cell(page, "1st line, general", "P2") == ("green", "1")
    aged_call(app, priority="P2", age=timedelta(minutes=response * (warn + 5) / 100), title="Old")
    page = dashboard(client)
    assert cell(page, "1st line, general", "P2") == ("amber", "2"), "the worst colour shows"
    aged_call(app, priority="P2", age=timedelta(minutes=response * 2), title="Late")
    page = dashboard(client)
    assert cell(page, "1st line, general", "P2") == ("red", "3")
    with app.app_context():
        open_in_sql = db.session.scalar(
            select(func.count()).where(Call.status.in_(("new", "acknowledged", "in_progress",
                                                        "waiting_for_client", "reopened")))
        )  # fmt: skip
    shown = sum(int(n) for n in re.findall(r'<td class="cell clock-\w+"><a [^>]*>(\d+)', page))
    assert shown == open_in_sql
    late = page.index(">Late<")
    assert late < page.index(">Old<") < page.index(">Fresh<"), "least time left first"
    assert '<span class="clock clock-red">−2 h</span>' in page, "120 business minutes late"
    assert '<span class="clock clock-green">1 h 48 min</span>' in page


def test_the_running_clock_is_the_response_one_until_the_first_response(ctx):
    from hub.sla import status

    with time_machine.travel(NOW, tick=False):
        call = call_service.create(
            actor="t", source="t", client="amarant", title="x", priority="P1",
            received_at=NOW - timedelta(minutes=10),
        )  # fmt: skip
        db.session.flush()
        view = status.running_client_clocks([call], NOW)[call.id]
        assert (view.name, view.left, view.state) == ("response", 20, "green")
        call_service.transition(call, "acknowledged", actor="t")
        view = status.running_client_clocks([call], NOW)[call.id]
        assert (view.name, view.left) == ("resolution", 230)
        call_service.transition(call, "waiting_for_client", actor="t")
        assert status.running_client_clocks([call], NOW)[call.id].state == "paused"


def test_minutes_are_shown_as_people_say_them():
    assert [minutes(m) for m in (0, 45, 60, 90, 1440 + 61, -30, None)] == [
        "0 min", "45 min", "1 h", "1 h 30 min", "1 d 1 h 1 min", "−30 min", "—",
    ]  # fmt: skip


def test_staff_see_outbox_trouble_and_plugin_health(client, demo, app):
    dead_delivery(app)
    log_in(client, *user(demo, "associate"))
    page = client.get("/").get_data(as_text=True)
    assert '<span class="bad">1 dead</span>' in page
    assert "OutsideSystemDown: Jira answered 503" in page
    assert "open the outbox" not in page, "associates cannot open the outbox page"
    plugins = page[page.index('id="plugins"') :]
    recorder = plugins[plugins.index("<td>tests.support.recorder</td>") :].split("</tr>")[0]
    assert "<td>yes</td>" in recorder and "ok: " in recorder, "loaded: enabled, healthy"
    jira = plugins[plugins.index("<td>jira</td>") :].split("</tr>")[0]
    assert "<td>no</td>" in jira and "installed, not enabled" in jira
    assert "OutsideSystemDown" in jira, "its last error still shows"


def test_a_client_viewer_sees_only_its_own_open_calls_and_no_plumbing(client, demo, app):
    from hub import directory

    with app.app_context():
        directory.create_client(key="other", name="Other")
        call_service.create(actor="t", source="t", client="other", title="Not yours")
        db.session.commit()
    log_in(client, *user(demo, "client_viewer"))
    page = client.get("/").get_data(as_text=True)
    assert "Not yours" not in page and "Intranet login fails" in page
    assert 'id="outbox"' not in page and 'id="plugins"' not in page
    assert "nobody on the roster" in page


def test_a_call_is_registered_through_the_form(client, demo, app):
    log_in(client, *user(demo, "associate"))
    form = client.get("/calls/new").get_data(as_text=True)
    assert '<option value="amarant-intranet">' in form
    resp = post(client, "/calls/new", {
        "client": "amarant", "application": "amarant-intranet", "title": "Search is slow",
        "description": "Since the update.", "priority": "P2", "category": "incident",
        "assignee": "anja", "reporter": "Helpdesk",
    })  # fmt: skip
    assert resp.status_code == 303
    call_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        call = db.session.get(Call, call_id)
        assert (call.title, call.priority, call.assignee.key, call.source) == (
            "Search is slow",
            "P2",
            "anja",
            "admin",
        )
        assert call.events[0].actor == "user:anja"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"title": ""}, "f-title", "required"),
        ({"priority": "P9"}, "f-priority", "Input should be"),
        ({"client": "nobody"}, "f-client", "unknown client"),
        ({"application": "elsewhere"}, "f-application", "unknown application"),
        ({"assignee": "ghost"}, "f-assignee", "unknown person"),
    ],
)
def test_a_bad_call_is_refused_beside_the_field(client, demo, app, data, field, message):
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Call))
    log_in(client, *user(demo, "associate"))
    good = {"client": "amarant", "title": "x", "priority": "P3", "category": "incident"}
    resp = post(client, "/calls/new", {**good, **data})
    assert resp.status_code == 422
    assert message in error_beside(resp.get_data(as_text=True), field)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Call)) == before


@pytest.mark.parametrize(
    ("path", "status", "heading"),
    [
        ("/calls/2147483648", 404, "Not found"),
        ("/no/such/page", 404, "Not found"),
        ("/clients/a%00b", 422, "Not valid"),
        ("/calls?q=a%00b", 422, "Not valid"),
    ],
)
def test_error_pages_are_the_hubs_own(client, demo, path, status, heading):
    log_in(client, *user(demo, "admin"))
    resp = client.get(path)
    assert resp.status_code == status
    page = resp.get_data(as_text=True)
    assert f"<h1>{heading}</h1>" in page and 'href="/static/hub.css"' in page


def test_the_api_still_answers_errors_in_json(client):
    resp = client.get("/api/v1/calls/1")
    assert resp.status_code == 401 and resp.is_json
