"""Who may open which admin page: every page and every change, for every role and for a
visitor who is not logged in. A new page without a row here fails the coverage test."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from hub import calls as call_service
from hub import directory
from hub.db import db
from hub.models import Application, ApplicationMember, Call, CallEvent, Client, Contact
from tests.test_admin_login import csrf_from, log_in, user
from tests.test_admin_outbox import dead_delivery

ALL = ("admin", "sla_manager", "associate", "client_viewer")
STAFF = ("admin", "sla_manager", "associate")
MANAGERS = ("admin", "sla_manager")
JUDGES = ("admin", "sla_manager", "client_viewer")  # the client's verdict on hours
ROLES = ("anonymous", *ALL)

OWN_CALL, OTHER_CALL = "{own_call}", "{other_call}"

#: GET pages: path → roles that may open it (others get 403; a visitor, the login form).
#: The client viewer belongs to the demo client "amarant"; "other" is another client's.
PAGES: dict[str, tuple[str, ...]] = {
    "/": ALL,
    "/calls": ALL,
    "/calls/new": STAFF,
    f"/calls/{OWN_CALL}": ALL,
    f"/calls/{OTHER_CALL}": STAFF,
    "/clients": ALL,
    "/clients/new": MANAGERS,
    "/clients/amarant": ALL,
    "/clients/other": STAFF,
    "/clients/amarant/edit": MANAGERS,
    "/contracts": ALL,
    "/contracts/new": MANAGERS,
    "/contracts/amarant-sla-2026": ALL,
    "/contracts/other-sla": STAFF,
    "/contracts/amarant-sla-2026/edit": MANAGERS,
    "/applications": ALL,
    "/applications/new": MANAGERS,
    "/applications/amarant-intranet": ALL,
    "/applications/other-site": STAFF,
    "/applications/amarant-intranet/edit": MANAGERS,
    "/people": STAFF,
    "/people/new": MANAGERS,
    "/people/bas": STAFF,
    "/people/bas/edit": MANAGERS,
    "/outbox": MANAGERS,
    "/plugins": MANAGERS,
    "/roster": STAFF,
    "/roster?month=2027-01&line=drupal": STAFF,
    "/reports": ALL,
    "/reports?client=amarant&period=2026-11": ALL,
    "/reports?client=other&period=2026-Q4": STAFF,
    "/reports.csv?client=amarant&period=2026-11": ALL,
    "/reports.csv?client=other&period=2026-11": STAFF,
    "/documentation": ALL,
    "/hours": ALL,
    "/contracts/amarant-sla-2026/hours": ALL,
    "/contracts/other-sla/hours": STAFF,
    "/pay": MANAGERS,
    "/pay/people/anja": MANAGERS,
    "/pay/statements/anja/2026-Q1": MANAGERS,
    "/pay/statements/anja/2026-Q1.csv": MANAGERS,
    "/privacy": ("admin",),
    "/privacy/clients/amarant": ("admin",),
    "/privacy/clients/amarant/export.json": ("admin",),
    "/privacy/contacts/1/export.json": ("admin",),
    "/preferences": ALL,
    "/audit": MANAGERS,
    "/audit?actor=bas&since=2026-01-01": MANAGERS,
    "/audit.csv": MANAGERS,
    "/audit.json?subject_kind=contract": MANAGERS,
}

#: POST changes: path → roles that may make it. Each is checked to change nothing when
#: refused (see ``_fingerprint``).
CHANGES: dict[str, tuple[str, ...]] = {
    f"/calls/{OWN_CALL}/transition": STAFF,
    f"/calls/{OWN_CALL}/note": STAFF,
    f"/calls/{OWN_CALL}/time": STAFF,
    f"/calls/{OWN_CALL}/escalate": STAFF,
    f"/calls/{OWN_CALL}/document": STAFF,
    "/documentation/sync": MANAGERS,
    "/preferences": ALL,
    "/applications/amarant-intranet/certification": MANAGERS,
    "/calls/new": STAFF,
    "/clients/new": MANAGERS,
    "/clients/amarant/edit": MANAGERS,
    "/clients/amarant/contacts": MANAGERS,
    "/contracts/new": MANAGERS,
    "/contracts/amarant-sla-2026/edit": MANAGERS,
    "/contracts/amarant-sla-2026/ics": MANAGERS,
    "/applications/new": MANAGERS,
    "/applications/amarant-intranet/edit": MANAGERS,
    "/applications/amarant-intranet/team": MANAGERS,
    "/applications/amarant-intranet/team/{member}/remove": MANAGERS,
    "/people/new": MANAGERS,
    "/people/bas/edit": MANAGERS,
    "/outbox/{dead}/redrive": ("admin",),
    "/outbox/{dead}/discard": ("admin",),
    "/roster/generate": MANAGERS,
    "/roster/swap": MANAGERS,
    "/roster/reassign": MANAGERS,
    "/roster/unavailable": STAFF,
    "/roster/unavailable/1/remove": STAFF,
    "/roster/certify": MANAGERS,
    f"/calls/{OWN_CALL}/hours-verdict": JUDGES,
    "/contracts/amarant-sla-2026/hours/purchases": MANAGERS,
    "/contracts/amarant-sla-2026/hours/settings": MANAGERS,
    "/contracts/amarant-sla-2026/hours/resolve": MANAGERS,
    "/pay/tariffs": MANAGERS,
    "/pay/activity/handover": MANAGERS,
    "/pay/activity/meeting": MANAGERS,
    "/pay/activity/exam": MANAGERS,
    "/pay/statements/anja/2026-Q1/issue": MANAGERS,
    "/privacy/contacts/1/erase": ("admin",),
}

#: What each change posts (valid input, so that an allowed role's change goes through).
FORMS: dict[str, dict[str, str]] = {
    "transition": {"to": "in_progress"},
    "note": {"note": "a note"},
    "time": {"person": "bas", "minutes": "10"},
    "escalate": {"kind": "functional", "to_line": "3-application", "reason": "needs code"},
    "/calls/new": {"client": "amarant", "title": "By form", "priority": "P3",
                   "category": "incident"},
    "/clients/new": {"key": "new-client", "name": "New client"},
    "contacts": {"name": "Jan"},
    "team": {"person": "bas", "role": "tester"},
    "/roster/generate": {"month": "2027-01", "line": "joomla", "days": "2.5", "start_hour": "8"},
    "swap": {"shift_a": "1", "shift_b": "2"},
    "reassign": {"shift": "1", "person": "ronald"},
    "unavailable": {"who": "anja", "day": "2027-01-20", "reason": "course"},
    "certify": {"associate": "anja", "certified": "1"},
    "document": {"cause": "a stale cache", "resolution": "cleared it"},
    "/documentation/sync": {"client": "amarant"},
    "certification": {"tested": "yes", "note": "intake"},
    "hours-verdict": {"verdict": "disputed", "score": "3", "comment": "too long"},
    "purchases": {"bought_on": "2026-11-01", "hours": "10", "amount": "850"},
    "settings": {"unit_minutes": "30", "overdraft_hours": "1"},
    "resolve": {"call": "1", "action": "write_off"},
    "/pay/tariffs": {"item": "duty", "valid_from": "2027-01-01", "amount": "35"},
    "handover": {"person": "anja", "application": "amarant-intranet", "day": "2026-10-01"},
    "meeting": {"person": "anja", "day": "2026-10-02"},
    "erase": {"confirm": "1"},
    "exam": {"person": "ronald", "kind": "exam", "product_line": "drupal", "day": "2026-10-03",
             "passed": "1"},
}  # fmt: skip


@pytest.fixture
def world(app, demo):  # noqa: ANN001,ANN201
    """The demo plus another client with a contract, an application and a call."""
    with app.app_context():
        directory.create_client(key="other", name="Other client")
        directory.create_contract(
            client="other", reference="other-sla", name="Other SLA", valid_from=date(2026, 1, 1),
            targets={p: {"response_minutes": 60, "resolution_minutes": 480}
                     for p in ("P1", "P2", "P3", "P4")},
        )  # fmt: skip
        directory.create_application(client="other", key="other-site", name="Their site")
        other = call_service.create(actor="test", source="test", client="other", title="Theirs")
        own = db.session.scalars(
            select(Call).where(Call.status == "acknowledged").order_by(Call.id)
        ).first()
        member = db.session.scalars(select(ApplicationMember).order_by(ApplicationMember.id))
        db.session.commit()
        ids = {"own_call": own.id, "other_call": other.id, "member": member.first().id}
    ids["dead"] = dead_delivery(app)
    return ids


def _fill(path: str, ids: dict) -> str:
    return path.format(**ids)


def _fingerprint(app) -> tuple:  # noqa: ANN001
    """Counts and values a refused change would have touched."""
    with app.app_context():
        count = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
        amarant = db.session.scalar(select(Client).where(Client.key == "amarant"))
        from hub.models import OutboxDelivery

        return (
            count(CallEvent), count(Call), count(Client), count(Contact),
            count(Application), count(ApplicationMember), amarant.name,
            tuple(db.session.scalars(select(OutboxDelivery.state).order_by(OutboxDelivery.id))),
        )  # fmt: skip


def test_every_admin_page_and_change_is_in_the_matrix(app):
    rules = {
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("admin.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    covered = {
        "/", "/calls", "/calls/new", "/calls/<int:call_id>", "/clients", "/clients/new",
        "/clients/<key>", "/clients/<key>/edit", "/contracts", "/contracts/new",
        "/contracts/<key>", "/contracts/<key>/edit", "/applications", "/applications/new",
        "/applications/<key>", "/applications/<key>/edit", "/people", "/people/new",
        "/people/<key>", "/people/<key>/edit", "/outbox", "/plugins",
        "/roster",
        "/reports", "/reports.csv", "/documentation",
        "/hours", "/contracts/<key>/hours",
        "/pay", "/pay/people/<key>", "/pay/statements/<key>/<quarter>",
        "/pay/statements/<key>/<quarter>.csv", "/preferences",
        "/privacy", "/privacy/clients/<key>", "/privacy/clients/<key>/export.json",
        "/privacy/contacts/<int:contact_id>/export.json",
        "/audit", "/audit.<any(csv, json):fmt>",
    }  # fmt: skip
    changes = {
        "/calls/<int:call_id>/transition", "/calls/<int:call_id>/note",
        "/calls/<int:call_id>/time", "/calls/<int:call_id>/escalate", "/calls/new",
        "/clients/new", "/clients/<key>/edit",
        "/clients/<key>/contacts", "/contracts/new", "/contracts/<key>/edit",
        "/contracts/<key>/ics",
        "/applications/new", "/applications/<key>/edit", "/applications/<key>/team",
        "/applications/<key>/team/<int:member_id>/remove", "/people/new", "/people/<key>/edit",
        "/outbox/<int:delivery_id>/<any(redrive, discard):action>",
        "/roster/generate", "/roster/swap", "/roster/reassign", "/roster/unavailable",
        "/roster/unavailable/<int:row_id>/remove", "/roster/certify",
        "/calls/<int:call_id>/document", "/documentation/sync",
        "/applications/<key>/certification",
        "/calls/<int:call_id>/hours-verdict", "/contracts/<key>/hours/purchases",
        "/contracts/<key>/hours/settings", "/contracts/<key>/hours/resolve",
        "/pay/tariffs", "/pay/activity/<any(handover, meeting, exam):kind>",
        "/pay/statements/<key>/<quarter>/issue", "/preferences",
        "/privacy/contacts/<int:contact_id>/erase",
    }  # fmt: skip
    public = {("/login", "GET"), ("/login", "POST"), ("/logout", "POST")}
    expected = {(r, "GET") for r in covered} | {(r, "POST") for r in changes} | public
    assert rules == expected, "a page was added or removed: add it to PAGES/CHANGES"


@pytest.mark.parametrize("role", ROLES)
def test_each_role_opens_exactly_the_pages_it_may(app, client, demo, world, role, subtests):
    if role != "anonymous":
        log_in(client, *user(demo, role))
    for path, allowed in PAGES.items():
        url = _fill(path, world)
        with subtests.test(page=url):
            resp = client.get(url)
            if role == "anonymous":
                assert resp.status_code == 302
                assert resp.headers["Location"].startswith("/login?next=")
            elif role in allowed:
                assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
            else:
                assert resp.status_code == 403
                assert "<h1>Not allowed</h1>" in resp.get_data(as_text=True)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_makes_exactly_the_changes_it_may(app, client, demo, world, role, subtests):
    if role != "anonymous":
        log_in(client, *user(demo, role))
    for path, allowed in CHANGES.items():
        url = _fill(path, world)
        data = FORMS.get(path) or FORMS.get(path.rstrip("/").split("/")[-1], {})
        with subtests.test(change=url):
            token = csrf_from(client.get("/login").get_data(as_text=True))
            before = _fingerprint(app)
            resp = client.post(url, data={"csrf_token": token, **data})
            if role == "anonymous":
                assert resp.status_code == 302 and "/login" in resp.headers["Location"]
            elif role in allowed:
                assert resp.status_code in (200, 303, 422), (resp.status_code, url)
                continue
            else:
                assert resp.status_code == 403, (resp.status_code, url)
                page = resp.get_data(as_text=True)
                needed = " or ".join(r.replace("_", " ").replace("sla", "SLA") for r in allowed)
                assert needed in page, "the page names the role that is needed"
            assert _fingerprint(app) == before, "a refused change wrote something"
