"""Privacy: exporting what the hub holds about a contact or client, and erasing a
contact's personal data while the calls and the SLA report's figures stay.

The data is made through the hub's own ways in: the demo, the API, a signed webhook
applied by the inbound job, a client viewer's hours verdict.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import LargeBinary, func, select, text
from sqlalchemy.exc import IntegrityError

from hub import auth, privacy
from hub.cli import main
from hub.db import db, utcnow
from hub.models import AuditEntry, Call, CallEvent, Clock, Contact, Contract, TimeEntry, User
from hub.privacy_rows import LINKED
from hub.sla import reports, reports_export
from tests.conftest import bearer
from tests.test_admin_login import csrf_from, log_in, user
from tests.test_webhooks import drain, post

NAME, EMAIL, PHONE = "Jan Jansen", "jan.jansen@amarant.example", "+31 6 1234 5678"
#: What must be gone from the whole database after the erase (lower case).
TRACES = (NAME.lower(), EMAIL, PHONE, "+31612345678")
API = "/api/v1/privacy"


@pytest.fixture
def jan(app, client, demo) -> dict[str, Any]:  # noqa: ANN001
    """A contact of Amarant with a login, two calls it reported (one by webhook, one by
    API), notes, time, a purchase and its verdict on the hours, each naming it."""
    admin = bearer(demo["tokens"]["admin"])
    person = {"name": NAME, "email": EMAIL, "phone": PHONE, "role": "editor"}
    resp = client.post("/api/v1/clients/amarant/contacts", headers=admin, json=person)
    assert resp.status_code == 201, resp.json
    contact_id = resp.json["id"]
    with app.app_context():
        auth.create_user(EMAIL, "a-long-password-1", "client_viewer", client="amarant")
        db.session.flush()
        token = auth.create_token(EMAIL, "test")
        db.session.commit()
    create = {"type": "call.create", "client": "amarant", "title": f"{NAME} cannot log in",
              "priority": "P2", "application": "amarant-intranet", "reporter": EMAIL,
              "description": f"Ring {NAME} on {PHONE} or mail {EMAIL}.", "ref": "JJ-1"}  # fmt: skip
    assert post(client, create, delivery="jj-1").status_code == 202
    update = {"type": "call.update", "ref": "JJ-1", "status": "acknowledged",
              "note": f"Spoke to {NAME.upper()}"}  # fmt: skip
    assert post(client, update, delivery="jj-2").status_code == 202
    assert drain(app) == 2
    with app.app_context():
        hooked = db.session.scalar(select(Call.id).where(Call.reporter == EMAIL))
    assert client.post(f"/api/v1/calls/{hooked}/notes", headers=admin,
                       json={"note": "Called +31612345678 back"}).status_code == 201  # fmt: skip
    time = {"person": "anja", "minutes": 30, "note": f"Session with {NAME}"}
    booked = client.post(f"/api/v1/calls/{hooked}/time", headers=admin, json=time)
    assert booked.status_code == 201, booked.json
    bought = client.post("/api/v1/contracts/amarant-sla-2026/hours/purchases", headers=admin,
                         json={"bought_on": "2026-01-05", "hours": "10.00", "amount": "850.00",
                               "note": f"ordered by {NAME}"})  # fmt: skip
    assert bought.status_code == 201, bought.json
    judged = {"verdict": "disputed", "score": 2, "comment": f"{NAME}: too long"}
    verdict = client.post(f"/api/v1/calls/{hooked}/hours-verdict", headers=bearer(token),
                          json=judged)  # fmt: skip
    assert verdict.status_code == 201, verdict.json
    by_api = client.post("/api/v1/calls", headers=admin,
                         json={"client": "amarant", "title": "Menu broken", "reporter": NAME,
                               "description": f"Reported by phone ({PHONE})"})  # fmt: skip
    assert by_api.status_code == 201, by_api.json
    return {"id": contact_id, "calls": [hooked, by_api.json["id"]], "token": token}


def traces(app) -> dict[str, list[str]]:  # noqa: ANN001
    """Per table, the columns in which any of TRACES occurs: every text, JSON and binary
    column of every table, read raw."""
    found: dict[str, list[str]] = {}
    with app.app_context():
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(select(table)).mappings():
                for column in table.columns:
                    value = row[column.name]
                    if isinstance(column.type, LargeBinary) and value is not None:
                        value = bytes(value).decode("utf-8", errors="replace")
                    elif isinstance(value, dict | list):
                        value = json.dumps(value, ensure_ascii=False)
                    if isinstance(value, str) and any(t in value.lower() for t in TRACES):
                        found.setdefault(table.name, []).append(column.name)
    return found


def figures(app) -> dict[str, Any]:  # noqa: ANN001
    """The client's report for this month and quarter (but when it was made and the
    breached calls' titles and causes, which may name people) and the rows SLA counts use."""
    out: dict[str, Any] = {}
    with app.app_context():
        now = utcnow()
        for period in (f"{now:%Y-%m}", f"{now.year}-Q{(now.month - 1) // 3 + 1}"):
            report = reports_export.to_json(reports.client_report("amarant", period))
            report.pop("generated_at", None)
            for breach in report.get("breaches", {}).get("items", []) or []:
                breach.pop("title", None), breach.pop("cause", None)
            out[period] = report
        for model in (Call, Clock, TimeEntry, CallEvent):
            out[model.__tablename__] = db.session.scalar(select(func.count()).select_from(model))
        out["calls"] = db.session.execute(
            select(Call.id, Call.status, Call.priority, Call.created_at, Call.resolved_at)
            .order_by(Call.id)).all()  # fmt: skip
        out["clocks"] = db.session.execute(
            select(Clock.id, Clock.kind, Clock.due_at, Clock.outcome, Clock.elapsed_minutes)
            .order_by(Clock.id)).all()  # fmt: skip
    return out


