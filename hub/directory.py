"""Clients, contacts, contracts, applications and people: create and change them.

Like :mod:`hub.calls`, these functions change the session and leave the commit to the
caller, so that a refused change leaves nothing half-written.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from hub import audit, documentation
from hub.calls import find_client, find_person
from hub.db import db
from hub.errors import Conflict, Invalid, NotFound
from hub.models import (
    Application,
    ApplicationMember,
    Client,
    Contact,
    Contract,
    Person,
    ServiceTarget,
)
from hub.sla.clocks import DEFAULT_CALENDAR, recompute_contract


def _noun(model: type) -> str:
    """What one row is called in messages ("people" is not "peopl" plus an s)."""
    return {"people": "person"}.get(model.__tablename__, model.__tablename__[:-1])


def _unique(model: type, column: str, value: str) -> None:
    if db.session.scalar(select(model).where(getattr(model, column) == value)) is not None:
        raise Conflict(f"{_noun(model)} {value!r} exists", column)


def get(model: type, column: str, value: str) -> Any:
    row = db.session.scalar(select(model).where(getattr(model, column) == value))
    if row is None:
        raise NotFound(f"no {_noun(model)} {value!r}", column)
    return row


def create_client(*, key: str, name: str, language: str | None = None) -> Client:
    _unique(Client, "key", key)
    client = Client(key=key, name=name, language=language)
    db.session.add(client)
    audit.created("client.create", "client", key, client)
    documentation.request("client", key, "client added")
    return client


def rename_client(client: Client, name: str, **language: str | None) -> Client:
    """Rename a client; ``language=`` (when given) also sets the language of its e-mail
    and wiki pages (None: the hub's default), which rewrites its pages."""
    wanted = language.get("language", client.language)
    if name != client.name or wanted != client.language:
        with audit.changing("client.update", "client", client.key, client):
            renamed, client.name, client.language = name != client.name, name, wanted
        documentation.request("client", client.key, "client renamed" if renamed else
                              "client language changed")  # fmt: skip
    return client


def add_contact(client: Client, **fields: Any) -> Contact:
    contact = Contact(client=client, **fields)
    db.session.add(contact)
    audit.created("contact.create", "client", client.key, contact)
    documentation.request("client", client.key, "contacts changed")
    return contact


def _set_targets(contract: Contract, targets: dict[str, dict[str, int]]) -> None:
    by_priority = {t.priority: t for t in contract.targets}
    for priority, target in targets.items():
        row = by_priority.get(priority)
        if row is None:
            contract.targets.append(ServiceTarget(priority=priority, **target))
        else:
            row.response_minutes = target["response_minutes"]
            row.resolution_minutes = target["resolution_minutes"]


def create_contract(*, client: str, reference: str, targets: dict, **fields: Any) -> Contract:
    _unique(Contract, "reference", reference)
    if not fields.get("calendar"):
        fields["calendar"] = DEFAULT_CALENDAR
    contract = Contract(client=find_client(client), reference=reference, **_drop_none(fields))
    _set_targets(contract, targets)
    db.session.add(contract)
    audit.created("contract.create", "contract", reference, contract, **_contract_extra(contract))
    documentation.request("client", contract.client.key, f"contract {reference} added")
    return contract


#: Columns a change may not empty: a null there is refused instead of failing the write.
REQUIRED = {
    "contract": (
        "name",
        "timezone",
        "calendar",
        "services",
        "warning_percent",
        "fixed_fee",
        "hours_card",
        "valid_from",
    ),
    "application": ("name", "product_line"),
    "person": ("name", "kind", "lines", "roles", "active"),
}


def _no_nulls(fields: dict[str, Any], required: tuple[str, ...]) -> None:
    """422 for a null in a NOT NULL column (else the commit fails with a 500)."""
    for name in required:
        if name in fields and fields[name] is None:
            raise Invalid(f"{name} cannot be null", name)


def _contract_extra(contract: Contract) -> dict[str, Any]:
    """What the trail shows of a contract beyond its columns: the client's key and the
    service targets (another table), per priority."""
    targets = {
        t.priority: {"response_minutes": t.response_minutes,
                     "resolution_minutes": t.resolution_minutes}
        for t in contract.targets
    }  # fmt: skip
    return {"client": contract.client.key, "targets": targets}


def update_contract(contract: Contract, **fields: Any) -> Contract:
    _no_nulls(fields, REQUIRED["contract"])
    with audit.changing(
        "contract.update", "contract", contract.reference, contract, _contract_extra
    ):
        _update_contract(contract, fields)
    documentation.request("client", contract.client.key, f"contract {contract.reference} changed")
    return contract


def _update_contract(contract: Contract, fields: dict[str, Any]) -> None:
    targets = fields.pop("targets", None)
    for name, value in fields.items():
        setattr(contract, name, value)
    if contract.valid_until and contract.valid_until < contract.valid_from:
        raise Invalid("valid_until is before valid_from", "valid_until")
    if targets:
        _set_targets(contract, targets)
    if {"calendar", "timezone", "targets", "rules", "warning_percent"} & set(fields) or targets:
        db.session.flush()
        recompute_contract(contract)  # the running clocks follow the new terms


def _set_team(application: Application, team: list[dict[str, str]]) -> None:
    wanted = {(find_person(m["person"], "team").id, m["role"]) for m in team}
    for member in list(application.team):
        if (member.person_id, member.role) not in wanted:
            application.team.remove(member)
    have = {(m.person_id, m.role) for m in application.team}
    for person_id, role in sorted(wanted - have):
        application.team.append(ApplicationMember(person_id=person_id, role=role))


def create_application(
    *, client: str, key: str, team: list | None = None, **fields: Any
) -> Application:
    _unique(Application, "key", key)
    application = Application(client=find_client(client), key=key, **_drop_none(fields))
    db.session.add(application)
    _set_team(application, team or [])
    audit.created(
        "application.create", "application", key, application, **application_extra(application)
    )
    _document_application(application, "added")
    return application


def update_application(application: Application, **fields: Any) -> Application:
    _no_nulls(fields, REQUIRED["application"])
    team = fields.pop("team", None)
    with audit.changing(
        "application.update", "application", application.key, application, application_extra
    ):
        for name, value in fields.items():
            setattr(application, name, value)
        if team is not None:
            _set_team(application, team)
    _document_application(application, "changed")
    return application


def application_extra(application: Application) -> dict[str, Any]:
    """What the trail shows of an application beyond its columns: the client's key and
    the team as "person role" pairs."""
    db.session.flush()  # team members added through the relationship get their person
    team = sorted(f"{m.person.key} {m.role}" for m in application.team)
    return {"client": application.client.key, "team": team}


def _document_application(application: Application, what: str) -> None:
    """An application's page, its client's page (the applications) and the FAQ of its
    product line (who handles what) follow the change."""
    reason = f"application {application.key} {what}"
    documentation.request("application", application.key, reason)
    documentation.request("client", application.client.key, reason)
    documentation.request("faq", application.product_line, reason)


def create_person(*, key: str, **fields: Any) -> Person:
    _unique(Person, "key", key)
    person = Person(key=key, **_drop_none(fields))
    db.session.add(person)
    audit.created("person.create", "person", key, person)
    _document_person(person, "added")
    return person


def update_person(person: Person, **fields: Any) -> Person:
    _no_nulls(fields, REQUIRED["person"])
    with audit.changing("person.update", "person", person.key, person):
        for name, value in fields.items():
            setattr(person, name, value)
    _document_person(person, "changed")
    return person


def _document_person(person: Person, what: str) -> None:
    """The FAQ of each product line the person is certified for (who handles what) and
    the client pages of the applications they serve (the line plan) follow."""
    reason = f"person {person.key} {what}"
    for line in sorted(person.certified or ()):
        documentation.request("faq", line, reason)
    if person.id is None:
        return
    clients = db.session.scalars(
        select(Client.key)
        .join(Application, Application.client_id == Client.id)
        .join(ApplicationMember, ApplicationMember.application_id == Application.id)
        .where(ApplicationMember.person_id == person.id)
        .distinct()
    ).all()
    for key in sorted(clients):
        documentation.request("client", key, reason)


def _drop_none(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}
