"""The audit trail: one entry per admin action through the API and the CLI, written in
the change's own transaction with who, the changed keys before and after, and the request
id; none for a refused change; the API's filters and exports; ``slahub audit export``.
(The admin pages' actions and the audit page: ``test_admin_audit.py``.)"""

from __future__ import annotations

import csv
import io
import json
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask, has_app_context
from sqlalchemy import func, select

from hub import audit, directory, requestid
from hub.cli import main
from hub.db import db
from hub.models import AuditEntry, OutboxDelivery
from tests.conftest import bearer

API = "/api/v1"


def context(app: Flask) -> AbstractContextManager:
    """The app context already there (its session: SQLite would wait on a second one
    while the first holds its transaction), else a new one."""
    return nullcontext() if has_app_context() else app.app_context()


def last_id(app: Flask) -> int:
    with context(app):
        return db.session.scalar(select(func.max(AuditEntry.id))) or 0


def new_entries(app: Flask, after: int) -> list[dict]:
    """The entries written since ``after`` (an id from :func:`last_id`), oldest first."""
    with context(app):
        rows = db.session.scalars(
            select(AuditEntry).where(AuditEntry.id > after).order_by(AuditEntry.id)
        )
        return [
            {c: getattr(r, c) for c in ("actor", "action", "subject_kind", "subject_key",
                                        "before", "after", "request_id")}
            for r in rows
        ]  # fmt: skip


def dead_delivery(app: Flask) -> int:
    with app.app_context():
        row = OutboxDelivery(hook="hub_call_created", plugin="jira", payload={"call": {"id": 1}},
                             state="dead", attempts=8, last_error="Jira answered 503")  # fmt: skip
        db.session.add(row)
        db.session.commit()
        return row.id


# --- the transaction -------------------------------------------------------------------


def test_a_rolled_back_change_leaves_no_entry_and_a_committed_one_has_one(ctx):
    before = last_id(ctx)
    directory.create_client(key="gone", name="Rolled back")
    db.session.rollback()
    assert new_entries(ctx, before) == []
    with requestid.bound("req-42"):
        directory.create_client(key="kept", name="Committed")
    db.session.commit()
    [entry] = new_entries(ctx, before)
    assert entry["action"] == "client.create" and entry["subject_key"] == "kept"
    assert entry["actor"] == "cli", "outside a request the actor is the command line"
    assert entry["request_id"] == "req-42"
    assert entry["before"] is None and entry["after"]["name"] == "Committed"


def test_an_unchanged_save_is_not_recorded_and_acting_as_names_the_actor(ctx):
    contract = directory.get(directory.Contract, "reference", "amarant-sla-2026")
    before = last_id(ctx)
    directory.update_contract(contract, name=contract.name)
    db.session.commit()
    assert new_entries(ctx, before) == []
    with audit.acting_as("import-script"):
        directory.update_contract(contract, warning_percent=contract.warning_percent - 5)
    db.session.commit()
    [entry] = new_entries(ctx, before)
    assert entry["actor"] == "import-script"
    assert entry["before"] == {"warning_percent": contract.warning_percent + 5}
    assert entry["after"] == {"warning_percent": contract.warning_percent}


def test_snapshots_are_json_safe_and_keep_no_secrets(ctx):
    from hub import auth

    before = last_id(ctx)
    auth.create_user("olga", "a-long-enough-password", "admin")
    auth.create_token("olga", "ci")
    db.session.commit()
    user, token = new_entries(ctx, before)
    assert (user["action"], token["action"]) == ("user.create", "token.create")
    assert user["after"]["role"] == "admin" and "password_hash" not in user["after"]
    assert token["after"]["name"] == "ci" and "token_hash" not in token["after"]
    datetime.fromisoformat(user["after"]["created_at"])  # ISO text, not a datetime


# --- every kind of action through the API ----------------------------------------------

