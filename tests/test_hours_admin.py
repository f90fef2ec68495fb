"""The hours card in the admin pages: the list and a contract's card per role (a client
viewer only its own client's), the managers' forms (purchase, settings, settling a
dispute) with errors beside their fields and nothing saved, and the client's verdict with
satisfaction on the call page, an overdraft refused and flashed."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from hub import calls as call_service
from hub import directory
from hub.db import db
from hub.models import Call, CallFeedback, HoursDecision, HoursPurchase, HoursSettings
from tests.test_admin_login import csrf_from, log_in, user

CARD = "/contracts/amarant-sla-2026/hours"


@pytest.fixture
def other(app, demo):  # noqa: ANN001,ANN201
    """Another client with a contract and a call with time booked; its call id."""
    with app.app_context():
        directory.create_client(key="other", name="Other client")
        directory.create_contract(
            client="other", reference="other-sla", name="Other SLA", valid_from=date(2026, 1, 1),
            targets={p: {"response_minutes": 60, "resolution_minutes": 480}
                     for p in ("P1", "P2", "P3", "P4")},
        )  # fmt: skip
        call = call_service.create(actor="test", source="test", client="other", title="Theirs")
        call_service.add_time(call, actor="test", person="bas", minutes=40)
        db.session.commit()
        return call.id


def first_call(app) -> int:  # noqa: ANN001
    """The demo's first call (amarant's, 25 minutes booked)."""
    with app.app_context():
        return db.session.scalar(select(func.min(Call.id)))


def count(app, model) -> int:  # noqa: ANN001
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def as_role(client, demo, role: str) -> str:  # noqa: ANN001
    """Log in as ``role``; a CSRF token for the forms."""
    log_in(client, *user(demo, role))
    return csrf_from(client.get("/login").get_data(as_text=True))


def post(client, url: str, token: str, **data: str):  # noqa: ANN001,ANN201
    return client.post(url, data={"csrf_token": token, **data})


def buy(client, token: str, hours: str = "10") -> None:  # noqa: ANN001
    resp = post(client, f"{CARD}/purchases", token, bought_on="2026-11-01", hours=hours,
                amount="850.00", note="card")  # fmt: skip
    assert resp.status_code == 303, resp.get_data(as_text=True)[:2000]


# --- reading ------------------------------------------------------------------------------


def test_the_hours_list_shows_every_contract_with_its_balance_to_staff(client, demo, other):
    as_role(client, demo, "associate")
    page = client.get("/hours").get_data(as_text=True)
    assert 'id="hours-amarant-sla-2026"' in page and 'id="hours-other-sla"' in page
    assert 'href="/hours"' in page, "the nav has an Hours entry"


def test_a_client_viewer_sees_only_its_own_card(client, demo, other):
    as_role(client, demo, "client_viewer")
    page = client.get("/hours").get_data(as_text=True)
    assert "amarant-sla-2026" in page and "other-sla" not in page
    assert client.get(CARD).status_code == 200
    resp = client.get("/contracts/other-sla/hours")
    assert resp.status_code == 403 and "another client" in resp.get_data(as_text=True)
    assert client.get("/contracts/no-such/hours").status_code == 404


def test_the_card_shows_undecided_hours_and_readers_get_no_forms(client, demo):
    as_role(client, demo, "client_viewer")
    page = client.get(CARD).get_data(as_text=True)
    assert 'id="pending">0.50 h' in page  # 25 min rounded up to the 15-minute unit
    assert 'id="balance" class="ok">0.00 h' in page and 'id="unit">15 min' in page
    assert "Triage" in page
    assert "Add purchase" not in page and "Save settings" not in page


def test_a_manager_sees_the_forms_with_the_settings_filled_in(client, demo):
    as_role(client, demo, "sla_manager")
    page = client.get(CARD).get_data(as_text=True)
    assert "Add purchase" in page and "Save settings" in page
    field = page.split('id="f-unit-minutes"')[1].split(">")[0]
    assert 'type="number" value="15"' in field


# --- the managers' forms --------------------------------------------------------------------


def test_a_purchase_adds_to_the_balance(app, client, demo):
    token = as_role(client, demo, "sla_manager")
    buy(client, token, "7.5")
    page = client.get(CARD).get_data(as_text=True)
    assert "7.50 h added" in page and 'id="balance" class="ok">7.50 h' in page
    assert "€850.00" in page and "user:bas" in page  # money in the reader's locale


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"hours": "0"}, "hours", "greater than 0"),
        ({"hours": "ten"}, "hours", "valid decimal"),
        ({"hours": "1.234"}, "hours", "decimal places"),
        ({"bought_on": "2026-13-01"}, "bought-on", "date"),
        ({"amount": "-5"}, "amount", "greater than or equal to 0"),
        ({"amount": ""}, "amount", "required"),
    ],
)
def test_a_bad_purchase_is_422_beside_its_field_nothing_saved(app, client, demo, data, field,
                                                              message):  # fmt: skip
    token = as_role(client, demo, "admin")
    form = {"bought_on": "2026-11-01", "hours": "10", "amount": "850", **data}
    resp = post(client, f"{CARD}/purchases", token, **form)
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    error = page.split(f'id="f-{field}-error">')[1].split("</p>")[0]
    assert message in error, error
    assert f'value="{form.get(field.replace("-", "_"), "")}"' in page, "the input is kept"
    assert count(app, HoursPurchase) == 0


def test_the_settings_change_and_a_bad_unit_is_refused_beside_it(app, client, demo):
    token = as_role(client, demo, "sla_manager")
    resp = post(client, f"{CARD}/settings", token, unit_minutes="0", overdraft_hours="2",
                low_balance_hours="")  # fmt: skip
    assert resp.status_code == 422
    assert 'id="f-unit-minutes-error">' in resp.get_data(as_text=True)
    assert count(app, HoursSettings) == 0
    resp = post(client, f"{CARD}/settings", token, unit_minutes="30", overdraft_hours="2",
                low_balance_hours="5")  # fmt: skip
    assert resp.status_code == 303
    page = client.get(CARD).get_data(as_text=True)
    assert 'id="unit">30 min' in page and 'id="overdraft">2.00 h' in page
    assert 'id="low-level">5.00 h' in page
    assert 'id="pending">0.50 h' in page  # 25 min in 30-minute units


def test_readers_may_not_use_the_managers_forms(app, client, demo):
    for role in ("associate", "client_viewer"):
        token = as_role(client, demo, role)
        resp = post(client, f"{CARD}/purchases", token, bought_on="2026-11-01", hours="10",
                    amount="1")  # fmt: skip
        assert resp.status_code == 403
        resp = post(client, f"{CARD}/settings", token, unit_minutes="30", overdraft_hours="9")
        assert resp.status_code == 403
        client.post("/logout", data={"csrf_token": token})
    assert count(app, HoursPurchase) == 0 and count(app, HoursSettings) == 0


# --- the verdict on the call page -----------------------------------------------------------


def test_the_call_page_offers_the_verdict_to_the_client_not_to_an_associate(app, client, demo):
    call = first_call(app)
    as_role(client, demo, "client_viewer")
    page = client.get(f"/calls/{call}").get_data(as_text=True)
    assert f'action="/calls/{call}/hours-verdict"' in page and 'id="hours-pending">0.50 h' in page
    client.post("/logout", data={"csrf_token": csrf_from(page)})
    as_role(client, demo, "associate")
    page = client.get(f"/calls/{call}").get_data(as_text=True)
    assert "hours-verdict" not in page and 'id="hours-pending">0.50 h' in page
    token = csrf_from(page)
    assert (
        post(client, f"/calls/{call}/hours-verdict", token, verdict="approved").status_code == 403
    )
    assert count(app, CallFeedback) == 0


def test_an_approval_that_would_overdraw_is_flashed_and_saves_nothing(app, client, demo):
    call = first_call(app)
    token = as_role(client, demo, "client_viewer")
    resp = post(client, f"/calls/{call}/hours-verdict", token, verdict="approved", score="5",
                comment="great")  # fmt: skip
    assert resp.status_code == 303
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "hours: approving 0.50 h would overdraw" in page
    assert count(app, CallFeedback) == 0 and count(app, HoursDecision) == 0


def test_the_client_approves_with_a_score_after_a_purchase(app, client, demo):
    call = first_call(app)
    buy(client, as_role(client, demo, "sla_manager"), "2")
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/").get_data(as_text=True))})
    token = as_role(client, demo, "client_viewer")
    resp = post(client, f"/calls/{call}/hours-verdict", token, verdict="approved", score="4",
                comment="quick and clear")  # fmt: skip
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert f"The hours of call {call} are approved." in page
    assert 'id="hours-approved">0.50 h' in page
    with app.app_context():
        fb = db.session.scalar(select(CallFeedback))
        assert (fb.verdict, fb.score, fb.comment) == ("approved", 4, "quick and clear")
        assert fb.actor == "user:amarant"
    assert 'id="balance" class="ok">1.50 h' in client.get(CARD).get_data(as_text=True)


@pytest.mark.parametrize("score", ["0", "6", "x", "4.5"])
def test_a_bad_score_is_flashed_and_saves_nothing(app, client, demo, score):
    call = first_call(app)
    token = as_role(client, demo, "client_viewer")
    resp = post(client, f"/calls/{call}/hours-verdict", token, verdict="disputed", score=score)
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "score: a whole number from 1 to 5" in page
    assert count(app, CallFeedback) == 0


def test_a_client_viewer_may_not_judge_another_clients_call(app, client, demo, other):
    token = as_role(client, demo, "client_viewer")
    resp = post(client, f"/calls/{other}/hours-verdict", token, verdict="disputed", score="1")
    assert resp.status_code == 403
    assert count(app, CallFeedback) == 0


def test_a_manager_records_a_dispute_given_by_phone_and_settles_it(app, client, demo):
    call = first_call(app)
    token = as_role(client, demo, "sla_manager")
    resp = post(client, f"/calls/{call}/hours-verdict", token, verdict="disputed", score="2",
                comment="too long (by phone)")  # fmt: skip
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert 'id="hours-disputed">0.50 h' in page
    page = client.get(CARD).get_data(as_text=True)
    assert 'id="held">0.50 h' in page and "Settle a disputed call" in page
    # approving the held hours would overdraw the empty card: beside the field, 422
    resp = post(client, f"{CARD}/resolve", token, call=str(call), action="approve")
    assert resp.status_code == 422
    assert "would overdraw" in resp.get_data(as_text=True)
    assert count(app, HoursDecision) == 1
    resp = post(client, f"{CARD}/resolve", token, call=str(call), action="write_off",
                resolution_note="goodwill")  # fmt: skip
    assert resp.status_code == 303
    page = client.get(CARD).get_data(as_text=True)
    assert "1 disputed entry written off" in page and 'id="written-off">0.50 h' in page
    assert 'id="held">0.00 h' in page and "goodwill" in page


def test_settling_a_call_without_disputes_or_of_another_contract_is_refused(app, client, demo,
                                                                            other):  # fmt: skip
    token = as_role(client, demo, "admin")
    for call, message in ((first_call(app), "no disputed hours"),
                          (other, "not under contract"), (10**6, "")):  # fmt: skip
        resp = post(client, f"{CARD}/resolve", token, call=str(call), action="write_off")
        assert resp.status_code == 422
        assert message in resp.get_data(as_text=True).split('id="f-call-error">')[1]
    resp = post(client, f"{CARD}/resolve", token, call="x", action="pay")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and 'id="f-action-error"' in page
    assert count(app, HoursDecision) == 0


def test_a_client_viewer_may_not_settle(app, client, demo):
    call = first_call(app)
    token = as_role(client, demo, "client_viewer")
    post(client, f"/calls/{call}/hours-verdict", token, verdict="disputed", score="1")
    resp = post(client, f"{CARD}/resolve", token, call=str(call), action="write_off")
    assert resp.status_code == 403
    with app.app_context():
        assert db.session.scalar(select(HoursDecision.state)) == "disputed"
