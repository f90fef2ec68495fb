"""Associate pay through the API and the admin pages: recording, preview, issue, CSV,
and refusals that name the field and write nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from hub.db import db
from hub.models import Statement, TeamMeeting
from tests.conftest import bearer
from tests.test_admin_login import csrf_from, log_in, user

PAY = "/api/v1/pay"


def test_record_preview_issue_and_csv_through_the_api(client, demo):
    h = bearer(demo["tokens"]["bas"])
    ok = client.post(f"{PAY}/meetings", json={"person": "anja", "day": "2026-02-03"}, headers=h)
    assert ok.status_code == 201 and ok.json["meetings"][0]["day"] == "2026-02-03"
    body = {"person": "anja", "application": "amarant-intranet", "day": "2026-01-12"}
    assert client.post(f"{PAY}/handovers", json=body, headers=h).status_code == 201
    again = client.post(f"{PAY}/handovers", json=body, headers=h)
    assert again.status_code == 409 and again.json["field"] == "application"
    exam = {"person": "ronald", "day": "2026-03-01", "kind": "exam", "product_line": "drupal",
            "passed": True}  # fmt: skip
    assert client.post(f"{PAY}/exams", json=exam, headers=h).status_code == 201
    listed = client.get(f"{PAY}/people/ronald/activity", headers=h).json
    assert listed["exams"][0]["passed"] is True
    preview = client.get(f"{PAY}/statements/anja/2026-q1", headers=h).json
    assert preview["issued"] is False and preview["earned"] == "140.00"
    issued = client.post(f"{PAY}/statements", json={"person": "anja", "quarter": "2026-Q1"},
                         headers=h)  # fmt: skip
    assert issued.status_code == 201 and issued.json["issued"] is True
    assert issued.json["settlement_cents"] == 14000
    csv = client.get(f"{PAY}/statements/anja/2026-Q1.csv", headers=h)
    assert csv.mimetype == "text/csv" and "anja,2026-Q1,total,settlement" in csv.get_data(True)
    tariffs = client.get(f"{PAY}/tariffs", headers=h).json["tariffs"]
    assert {t["item"]: t["amount"] for t in tariffs}["call"] == "60.00"
    past = client.post(f"{PAY}/tariffs", headers=h, json={"item": "duty",
                       "valid_from": "2026-03-01", "amount_cents": 3500})  # fmt: skip
    assert past.status_code == 409 and past.json["field"] == "valid_from"
    new = client.post(f"{PAY}/tariffs", headers=h, json={"item": "duty",
                      "valid_from": "2027-01-01", "amount_cents": 3500})  # fmt: skip
    assert new.status_code == 201 and new.json["amount"] == "35.00"


def test_bad_input_names_the_field_and_writes_nothing(app, client, demo):
    h = bearer(demo["tokens"]["admin"])
    cases = [
        ("/meetings", {"person": "nobody", "day": "2026-02-03"}, 422, "person"),
        ("/meetings", {"person": "bas", "day": "2026-02-03"}, 422, "person"),
        ("/meetings", {"person": "anja", "day": "3 Feb"}, 422, "day"),
        ("/handovers", {"person": "anja", "application": "nope", "day": "2026-01-01"}, 422,
         "application"),
        ("/exams", {"person": "anja", "day": "2026-01-01", "kind": "exam",
                    "product_line": "drupal"}, 422, "passed"),
        ("/tariffs", {"item": "duty", "valid_from": "2027-01-01", "amount_cents": 30.5}, 422,
         "amount_cents"),
        ("/tariffs", {"item": "call", "valid_from": "2027-01-01", "amount_cents": 1,
                      "min_minutes": 60, "max_minutes": 30}, 422, "max_minutes"),
        ("/statements", {"person": "anja", "quarter": "2026-Q5"}, 422, "quarter"),
        ("/statements", {"person": "anja", "quarter": "2099-Q1"}, 422, "quarter"),
    ]  # fmt: skip
    with app.app_context():
        before = [db.session.scalar(select(func.count()).select_from(m))
                  for m in (TeamMeeting, Statement)]  # fmt: skip
    for path, body, status, field in cases:
        resp = client.post(PAY + path, json=body, headers=h)
        assert (resp.status_code, resp.json["field"]) == (status, field), (path, resp.json)
    with app.app_context():
        assert before == [db.session.scalar(select(func.count()).select_from(m))
                          for m in (TeamMeeting, Statement)]  # fmt: skip
    assert client.get(f"{PAY}/statements/nobody/2026-Q1", headers=h).status_code == 404
    assert client.get(f"{PAY}/statements/anja/2026-13", headers=h).json["field"] == "quarter"


def test_the_admin_pages_record_preview_and_issue(client, demo):
    log_in(client, *user(demo, "sla_manager"))
    token = csrf_from(client.get("/pay").get_data(as_text=True))
    bad = client.post("/pay/activity/meeting", data={"csrf_token": token, "person": "anja",
                                                      "day": "soon"})  # fmt: skip
    assert bad.status_code == 422 and "a date such as" in bad.get_data(as_text=True)
    ok = client.post("/pay/activity/meeting", data={"csrf_token": token, "person": "anja",
                                                     "day": "2026-02-03"})  # fmt: skip
    assert ok.status_code == 303
    money = client.post("/pay/tariffs", data={"csrf_token": token, "item": "meeting",
                        "valid_from": "2027-01-01", "amount": "55,5"})  # fmt: skip
    assert money.status_code == 303
    assert "55.50" in client.get("/pay").get_data(as_text=True)
    page = client.get("/pay/statements/anja/2026-Q1").get_data(as_text=True)
    assert "Preview" in page and '<td id="settlement">50.00</td>' in page
    issued = client.post("/pay/statements/anja/2026-Q1/issue", data={"csrf_token": token})
    assert issued.status_code == 303
    page = client.get("/pay/statements/anja/2026-Q1").get_data(as_text=True)
    assert "frozen" in page and "meeting:" in page
    assert "2026-Q1" in client.get("/pay/people/anja").get_data(as_text=True)