#: (method, path, good body, bad body, action, subject kind, subject key, key that changes)
ACTIONS = [
    ("POST", "/clients", {"key": "kdv", "name": "KDV"}, {"key": "KDV!", "name": "x"},
     "client.create", "client", "kdv", "name"),
    ("PATCH", "/clients/amarant", {"name": "Amarant BV"}, {"name": ""},
     "client.update", "client", "amarant", "name"),
    ("POST", "/clients/amarant/contacts", {"name": "Els", "email": "els@example.org"},
     {"name": "Els", "email": "no-at"}, "contact.create", "client", "amarant", "email"),
    ("PATCH", "/contracts/amarant-sla-2026", {"warning_percent": 61}, {"warning_percent": 100},
     "contract.update", "contract", "amarant-sla-2026", "warning_percent"),
    ("PATCH", "/contracts/amarant-sla-2026",
     {"targets": {"P1": {"response_minutes": 7, "resolution_minutes": 70}}},
     {"targets": {"P1": {"response_minutes": -7, "resolution_minutes": 70}}},
     "contract.update", "contract", "amarant-sla-2026", "targets"),
    ("PATCH", "/contracts/amarant-sla-2026", {"rules": {"site_check_minutes": 120}},
     {"rules": {"site_check_minutes": float("inf")}},
     "contract.update", "contract", "amarant-sla-2026", "rules"),
    ("PATCH", "/applications/amarant-intranet", {"name": "Intranet 2"}, {"name": None},
     "application.update", "application", "amarant-intranet", "name"),
    ("PATCH", "/people/anja", {"active": False}, {"active": "no"},
     "person.update", "person", "anja", "active"),
    ("PUT", "/people/anja/certified", {"product_lines": ["drupal", "joomla"]},
     {"product_lines": ["cobol"]}, "person.certify", "person", "anja", "certified"),
    ("POST", "/pay/tariffs", {"item": "duty", "valid_from": "2027-01-01", "amount_cents": 3500},
     {"item": "duty", "valid_from": "2027-01-01", "amount_cents": -1},
     "tariff.create", "tariff", "duty", "amount_cents"),
    ("POST", "/contracts/amarant-sla-2026/hours/purchases",
     {"bought_on": "2026-11-01", "hours": "10", "amount": "650.00"},
     {"bought_on": "2026-11-01", "hours": "0", "amount": "650.00"},
     "hours.purchase", "contract", "amarant-sla-2026", "hours"),
    ("POST", "/pay/statements", {"person": "anja", "quarter": "2026-Q1"},
     {"person": "anja", "quarter": "2026-Q5"}, "statement.issue", "person", "anja", "quarter"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "good", "bad", "action", "kind", "key", "changed"),
    ACTIONS,
    ids=[f"{a[4]}:{a[7]}" for a in ACTIONS],
)
def test_each_api_action_writes_one_entry_and_a_refused_one_none(
    app, client, demo, method, path, good, bad, action, kind, key, changed
):
    headers = bearer(demo["tokens"]["admin"])
    before = last_id(app)
    refused = client.open(API + path, method=method, data=json.dumps(bad), headers=headers,
                          content_type="application/json")  # fmt: skip
    assert 400 <= refused.status_code < 500, refused.get_data(as_text=True)
    assert new_entries(app, before) == [], "a refused change leaves no entry"
    resp = client.open(API + path, method=method, json=good, headers=headers)
    assert resp.status_code in (200, 201), resp.get_data(as_text=True)
    [entry] = new_entries(app, before)
    assert (entry["action"], entry["subject_kind"], entry["subject_key"]) == (action, kind, key)
    assert entry["actor"] == "admin (token:demo)"
    assert entry["request_id"] == resp.headers["X-Request-Id"]
    assert changed in entry["after"]
    if entry["before"] is not None:  # a change: only what changed, old and new
        assert entry["before"][changed] != entry["after"][changed]
        assert set(entry["before"]) == set(entry["after"])
        assert "name" not in entry["after"] or changed == "name"


def test_a_contract_change_keeps_the_old_and_new_targets(app, client, demo):
    before = last_id(app)
    body = {"targets": {"P1": {"response_minutes": 7, "resolution_minutes": 70}}}
    headers = bearer(demo["tokens"]["bas"])
    resp = client.patch(f"{API}/contracts/amarant-sla-2026", json=body, headers=headers)
    assert resp.status_code == 200
    [entry] = new_entries(app, before)
    assert entry["actor"] == "bas (token:test)"
    old, new = entry["before"]["targets"], entry["after"]["targets"]
    assert new["P1"] == body["targets"]["P1"] and old["P1"] != new["P1"]
    assert old["P2"] == new["P2"], "the whole targets value, so the diff reads in context"


def test_a_redrive_through_the_api_is_recorded(app, client, demo):
    delivery_id = dead_delivery(app)
    before = last_id(app)
    headers = bearer(demo["tokens"]["admin"])
    assert client.post(f"{API}/outbox/{delivery_id}/redrive", headers=headers).status_code == 200
    again = client.post(f"{API}/outbox/{delivery_id}/redrive", headers=headers)
    assert again.status_code == 409
    [entry] = new_entries(app, before)
    assert (entry["action"], entry["subject_key"]) == ("delivery.redrive", str(delivery_id))
    assert (entry["before"]["state"], entry["before"]["attempts"]) == ("dead", 8)
    assert (entry["after"]["state"], entry["after"]["attempts"]) == ("pending", 0)


