"""Certification: a project is accepted into the SLA only after an intake checklist.

The checklist combines what the hub can see (the service wiki's page, the 3rd-line
developer named, the team trained for the product line, no critical site check
failing) with what people confirm (tested before delivery, in version control, handover
done). A decision is recorded with its reasons, date and who; a certified application
whose site later fails a critical check shows as "certification at risk".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from hub import audit
from hub.db import db, utcnow
from hub.errors import Invalid
from hub.models import Application, Certification, DocPage
from hub.sitechecks import last_run


@dataclass(frozen=True)
class Item:
    key: str
    title: str
    manual: bool


CHECKLIST = (
    Item("wiki_page", "Documentation page present in the service wiki", False),
    Item("tested", "Tested before delivery", True),
    Item("version_control", "In version control", True),
    Item("handover", "Handover done", True),
    Item("developer", "The 3rd-line developer named", False),
    Item("trained", "The team trained for the product line", False),
    Item("site_checks", "Site checked, no critical check failing", False),
)
MANUAL = tuple(i.key for i in CHECKLIST if i.manual)
#: How the team's training reads beside "not assessed".
TEAM_WORDS = {"certified": "team trained", "not certified": "team not trained"}


def automatic(application: Application) -> dict[str, bool]:
    """What the hub can see for the checklist's automatic items."""
    from hub.docdata import certification as trained  # (docdata renders the same facts)

    page = db.session.scalar(
        select(DocPage.id).where(DocPage.kind == "application", DocPage.key == application.key)
    )
    run = last_run(application.id)
    return {
        "wiki_page": page is not None,
        "developer": any(m.role in ("3rd_line", "developer") for m in application.team),
        "trained": trained(application)["state"] == "certified",
        "site_checks": run is not None and not run.critical,
    }


def decide(
    application: Application, *, answers: dict[str, Any], actor: str, note: str | None = None
) -> Certification:
    """Record an intake decision from the manual answers (each item's key → yes/no) and
    what the hub sees now; certified only when every item holds."""
    unknown = set(answers) - set(MANUAL)
    if unknown:
        raise Invalid(f"unknown checklist items: {', '.join(sorted(unknown))}", "items")
    items = {key: bool(answers.get(key)) for key in MANUAL} | automatic(application)
    reasons = [i.title for i in CHECKLIST if not items[i.key]]
    previous = latest(application)
    decision = Certification(
        application_id=application.id, certified=not reasons, reasons=reasons, items=items,
        decided_at=utcnow(), decided_by=actor, note=(note or "").strip() or None,
    )  # fmt: skip
    db.session.add(decision)
    db.session.flush()
    audit.record(
        None, "application.certify", "application", application.key,
        audit.snapshot(previous) if previous else None, audit.snapshot(decision),
    )  # fmt: skip
    from hub import documentation  # the application's wiki page shows the state

    documentation.request("application", application.key, "certification decided")
    return decision


def latest(application: Application) -> Certification | None:
    return db.session.scalar(
        select(Certification)
        .where(Certification.application_id == application.id)
        .order_by(Certification.decided_at.desc(), Certification.id.desc())
        .limit(1)
    )


def state(application: Application) -> dict[str, Any]:
    """``certified``, ``not certified``, ``certification at risk`` (certified, but a
    critical site check fails now) or ``not assessed``; with the decision's reasons."""
    decision = latest(application)
    if decision is None:
        return {"state": "not assessed", "reasons": [], "decided_at": None, "decided_by": None}
    run = last_run(application.id)
    at_risk = decision.certified and run is not None and bool(run.critical)
    label = "certified" if decision.certified else "not certified"
    return {
        "state": "certification at risk" if at_risk else label,
        "reasons": list(decision.reasons)
        + ([f"critical site checks failing: {', '.join(run.critical)}"] if at_risk else []),
        "decided_at": decision.decided_at.isoformat(),
        "decided_by": decision.decided_by,
    }


def for_pages(application: Application, trained: dict[str, Any]) -> dict[str, Any]:
    """The certification as the wiki and admin pages show it: the intake decision's state
    and reasons when there is one, else whether the team is trained (not assessed)."""
    decided = state(application)
    if decided["state"] == "not assessed":
        team = TEAM_WORDS.get(trained["state"], trained["state"])
        return {**trained, "state": f"not assessed ({team})", "reasons": []}
    return {**trained, "state": decided["state"], "reasons": decided["reasons"]}
