"""Who serves a line for a call: the contract's line plan made concrete per application.

1st line: the application's first-line people; 2nd line platform: its platform provider
(the hosting party); 2nd line application: the associate on duty for its product line
(the roster), else its 2nd-line team member; 3rd line: its developer.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from hub.db import db
from hub.models import Call, Person

#: The team roles (of :class:`~hub.models.ApplicationMember`) that serve each line.
LINE_ROLES: dict[str, tuple[str, ...]] = {
    "1-general": ("first_line",),
    "1-product": ("first_line", "trainer"),
    "2-platform": ("platform_provider",),
    "2-application": ("2nd_line",),
    "3-application": ("3rd_line", "developer"),
}


def on_duty(call: Call, at: datetime) -> Person | None:
    """The associate on duty for the call's product line at ``at``, if a roster has one."""
    if call.application is None:
        return None
    from hub.sla import roster  # the roster is optional to routing: no shift, no one

    return roster.on_duty(at, call.application.product_line)


def servers(call: Call, line: str, at: datetime) -> list[Person]:
    """The people who serve ``line`` for the call, the first of them the one to assign."""
    found: list[Person] = []
    if line == "2-application" and (person := on_duty(call, at)) is not None:
        found.append(person)
    if call.application is not None:
        for role in LINE_ROLES[line]:
            for member in call.application.team:
                if member.role == role and member.person.active and member.person not in found:
                    found.append(member.person)
    return found


def sla_manager(call: Call) -> Person | None:
    """The SLA manager: of the application's team if it names one, else the first active
    person with that role."""
    if call.application is not None:
        for member in call.application.team:
            if member.role == "sla_manager" and member.person.active:
                return member.person
    people = db.session.scalars(select(Person).where(Person.active).order_by(Person.key))
    return next((p for p in people if "sla_manager" in (p.roles or ())), None)


def emails(people: list[Person | None]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(p.email for p in people if p is not None and p.email))