# --- the command line ------------------------------------------------------------------


def run(app: Flask, *args: str):  # noqa: ANN201
    result = app.test_cli_runner().invoke(main, list(args))
    return result


def test_cli_user_token_and_redrive_are_recorded_as_cli(app, demo):
    delivery_id = dead_delivery(app)
    before = last_id(app)
    assert run(app, "create-user", "vera", "--role", "sla_manager").exit_code == 0
    assert run(app, "create-user", "vera", "--role", "admin").exit_code != 0, "exists"
    assert run(app, "create-token", "vera", "--name", "ci").exit_code == 0
    assert run(app, "outbox", "redrive", str(delivery_id)).exit_code == 0
    assert run(app, "outbox", "redrive", str(delivery_id)).exit_code != 0, "not dead now"
    entries = new_entries(app, before)
    assert [(e["action"], e["subject_key"]) for e in entries] == [
        ("user.create", "vera"), ("token.create", "vera"), ("delivery.redrive", str(delivery_id))
    ]  # fmt: skip
    assert {e["actor"] for e in entries} == {"cli"}
    assert entries[0]["after"]["role"] == "sla_manager"


def test_cli_export_json_and_csv_with_since(app, demo, tmp_path):
    with app.app_context():
        total = db.session.scalar(select(func.count()).select_from(AuditEntry))
        assert total > 0, "the demo's users and tokens are in the trail"
    out = run(app, "audit", "export")
    assert out.exit_code == 0, out.output
    exported = json.loads(out.output)
    assert len(exported) == total and exported[0]["id"] > exported[-1]["id"], "newest first"
    path = tmp_path / "audit.csv"
    assert run(app, "audit", "export", "--format", "csv", "-o", str(path)).exit_code == 0
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert [int(r["id"]) for r in rows] == [e["id"] for e in exported]
    assert json.loads(rows[0]["after"]) == exported[0]["after"]
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    assert json.loads(run(app, "audit", "export", "--since", tomorrow).output) == []
    only = json.loads(run(app, "audit", "export", "--action", "token").output)
    assert only and {e["action"] for e in only} == {"token.create"}
    bad = run(app, "audit", "export", "--since", "last tuesday")
    assert bad.exit_code == 2 and "--since" in bad.output


# --- filters and exports through the API -----------------------------------------------


def test_api_filters_paging_and_csv(app, client, demo):
    admin, bas = bearer(demo["tokens"]["admin"]), bearer(demo["tokens"]["bas"])
    client.patch(f"{API}/clients/amarant", json={"name": "Amarant BV"}, headers=bas)
    client.patch(f"{API}/people/anja", json={"organisation": "Freelance"}, headers=admin)
    got = lambda **q: client.get(f"{API}/audit", query_string=q, headers=admin)  # noqa: E731
    by_bas = got(actor="BAS").json
    assert [e["action"] for e in by_bas["items"]] == ["client.update"]
    assert got(subject_kind="person", subject_key="anja").json["items"][0]["after"] == {
        "organisation": "Freelance"
    }
    kinds = {e["action"] for e in got(action="client", per_page=500).json["items"]}
    assert kinds == {"client.create", "client.update"}, "the demo's clients were created"
    assert got(action="client.update").json["total"] == 1
    assert got(action="client.upd").json["total"] == 0, "an action is exact or a kind"
    today = datetime.now(UTC).date().isoformat()
    assert got(since=today, until=today).json["total"] == got().json["total"] >= 2
    assert got(until="2000-01-01").json["total"] == 0
    page = got(per_page=1, page=2).json
    assert page["per_page"] == 1 and len(page["items"]) == 1
    assert page["items"][0]["id"] == got().json["items"][1]["id"]
    resp = got(format="csv", subject_kind="person", action="person.update")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    assert [r["subject_key"] for r in rows] == ["anja"]
    for bad, field in (({"since": "yesterday"}, "since"), ({"format": "xml"}, "format"),
                       ({"since": "2026-02-01", "until": "2026-01-01"}, "until"),
                       ({"actor": "x" * 201}, "actor")):  # fmt: skip
        resp = got(**bad)
        assert resp.status_code == 422 and resp.json["field"] == field, bad


@pytest.mark.parametrize("who", ["bas", "anja", "amarant"])
def test_only_an_admin_token_reads_the_trail_over_the_api(client, demo, who):
    resp = client.get(f"{API}/audit", headers=bearer(demo["tokens"][who]))
    assert resp.status_code == 403
