"""Client hours through the API: the verdict with satisfaction (client viewer for its own
client only; a bad score named), purchases, the ledger, and settling disputes."""

from __future__ import annotations

from sqlalchemy import func, select

from hub import calls, directory
from hub.db import db
from hub.models import Call, CallFeedback, HoursDecision
from tests.conftest import bearer

LEDGER = "/api/v1/contracts/amarant-sla-2026/hours"
BUY = "/api/v1/contracts/amarant-sla-2026/hours/purchases"


def demo_call(app) -> int:  # noqa: ANN001
    """The demo's first call (it has 25 minutes booked)."""
    with app.app_context():
        return db.session.scalar(select(func.min(Call.id)))


def buy(client, demo, hours="10.00") -> None:  # noqa: ANN001
    body = {"bought_on": "2026-11-01", "hours": hours, "amount": "850.00", "note": "card"}
    resp = client.post(BUY, json=body, headers=bearer(demo["tokens"]["bas"]))
    assert resp.status_code == 201, resp.json


def test_client_viewer_approves_its_own_call(app, client, demo):
    buy(client, demo)
    call = demo_call(app)
    body = {"verdict": "approved", "score": 4, "comment": "quick and clear"}
    resp = client.post(f"/api/v1/calls/{call}/hours-verdict", json=body,
                       headers=bearer(demo["tokens"]["amarant"]))  # fmt: skip
    assert resp.status_code == 201, resp.json
    assert resp.json["score"] == 4 and resp.json["ledger"]["approved"] == "0.50"  # 25 → 30 min
    got = client.get(LEDGER, headers=bearer(demo["tokens"]["amarant"])).json
    assert (got["purchased"], got["balance"], got["unit_minutes"]) == ("10.00", "9.50", 15)
    assert got["purchases"][0]["amount"] == "850.00"
    assert got["fixed_fee"] == "2400.00" and got["services"]


def test_client_viewer_may_not_judge_another_clients_call(app, client, demo):
    with app.app_context():
        directory.create_client(key="other", name="Other")
        other = calls.create(actor="t", source="t", client="other", title="Theirs")
        db.session.commit()
        other_id = other.id
    resp = client.post(f"/api/v1/calls/{other_id}/hours-verdict", json={"verdict": "approved"},
                       headers=bearer(demo["tokens"]["amarant"]))  # fmt: skip
    assert resp.status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CallFeedback)) == 0


def test_an_associate_may_not_judge(app, client, demo):
    url = f"/api/v1/calls/{demo_call(app)}/hours-verdict"
    resp = client.post(url, json={"verdict": "approved"}, headers=bearer(demo["tokens"]["anja"]))
    assert resp.status_code == 403


def test_a_bad_score_is_422_naming_the_field(app, client, demo):
    for score in (0, 6, "5", 4.5):
        resp = client.post(f"/api/v1/calls/{demo_call(app)}/hours-verdict",
                           json={"verdict": "approved", "score": score},
                           headers=bearer(demo["tokens"]["amarant"]))  # fmt: skip
        assert resp.status_code == 422 and resp.json["field"] == "score", resp.json


def test_approval_that_would_overdraw_is_409_and_writes_nothing(app, client, demo):
    resp = client.post(f"/api/v1/calls/{demo_call(app)}/hours-verdict",
                       json={"verdict": "approved", "score": 5},
                       headers=bearer(demo["tokens"]["amarant"]))  # fmt: skip
    assert resp.status_code == 409 and resp.json["field"] == "hours"
    assert "overdraw" in resp.json["error"] and resp.json["needed"] == "0.50"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CallFeedback)) == 0
        assert db.session.scalar(select(func.count()).select_from(HoursDecision)) == 0


def test_dispute_then_manager_settles(app, client, demo):
    buy(client, demo, "1.00")
    call = demo_call(app)
    resp = client.post(f"/api/v1/calls/{call}/hours-verdict",
                       json={"verdict": "disputed", "score": 2, "comment": "too long"},
                       headers=bearer(demo["tokens"]["amarant"]))  # fmt: skip
    assert resp.json["ledger"]["held"] == "0.50" and resp.json["ledger"]["balance"] == "1.00"
    resp = client.post(f"/api/v1/calls/{call}/hours-resolution", json={"action": "write_off"},
                       headers=bearer(demo["tokens"]["bas"]))  # fmt: skip
    assert resp.status_code == 200 and resp.json["settled"] == 1
    assert resp.json["ledger"]["written_off"] == "0.50" and resp.json["ledger"]["held"] == "0.00"


def test_client_viewer_reads_only_its_own_ledger(app, client, demo):
    with app.app_context():
        directory.create_client(key="other", name="Other")
        db.session.commit()
    assert client.get(LEDGER, headers=bearer(demo["tokens"]["amarant"])).status_code == 200
    resp = client.get("/api/v1/contracts/nope/hours", headers=bearer(demo["tokens"]["amarant"]))
    assert resp.status_code == 403
    resp = client.get("/api/v1/contracts/nope/hours", headers=bearer(demo["tokens"]["bas"]))
    assert resp.status_code == 404


def test_a_purchase_needs_positive_hours(client, demo):
    resp = client.post(BUY, json={"bought_on": "2026-11-01", "hours": "0", "amount": "1.00"},
                       headers=bearer(demo["tokens"]["bas"]))  # fmt: skip
    assert resp.status_code == 422 and resp.json["field"] == "hours"
