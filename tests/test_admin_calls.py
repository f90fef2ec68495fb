"""The calls pages: list with filters, one call, transitions, notes and time; who may."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hub.db import db
from hub.models import Call, CallEvent
from tests.test_admin_login import csrf_from, log_in, user


@pytest.fixture
def admin(client, demo):  # noqa: ANN001,ANN201
    log_in(client, *user(demo, "admin"))
    return client


def a_call(app) -> Call:  # noqa: ANN001
    with app.app_context():
        call = db.session.scalars(select(Call).order_by(Call.id)).first()
        db.session.expunge(call)
        return call


def post(client, path: str, data: dict):  # noqa: ANN001,ANN201
    token = csrf_from(client.get("/").get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data})


def test_the_list_shows_the_calls_and_filters_them(admin, app):
    page = admin.get("/calls").get_data(as_text=True)
    assert "3 calls" in page and "<h1>Calls</h1>" in page
    call = a_call(app)
    page = admin.get(f"/calls?priority={call.priority}&q={call.title[:8]}").get_data(as_text=True)
    assert f'href="/calls/{call.id}"' in page
    assert "0 calls" in admin.get("/calls?q=no-such-words-anywhere").get_data(as_text=True)


def test_an_unknown_filter_value_is_a_400_naming_it(admin):
    resp = admin.get("/calls?status=sleeping")
    assert resp.status_code == 400
    assert "status: unknown status &#39;sleeping&#39;" in resp.get_data(as_text=True)


def test_the_detail_shows_the_history_and_only_allowed_transitions(admin, app):
    call = a_call(app)
    page = admin.get(f"/calls/{call.id}").get_data(as_text=True)
    assert f"<h1>Call {call.id}: {call.title}</h1>" in page
    assert "<strong>created</strong>" in page
    from hub.calls import TRANSITIONS

    for status in TRANSITIONS:
        shown = f'name="to" value="{status}"' in page
        assert shown == (status in TRANSITIONS[call.status]), status


def test_a_transition_is_saved_with_its_history(admin, app):
    call = a_call(app)
    from hub.calls import TRANSITIONS

    to = TRANSITIONS[call.status][0]
    resp = post(admin, f"/calls/{call.id}/transition", {"to": to, "note": "on it"})
    assert resp.status_code == 303
    with app.app_context():
        saved = db.session.get(Call, call.id)
        assert saved.status == to
        last = saved.events[-1]
        assert (last.kind, last.actor, last.note) == ("status", "user:admin", "on it")


def test_a_refused_transition_is_shown_and_changes_nothing(admin, app):
    call = a_call(app)
    with app.app_context():
        before = db.session.scalar(select(db.func.count()).select_from(CallEvent))
    resp = post(admin, f"/calls/{call.id}/transition", {"to": "closed"})
    assert resp.status_code == 303
    page = admin.get(resp.headers["Location"]).get_data(as_text=True)
    assert f"call {call.id} cannot go from {call.status} to closed" in page
    with app.app_context():
        assert db.session.get(Call, call.id).status == call.status
        assert db.session.scalar(select(db.func.count()).select_from(CallEvent)) == before


def test_notes_and_time_are_added_and_bad_minutes_refused(admin, app):
    call = a_call(app)
    assert post(admin, f"/calls/{call.id}/note", {"note": "called the client"}).status_code == 303
    person = "bas"
    resp = post(admin, f"/calls/{call.id}/time", {"person": person, "minutes": "30", "note": "x"})
    assert resp.status_code == 303
    page = admin.get(f"/calls/{call.id}").get_data(as_text=True)
    assert "called the client" in page and "minutes: 30" in page
    resp = post(admin, f"/calls/{call.id}/time", {"person": person, "minutes": "0"})
    assert "minutes must be between 1 and 1440" in admin.get(resp.headers["Location"]).get_data(
        as_text=True
    )
    resp = post(admin, f"/calls/{call.id}/time", {"person": person, "minutes": "lots"})
    assert "a whole number of minutes" in admin.get(resp.headers["Location"]).get_data(as_text=True)


def test_a_change_without_the_csrf_token_is_400_and_changes_nothing(admin, app):
    call = a_call(app)
    resp = admin.post(f"/calls/{call.id}/transition", data={"to": "acknowledged"})
    assert resp.status_code == 400
    with app.app_context():
        assert db.session.get(Call, call.id).status == call.status


def test_an_unknown_call_is_404(admin):
    assert admin.get("/calls/999999").status_code == 404


def test_a_client_viewer_sees_only_its_own_client_and_cannot_change(client, demo, app):
    log_in(client, *user(demo, "client_viewer"))
    call = a_call(app)
    page = client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert 'name="to"' not in page and "Add note" not in page, "read only"
    token = csrf_from(client.get("/").get_data(as_text=True))
    resp = client.post(f"/calls/{call.id}/note", data={"csrf_token": token, "note": "x"})
    assert resp.status_code == 403
    assert "associate" in resp.get_data(as_text=True)


def test_a_client_viewer_gets_403_on_another_clients_call(client, demo, app):
    from hub import calls as service
    from hub import directory

    with app.app_context():
        directory.create_client(key="other", name="Other client")
        other = service.create(actor="test", source="test", client="other", title="Theirs")
        db.session.commit()
        other_id = other.id
    log_in(client, *user(demo, "client_viewer"))
    resp = client.get(f"/calls/{other_id}")
    assert resp.status_code == 403
    assert "belongs to another client" in resp.get_data(as_text=True)
    assert "Theirs" not in client.get("/calls").get_data(as_text=True)


def test_the_call_page_shows_its_clocks_and_escalates_by_hand_with_a_reason(admin, app):
    call = a_call(app)
    page = admin.get(f"/calls/{call.id}").get_data(as_text=True)
    assert "<h2>SLA clocks</h2>" in page and "<td>resolution</td>" in page
    resp = post(admin, f"/calls/{call.id}/escalate", {"kind": "functional", "reason": ""})
    assert "reason: say why" in admin.get(resp.headers["Location"]).get_data(as_text=True)
    resp = post(admin, f"/calls/{call.id}/escalate", {
        "kind": "functional", "to_line": "3-application", "to_person": "ronald",
        "reason": "a code change",
    })  # fmt: skip
    assert resp.status_code == 303
    with app.app_context():
        saved = db.session.get(Call, call.id)
        assert (saved.line, saved.events[-1].note) == ("3-application", "a code change")
    page = admin.get(f"/calls/{call.id}").get_data(as_text=True)
    assert "collegial · 3rd line, application · Ronald" in page
