"""The seed's worked case as demo data: client Amarant and its Joomla intranet.

Project side: Rob (project lead), Ronald (developer), Jira-ICT (trainer from another
firm), Kovoks (LAMP hosting, 2nd line platform). SLA side: Bas Vredeling (SLA manager);
2nd line Ronald, Rob, Anja; 3rd line Ronald.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from hub import auth, calls, directory
from hub.db import db
from hub.models import Client

PEOPLE = [
    dict(
        key="bas",
        email="bas@2value.example",
        name="Bas Vredeling",
        kind="staff",
        organisation="2Value",
        roles=["sla_manager"],
        lines=["1-general"],
    ),
    dict(
        key="rob",
        email="rob@2value.example",
        name="Rob",
        kind="staff",
        organisation="2Value",
        roles=["project_lead"],
        lines=["1-product", "2-application"],
    ),
    dict(
        key="ronald",
        email="ronald@2value.example",
        name="Ronald",
        kind="associate",
        organisation="2Value",
        roles=["developer"],
        lines=["2-application", "3-application"],
        certified=["joomla"],
    ),
    dict(
        key="anja",
        email="anja@2value.example",
        name="Anja",
        kind="associate",
        organisation="2Value",
        roles=[],
        lines=["1-product", "2-application"],
        certified=["joomla"],
    ),
    dict(
        key="jira-ict",
        name="Jira-ICT",
        kind="external",
        organisation="Jira-ICT",
        roles=["trainer"],
        lines=[],
    ),
    dict(
        key="kovoks",
        email="support@kovoks.example",
        name="Kovoks",
        kind="external",
        organisation="Kovoks",
        roles=["platform_provider"],
        lines=["2-platform"],
    ),
]

TARGETS = {  # minutes in business time: response, resolution
    "P1": {"response_minutes": 30, "resolution_minutes": 240},
    "P2": {"response_minutes": 120, "resolution_minutes": 960},
    "P3": {"response_minutes": 480, "resolution_minutes": 2400},
    "P4": {"response_minutes": 960, "resolution_minutes": 4800},
}

WORKING_HOURS = {day: ["08:30", "17:30"] for day in ("mon", "tue", "wed", "thu", "fri")}


def load_if_empty() -> dict[str, Any] | None:
    """Load the demo when there are no clients; returns the new logins and a token."""
    if db.session.scalar(select(Client.id).limit(1)) is not None:
        return None
    for person in PEOPLE:
        directory.create_person(**person)
    client = directory.create_client(key="amarant", name="Amarant")
    for name, role in (
        ("Amarantweb", "users"),
        ("Helpdesk Amarant", "helpdesk"),
        ("Functioneel beheer Amarant", "functional/technical administrators"),
        ("Service Management Amarant", "central reporting point"),
    ):
        directory.add_contact(client, name=name, role=role)
    directory.create_contract(
        client="amarant",
        reference="amarant-sla-2026",
        name="Amarant intranet SLA",
        availability="Mon–Fri 08:30–17:30 (Europe/Amsterdam), except Dutch public holidays",
        calendar={"working_hours": WORKING_HOURS, "country": "NL"},
        services=[
            "helpdesk",
            "incident_management",
            "problem_management",
            "configuration_management",
            "change_management",
            "release_management",
        ],
        fixed_fee=Decimal("2400.00"),
        hours_card=Decimal("40.00"),
        valid_from=date(2026, 1, 1),
        valid_until=date(2027, 12, 31),
        targets=TARGETS,
    )
    directory.create_application(
        client="amarant",
        key="amarant-intranet",
        name="Amarant intranet",
        url="https://intranet.amarant.example",
        product_line="joomla",
        platform_provider="Kovoks",
        team=[
            {"person": "rob", "role": "project_lead"},
            {"person": "ronald", "role": "developer"},
            {"person": "jira-ict", "role": "trainer"},
            {"person": "kovoks", "role": "platform_provider"},
            {"person": "ronald", "role": "3rd_line"},
            {"person": "anja", "role": "2nd_line"},
        ],
    )
    db.session.flush()
    _calls()
    users = {}
    for username, role, person, client_key in (
        ("admin", "admin", None, None),
        ("bas", "sla_manager", "bas", None),
        ("anja", "associate", "anja", None),
        ("amarant", "client_viewer", None, "amarant"),
    ):
        password = secrets.token_urlsafe(12)
        auth.create_user(username, password, role, person=person, client=client_key)
        users[username] = (role, password)
    db.session.flush()
    token = auth.create_token("admin", "demo")
    db.session.commit()
    return {"users": users, "token": token}


def plan_roster(now: datetime | None = None) -> int:
    """Plan the demo's duty roster for this month and the next (``slahub demo`` does, so
    the dashboard shows who is on duty; the tests' demo starts without a roster)."""
    from hub.sla import roster

    year, month = roster.this_month(now)
    made = 0
    for y, m in ((year, month), (year + month // 12, month % 12 + 1)):
        made += len(roster.generate_month("joomla", y, m, now=now))
    db.session.commit()
    return made


def _calls() -> None:
    kw = dict(
        source="demo", client="amarant", application="amarant-intranet", reporter="Helpdesk Amarant"
    )
    c1 = calls.create(
        actor="demo",
        title="Intranet login fails for all users",
        priority="P1",
        category="incident",
        description="Since 08:10 nobody can log in.",
        **kw,
    )
    calls.transition(c1, "acknowledged", actor="user:bas", note="Picked up; checking the server.")
    calls.update(
        c1,
        actor="user:bas",
        line="2-platform",
        assignee="kovoks",
        note="Database server unreachable: to Kovoks.",
    )
    calls.transition(c1, "in_progress", actor="user:kovoks")
    calls.add_time(c1, actor="user:anja", person="anja", minutes=25, note="Triage")
    c2 = calls.create(
        actor="demo",
        title="How do I add a news item to the front page?",
        priority="P4",
        category="question",
        **kw,
    )
    calls.transition(c2, "acknowledged", actor="user:anja")
    calls.transition(c2, "resolved", actor="user:anja", note="Explained the 'featured' flag.")
    c3 = calls.create(
        actor="demo", title="Upgrade the Joomla core", priority="P3", category="change", **kw
    )
    calls.transition(c3, "acknowledged", actor="user:rob")
    calls.escalate(
        c3,
        actor="user:rob",
        kind="functional",
        to_line="3-application",
        to_person="ronald",
        reason="Code change and release: the developer.",
    )
