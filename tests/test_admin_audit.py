"""The audit trail through the admin pages (no browser): each admin form writes one entry
with the logged-in user as actor and none when refused; the audit page shows the changed
keys as before → after, filters, pages and exports; associates and client viewers get 403."""

from __future__ import annotations

import csv
import io
import re

import pytest

from hub import audit, directory
from hub.admin.audit import PAGE_SIZE
from hub.db import db
from tests.test_admin_directory import CONTRACT, manager, post  # noqa: F401 (fixture)
from tests.test_admin_login import log_in, user
from tests.test_admin_outbox import dead_delivery
from tests.test_audit import last_id, new_entries

EDIT = {k: v for k, v in CONTRACT.items() if k not in ("client", "reference")}

#: (path, good form, refused form or None, action, subject kind, subject key, changed key)
FORMS = [
    ("/contracts/amarant-sla-2026/edit", {**EDIT, "warning_percent": "66"},
     {**EDIT, "timezone": "Nowhere/Land"}, "contract.update", "contract", "amarant-sla-2026",
     "warning_percent"),
    ("/clients/amarant/edit", {"name": "Amarant BV"}, {"name": ""}, "client.update", "client",
     "amarant", "name"),
    ("/people/new", {"key": "pieter", "name": "Pieter", "kind": "associate"},
     {"key": "Pieter!", "name": "Pieter", "kind": "associate"}, "person.create", "person",
     "pieter", "name"),
    ("/roster/certify?month=2027-01&line=drupal", {"associate": "anja", "certified": "1"}, None,
     "person.certify", "person", "anja", "certified"),
    ("/applications/amarant-intranet/certification", {"tested": "yes", "note": "intake"}, None,
     "application.certify", "application", "amarant-intranet", "certified"),
    ("/pay/tariffs", {"item": "duty", "valid_from": "2027-01-01", "amount": "35"},
     {"item": "duty", "valid_from": "2027-01-01", "amount": "lots"}, "tariff.create", "tariff",
     "duty", "amount_cents"),
    ("/contracts/amarant-sla-2026/hours/settings", {"unit_minutes": "30", "overdraft_hours": "1"},
     {"unit_minutes": "0", "overdraft_hours": "1"}, "hours.configure", "contract",
     "amarant-sla-2026", "unit_minutes"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("path", "good", "bad", "action", "kind", "key", "changed"), FORMS, ids=[f[3] for f in FORMS]
)
def test_each_admin_form_writes_one_entry_by_the_user(
    app,
    manager,  # noqa: F811 - the fixture imported above
    path,
    good,
    bad,
    action,
    kind,
    key,
    changed,
):
    before = last_id(app)
    if bad is not None:
        assert 400 <= post(manager, path, bad).status_code < 500
        assert new_entries(app, before) == [], "a refused change leaves no entry"
    assert post(manager, path, good).status_code == 303
    [entry] = new_entries(app, before)
    assert (entry["action"], entry["subject_kind"], entry["subject_key"]) == (action, kind, key)
    assert entry["actor"] == "bas" and entry["request_id"]
    assert changed in entry["after"]
    if entry["before"] is not None:
        assert entry["before"][changed] != entry["after"][changed]


def test_a_team_member_removed_and_a_redrive_are_recorded(app, client, demo):
    log_in(client, *user(demo, "admin"))
    page = client.get("/applications/amarant-intranet").get_data(as_text=True)
    member = re.search(r"/applications/amarant-intranet/team/(\d+)/remove", page).group(1)
    delivery_id = dead_delivery(app)
    before = last_id(app)
    post(client, f"/applications/amarant-intranet/team/{member}/remove", {})
    post(client, f"/outbox/{delivery_id}/redrive", {})
    post(client, f"/outbox/{delivery_id}/redrive", {})  # refused: no longer dead
    team, redrive = new_entries(app, before)
    assert (team["action"], team["actor"]) == ("application.update", "admin")
    assert len(team["before"]["team"]) == len(team["after"]["team"]) + 1
    assert (redrive["action"], redrive["subject_key"]) == ("delivery.redrive", str(delivery_id))
    assert (redrive["before"]["state"], redrive["after"]["state"]) == ("dead", "pending")


# --- the audit page ---------------------------------------------------------------------


def test_the_page_shows_changes_filters_pages_and_exports(app, manager):  # noqa: F811
    post(manager, "/clients/amarant/edit", {"name": "Amarant BV"})
    page = manager.get("/audit").get_data(as_text=True)
    assert "<h1>Audit trail</h1>" in page
    rows = page[page.index("<tbody>") :]  # (the filter's options name every action too)
    assert "<del>Amarant</del> → <ins>Amarant BV</ins>" in rows
    assert rows.index("<td>client.update</td>") < rows.index("<td>user.create</td>"), "newest"
    mine = manager.get("/audit?actor=bas").get_data(as_text=True)
    mine = mine[mine.index("<tbody>") :]
    assert "<td>client.update</td>" in mine and "<td>user.create</td>" not in mine
    assert "1 entry" in manager.get("/audit?actor=BAS").get_data(as_text=True)
    none = manager.get("/audit?subject_kind=client&subject_key=nobody").get_data(as_text=True)
    assert "No entries." in none
    with app.app_context(), audit.acting_as("bulk-import"):
        for n in range(PAGE_SIZE + 1):
            directory.create_client(key=f"bulk-{n:02d}", name=f"Bulk {n}")
        db.session.commit()
    first = manager.get("/audit?actor=bulk").get_data(as_text=True)
    assert "bulk-50" in first and "bulk-00" not in first, "newest first, 50 a page"
    assert 'href="/audit?page=2&amp;actor=bulk" rel="next"' in first
    second = manager.get("/audit?actor=bulk&page=2").get_data(as_text=True)
    assert "bulk-00" in second and 'rel="prev"' in second and 'rel="next"' not in second
    bad = manager.get("/audit?since=soon")
    assert bad.status_code == 422 and "since" in bad.get_data(as_text=True)
    as_csv = manager.get("/audit.csv?actor=bas")
    assert as_csv.status_code == 200 and as_csv.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(as_csv.get_data(as_text=True))))
    assert [(r["actor"], r["action"]) for r in rows] == [("bas", "client.update")]
    as_json = manager.get("/audit.json?subject_kind=client&subject_key=amarant").json
    assert [e["action"] for e in as_json][0] == "client.update"
    assert as_json[0]["after"] == {"name": "Amarant BV"}
    assert manager.get("/audit.json?until=whenever").status_code == 422


@pytest.mark.parametrize("role", ["associate", "client_viewer"])
def test_associates_and_client_viewers_may_not_see_the_trail(client, demo, role):
    log_in(client, *user(demo, role))
    for path in ("/audit", "/audit.csv", "/audit.json"):
        assert client.get(path).status_code == 403
    assert 'href="/audit"' not in client.get("/").get_data(as_text=True)


def test_the_navigation_shows_the_trail_to_managers(client, demo):
    log_in(client, *user(demo, "sla_manager"))
    assert 'href="/audit"' in client.get("/").get_data(as_text=True)