# --- export -----------------------------------------------------------------------------


def _walk(value: Any, tables: dict[str, Any], found: dict[str, set]) -> None:
    """Collect the primary keys of exported rows per table (lists under a table's name)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in tables and isinstance(item, list):
                pk = [c.name for c in tables[key].primary_key]
                found.setdefault(key, set()).update(tuple(r[c] for c in pk) for r in item)
            _walk(item, tables, found)
    elif isinstance(value, list):
        for item in value:
            _walk(item, tables, found)


def test_client_export_holds_every_row_linked_to_the_client(app, jan):
    tables = {t.name: t for t in db.metadata.sorted_tables}
    linked = {name: t for name, t in tables.items() if set(LINKED) & set(t.columns.keys())}
    assert {"calls", "call_events", "contracts", "hours_decisions", "site_check_runs"} <= set(
        linked
    )
    with app.app_context():
        client = privacy.get_client("amarant")
        export = json.loads(json.dumps(privacy.export_client(client)))  # JSON-safe
        found: dict[str, set] = {}
        _walk(export, tables, found)
        ids = {
            "client_id": [client.id],
            "contract_id": db.session.scalars(
                select(Contract.id).where(Contract.client_id == client.id)).all(),
            "call_id": db.session.scalars(select(Call.id).where(Call.client_id == client.id)).all(),
            "application_id": [a.id for a in client.applications],
        }  # fmt: skip
        nonempty = 0
        for name, table in linked.items():
            assert name in found, f"table {name} is not in the client export"
            columns = [table.c[c] for c in LINKED if c in table.c]
            where = [col.in_(ids[col.name]) for col in columns]
            pk = list(table.primary_key)
            rows = {tuple(r) for r in db.session.execute(select(*pk).where(*where[:1]))}
            for extra in where[1:]:
                rows |= {tuple(r) for r in db.session.execute(select(*pk).where(extra))}
            assert rows <= found[name], f"{name}: {sorted(rows - found[name])[:5]} left out"
            nonempty += bool(rows)
        assert nonempty >= 12  # the check saw real rows, not just empty tables
    assert export["subject"] == {"kind": "client", "key": "amarant"}
    assert all("password_hash" not in u for u in export["users"])
    hooked = next(c for c in export["calls"] if c["id"] == jan["calls"][0])
    assert hooked["inbound_events"] and NAME in hooked["inbound_events"][0]["body"]
    assert all("x-hub-signature-256" not in {k.lower() for k in e["headers"]}
               for e in hooked["inbound_events"])  # fmt: skip


def test_contact_export_has_its_record_calls_feedback_and_login(app, jan):
    with app.app_context():
        contact = privacy.get_contact(jan["id"])
        export = json.loads(json.dumps(privacy.export_contact(contact)))
        history = {
            c: db.session.scalars(select(CallEvent.id).where(CallEvent.call_id == c)).all()
            for c in jan["calls"]
        }
    assert export["contacts"][0]["email"] == EMAIL and export["contacts"][0]["phone"] == PHONE
    reported = {c["id"]: c for c in export["calls"] if c["reported_by_contact"]}
    assert set(reported) == set(jan["calls"])
    for call_id, event_ids in history.items():
        assert [e["id"] for e in reported[call_id]["call_events"]] == event_ids
    assert reported[jan["calls"][0]]["time_entries"][0]["minutes"] == 30
    assert [f["comment"] for f in export["call_feedback"]] == [f"{NAME}: too long"]
    assert {d["state"] for d in export["hours_decisions"]} == {"disputed"}
    assert [u["username"] for u in export["users"]] == [EMAIL]
    assert "password_hash" not in export["users"][0]


def test_a_demo_contact_export_lists_the_calls_it_reported(ctx):
    helpdesk = db.session.scalar(select(Contact).where(Contact.name == "Helpdesk Amarant"))
    export = privacy.export_contact(helpdesk)
    expected = db.session.scalars(select(Call.id).where(Call.reporter == helpdesk.name)).all()
    assert expected and sorted(c["id"] for c in export["calls"]) == sorted(expected)
    assert export["users"] == [] and export["hours_decisions"] == []


# --- erasure ----------------------------------------------------------------------------


def test_erase_removes_every_trace_and_keeps_the_figures(app, client, demo, jan):
    before_traces = traces(app)
    assert {"contacts", "calls", "call_events", "inbound_events", "users", "time_entries",
            "call_feedback", "hours_purchases"} <= set(before_traces)  # fmt: skip
    before = figures(app)
    resp = client.post(f"{API}/contacts/{jan['id']}/erase", json={"confirm": NAME.lower()},
                       headers=bearer(demo["tokens"]["admin"]))  # fmt: skip
    assert resp.status_code == 200, resp.json
    assert resp.json["erased"] is True and resp.json["calls_reported"] == 2
    assert traces(app) == {}
    assert figures(app) == before
    with app.app_context():
        contact = db.session.get(Contact, jan["id"])
        assert (contact.name, contact.email, contact.phone, contact.role) == (
            f"Erased contact #{jan['id']}", None, None, None)  # fmt: skip
        assert contact.erased_at is not None
        reporters = db.session.scalars(select(Call.reporter).where(Call.id.in_(jan["calls"])))
        assert set(reporters) == {"[erased]"}
        renamed = User.username.like("erased-user-%")
        login = db.session.scalar(select(User).where(User.client_id == contact.client_id, renamed))
        assert login is not None and not login.active
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "contact.erase"))
        assert entry.subject_key == str(jan["id"]) and entry.after["calls_reported"] == 2
    # The login's token is revoked: the API no longer lets it in.
    assert client.get("/api/v1/calls", headers=bearer(jan["token"])).status_code == 401
    again = client.post(f"{API}/contacts/{jan['id']}/erase", json={"confirm": str(jan["id"])},
                        headers=bearer(demo["tokens"]["admin"]))  # fmt: skip
    assert again.status_code == 200 and again.json["erased"] is False
    assert "already erased" in again.json["message"]


def test_erase_is_one_transaction(app, jan):
    """A failure at the commit (the audit entry refused by the database) leaves the
    contact, its calls and its login exactly as they were."""
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            db.session.execute(text(
                "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log "
                "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"))  # fmt: skip
        else:
            db.session.execute(text(
                "CREATE FUNCTION refuse_audit() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION "
                "'refused by the test' USING ERRCODE = 'check_violation'; END $$ "
                "LANGUAGE plpgsql"))  # fmt: skip
            db.session.execute(text(
                "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log "
                "FOR EACH ROW EXECUTE FUNCTION refuse_audit()"))  # fmt: skip
        db.session.commit()
    before = traces(app)
    try:
        with app.app_context():
            with pytest.raises(IntegrityError):
                privacy.erase_contact(privacy.get_contact(jan["id"]), actor="test")
                db.session.commit()
            db.session.rollback()
        assert traces(app) == before
        with app.app_context():
            assert db.session.get(Contact, jan["id"]).erased_at is None
            assert db.session.scalar(select(User.active).where(User.username == EMAIL)) is True
    finally:
        with app.app_context():
            db.session.execute(text("DROP TRIGGER refuse_audit" + (
                "" if db.engine.dialect.name == "sqlite" else " ON audit_log")))  # fmt: skip
            if db.engine.dialect.name != "sqlite":
                db.session.execute(text("DROP FUNCTION refuse_audit()"))
            db.session.commit()


# --- the API's refusals ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "body", "status", "needle"),
    [
        (None, {"confirm": "x"}, 401, "bearer"),
        ("bas", {"confirm": NAME}, 403, "admin"),
        ("amarant", {"confirm": NAME}, 403, "admin"),
        # The API's conventions: an empty body or a missing field is a 422 naming it.
        ("admin", None, 422, "request body is empty"),
        ("admin", {}, 422, "confirm: Field required"),
        ("admin", {"confirm": "  "}, 422, "confirm is missing"),
        ("admin", {"confirm": "Helpdesk Amarant"}, 422, "is not contact"),
        ("admin", {"confirm": NAME, "extra": 1}, 422, "extra"),
        ("admin", {"confirm": 7}, 422, "confirm"),
    ],
)
def test_refused_erase_changes_nothing(app, client, demo, jan, who, body, status, needle):
    before = traces(app)
    headers = bearer(demo["tokens"][who]) if who else {}
    resp = client.post(f"{API}/contacts/{jan['id']}/erase", json=body, headers=headers)
    assert resp.status_code == status, resp.json
    assert needle in json.dumps(resp.json)
    assert traces(app) == before


def test_unknown_subjects_are_404_and_exports_are_admin_only(client, demo):
    admin, bas = bearer(demo["tokens"]["admin"]), bearer(demo["tokens"]["bas"])
    assert client.post(f"{API}/contacts/999999/erase", json={"confirm": "999999"},
                       headers=admin).status_code == 404  # fmt: skip
    assert client.get(f"{API}/contacts/999999/export", headers=admin).status_code == 404
    missing = client.get(f"{API}/clients/nobody/export", headers=admin)
    assert missing.status_code == 404 and "nobody" in missing.json["error"]
    assert client.get(f"{API}/clients/amarant/export", headers=bas).status_code == 403
    assert client.get(f"{API}/contacts/1/export", headers=bas).status_code == 403
    got = client.get(f"{API}/clients/amarant/export", headers=admin)
    assert got.status_code == 200 and got.json["clients"][0]["key"] == "amarant"


# --- CLI --------------------------------------------------------------------------------


def test_cli_exports_and_erases_after_confirmation(app, jan, tmp_path):
    runner = app.test_cli_runner()
    out = tmp_path / "amarant.json"
    done = runner.invoke(main, ["privacy", "export", "--client", "amarant", "-o", str(out)])
    assert done.exit_code == 0, done.output
    assert json.loads(out.read_text())["subject"]["key"] == "amarant"
    shown = runner.invoke(main, ["privacy", "export", "--contact", str(jan["id"])])
    assert shown.exit_code == 0 and json.loads(shown.stdout)["contacts"][0]["email"] == EMAIL
    both = runner.invoke(main, ["privacy", "export", "--contact", "1", "--client", "amarant"])
    assert both.exit_code != 0 and "exactly one" in both.output
    unknown = runner.invoke(main, ["privacy", "erase", "--contact", "999999", "--yes"])
    assert unknown.exit_code != 0 and "no contact 999999" in unknown.output
    declined = runner.invoke(main, ["privacy", "erase", "--contact", str(jan["id"])], input="n\n")
    assert declined.exit_code != 0 and NAME in declined.output
    with app.app_context():
        assert db.session.get(Contact, jan["id"]).erased_at is None
    accepted = runner.invoke(main, ["privacy", "erase", "--contact", str(jan["id"])], input="y\n")
    assert accepted.exit_code == 0 and "erased" in accepted.output, accepted.output
    assert traces(app) == {}
    again = runner.invoke(main, ["privacy", "erase", "--contact", str(jan["id"]), "--yes"])
    assert again.exit_code == 0 and "already erased" in again.output


# --- admin page -------------------------------------------------------------------------


def test_admin_page_exports_and_erases_with_a_typed_confirmation(app, client, demo, jan):
    log_in(client, *user(demo, "admin"))
    assert "/privacy/clients/amarant" in client.get("/clients/amarant").get_data(as_text=True)
    page = client.get("/privacy/clients/amarant")
    assert page.status_code == 200 and NAME in page.get_data(as_text=True)
    token = csrf_from(page.get_data(as_text=True))
    download = client.get(f"/privacy/contacts/{jan['id']}/export.json")
    assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]
    assert download.json["contacts"][0]["name"] == NAME
    whole = client.get("/privacy/clients/amarant/export.json")
    assert whole.status_code == 200 and whole.json["subject"]["key"] == "amarant"
    url = f"/privacy/contacts/{jan['id']}/erase"
    before = traces(app)
    assert client.post(url, data={"confirm": NAME}).status_code == 400  # no CSRF token
    missing = client.post(url, data={"csrf_token": token})
    assert missing.status_code == 400 and "confirm is missing" in missing.get_data(as_text=True)
    wrong = client.post(url, data={"csrf_token": token, "confirm": "someone"})
    assert wrong.status_code == 422 and "is not contact" in wrong.get_data(as_text=True)
    assert traces(app) == before
    done = client.post(url, data={"csrf_token": token, "confirm": str(jan["id"])})
    assert done.status_code == 303
    assert f"contact {jan['id']} erased" in client.get(done.headers["Location"]).get_data(
        as_text=True
    )
    assert traces(app) == {}


def test_admin_page_is_for_admins_only(app, client, demo, jan):
    log_in(client, *user(demo, "sla_manager"))
    assert "/privacy/clients/" not in client.get("/clients/amarant").get_data(as_text=True)
    for url in (
        "/privacy",
        "/privacy/clients/amarant",
        f"/privacy/contacts/{jan['id']}/export.json",
    ):
        assert client.get(url).status_code == 403, url
    token = csrf_from(client.get("/privacy/clients/amarant").get_data(as_text=True) or
                      client.get("/login").get_data(as_text=True))  # fmt: skip
    resp = client.post(f"/privacy/contacts/{jan['id']}/erase",
                       data={"csrf_token": token, "confirm": str(jan["id"])})  # fmt: skip
    assert resp.status_code == 403
    with app.app_context():
        assert db.session.get(Contact, jan["id"]).erased_at is None


def test_unknown_contact_on_the_admin_page_is_404(client, demo):
    log_in(client, *user(demo, "admin"))
    assert client.get("/privacy/contacts/999999/export.json").status_code == 404
    assert client.get("/privacy/clients/nobody").status_code == 404


def test_erasing_a_demo_contact_known_by_name_only(ctx):
    """The demo's helpdesk reported its calls under its name (no e-mail or phone): the
    calls lose the name, the other contacts and the calls' figures stay."""
    helpdesk = db.session.scalar(select(Contact).where(Contact.name == "Helpdesk Amarant"))
    reported = db.session.scalars(select(Call.id).where(Call.reporter == helpdesk.name)).all()
    others = db.session.scalars(
        select(Contact.name).where(Contact.id != helpdesk.id).order_by(Contact.id)
    ).all()
    statuses = db.session.execute(select(Call.id, Call.status).order_by(Call.id)).all()
    result = privacy.erase_contact(helpdesk, actor="test")
    db.session.commit()
    assert result.erased and result.calls_reported == len(reported) > 0
    assert set(db.session.scalars(select(Call.reporter).where(Call.id.in_(reported)))) == {
        "[erased]"
    }
    assert (
        db.session.scalars(
            select(Contact.name).where(Contact.id != helpdesk.id).order_by(Contact.id)
        ).all()
        == others
    )
    assert db.session.execute(select(Call.id, Call.status).order_by(Call.id)).all() == statuses
