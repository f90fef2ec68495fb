"""What associates did that the hub does not otherwise know: handover sessions (once per
associate per application), team meetings, trainings and exams.

Exams and the roster: ``Person.certified`` stays the roster's source (its pool, see
:func:`hub.sla.roster.pool`). A passed exam adds its product line to ``certified``; a
failed exam or a training does not change it (a manager may still certify by hand, as
before). So the roster needs no second rule, and its tests keep their meaning.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from hub.db import db
from hub.errors import Conflict, Invalid
from hub.models import Application, Exam, HandoverSession, Person, TeamMeeting
from hub.sla import roster

KINDS = ("training", "exam")


def _associate(person: Person, field: str = "person") -> Person:
    if person.kind != "associate":
        raise Invalid(f"{person.key} is not an associate", field)
    return person


def add_handover(
    person: Person, application: Application, day: date, *, actor: str, note: str | None = None
) -> HandoverSession:
    _associate(person)
    done = db.session.scalar(
        select(HandoverSession).where(
            HandoverSession.person_id == person.id,
            HandoverSession.application_id == application.id,
        )
    )
    if done is not None:
        raise Conflict(
            f"{person.key} already had the handover of {application.key} "
            f"({done.day.isoformat()}); it is paid once",
            "application",
        )
    row = HandoverSession(
        person=person, application=application, day=day, note=note, created_by=actor
    )
    db.session.add(row)
    db.session.flush()
    return row


def add_meeting(person: Person, day: date, *, actor: str, note: str | None = None) -> TeamMeeting:
    _associate(person)
    clash = db.session.scalar(
        select(TeamMeeting.id).where(TeamMeeting.person_id == person.id, TeamMeeting.day == day)
    )
    if clash is not None:
        raise Conflict(f"{person.key} already has a team meeting on {day.isoformat()}", "day")
    row = TeamMeeting(person=person, day=day, note=note, created_by=actor)
    db.session.add(row)
    db.session.flush()
    return row


def add_exam(
    person: Person, day: date, kind: str, product_line: str, passed: bool | None, *, actor: str
) -> Exam:
    """Record a training or an exam; a passed exam certifies for the product line."""
    _associate(person)
    if kind not in KINDS:
        raise Invalid(f"kind must be one of {', '.join(KINDS)}", "kind")
    roster.check_line(product_line)
    if kind == "exam" and passed is None:
        raise Invalid("an exam is passed or not: say which", "passed")
    if kind == "training":
        passed = None
    row = Exam(
        person=person,
        day=day,
        kind=kind,
        product_line=product_line,
        passed=passed,
        created_by=actor,
    )
    db.session.add(row)
    if passed:
        roster.set_certified(person, [*(person.certified or []), product_line])
    db.session.flush()
    return row


def of(person: Person) -> dict[str, list[Any]]:
    """An associate's recorded activity, newest first."""

    def rows(model: Any) -> list[Any]:  # noqa: ANN401
        stmt = select(model).where(model.person_id == person.id)
        return list(db.session.scalars(stmt.order_by(model.day.desc(), model.id.desc())))

    return {"handovers": rows(HandoverSession), "meetings": rows(TeamMeeting), "exams": rows(Exam)}


def as_json(found: dict[str, list[Any]]) -> dict[str, list[dict[str, Any]]]:
    return {
        "handovers": [
            {"id": h.id, "application": h.application.key, "day": h.day.isoformat(), "note": h.note}
            for h in found["handovers"]
        ],
        "meetings": [
            {"id": m.id, "day": m.day.isoformat(), "note": m.note} for m in found["meetings"]
        ],
        "exams": [
            {
                "id": e.id,
                "day": e.day.isoformat(),
                "kind": e.kind,
                "product_line": e.product_line,
                "passed": e.passed,
            }
            for e in found["exams"]
        ],
    }
