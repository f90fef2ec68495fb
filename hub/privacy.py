"""What the hub holds about a contact or a client, as JSON; and erasing a contact's
personal data on request while the call statistics stay as they were.

The export is the rows themselves, every column (but password and token hashes), keyed
by table name and nested under what they belong to: a call carries its ``call_events``,
``time_entries``, ``clocks``... so a reader can follow it and a test can check that every
table pointing at a client, contract, call or application is in it
(:data:`hub.privacy_rows.LINKED`).

Erasing replaces the contact's name, e-mail address, phone number and role, and scrubs
them (:mod:`hub.scrub`) from every free-text and JSON column that can hold them within
the contact's client: its calls (the reporter, titles, descriptions, history), their
time entries, hours decisions, feedback, clock causes, outbox payloads and stored
webhook bodies, the client's documentation pages and hours purchases, the roster's
handover snapshots and pay statement lines of those calls, and the audit trail. Calls,
their clocks, priorities, times and statuses stay, so SLA reports do not change. A login
whose user name is the contact's e-mail address (the only link users have to contacts)
is renamed and deactivated, its tokens revoked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from hub import audit, documentation
from hub.db import db, utcnow
from hub.errors import NotFound
from hub.models import (
    ApiToken,
    AuditEntry,
    Call,
    CallEvent,
    CallFeedback,
    Certification,
    Client,
    Clock,
    Contact,
    Contract,
    DocPage,
    Handover,
    HoursDecision,
    HoursPurchase,
    InboundEvent,
    OutboxDelivery,
    StatementLine,
    TimeEntry,
    User,
)
from hub.privacy_rows import FORMAT, call_rows, client_rows, row_data, rows
from hub.scrub import ERASED, Scrubber

#: Free-text and JSON columns scrubbed on erasure, per table (those within reach of the
#: contact's client; see the module docstring). Other columns hold keys, states and times.
SCRUBBED: dict[type, tuple[str, ...]] = {
    Call: ("title", "description", "reporter"),
    CallEvent: ("actor", "note", "data"),
    TimeEntry: ("note", "created_by"),
    HoursDecision: ("note", "decided_by"),
    CallFeedback: ("comment", "actor"),
    Clock: ("cause",),
    OutboxDelivery: ("payload", "last_error"),
    InboundEvent: ("body", "headers", "error"),
    HoursPurchase: ("note", "created_by"),
    Certification: ("note", "reasons", "items", "decided_by"),
    DocPage: ("summary", "title", "key"),
    Handover: ("calls",),
    StatementLine: ("description",),
    AuditEntry: ("actor", "subject_key", "before", "after"),
}


def get_contact(contact_id: int) -> Contact:
    contact = db.session.get(Contact, contact_id)
    if contact is None:
        raise NotFound(f"no contact {contact_id}", "id")
    return contact


def get_client(key: str) -> Client:
    client = db.session.scalar(select(Client).where(Client.key == key))
    if client is None:
        raise NotFound(f"no client {key!r}", "key")
    return client


def scrubber(contact: Contact) -> Scrubber:
    """The contact's name and e-mail address as terms, its phone number by its digits."""
    return Scrubber([contact.name, contact.email], [contact.phone])


def reported_calls(contact: Contact) -> list[Call]:
    """The client's calls whose reporter is the contact's name or e-mail (any case)."""
    names = {n.strip().lower() for n in (contact.name, contact.email) if n and n.strip()}
    if not names:
        return []
    stmt = select(Call).where(
        Call.client_id == contact.client_id, func.lower(func.trim(Call.reporter)).in_(names)
    )
    return list(db.session.scalars(stmt.order_by(Call.id)))


def linked_logins(contact: Contact) -> list[User]:
    """Logins of the contact's client named by its e-mail address (users have no link to
    contacts of their own; a client viewer's login is commonly its e-mail address)."""
    if not contact.email:
        return []
    stmt = select(User).where(
        User.client_id == contact.client_id,
        func.lower(User.username) == contact.email.strip().lower(),
    )
    return list(db.session.scalars(stmt.order_by(User.id)))


def _client_calls(client_id: int) -> list[Call]:
    return list(db.session.scalars(select(Call).where(Call.client_id == client_id)))


def _mentions(scrub: Scrubber, call: Call) -> bool:
    if any(scrub.found(getattr(call, c)) for c in SCRUBBED[Call]):
        return True
    return any(scrub.found(e.note) or scrub.found(e.data) for e in call.events)


# --- export ----------------------------------------------------------------------------


def export_contact(contact: Contact) -> dict[str, Any]:
    """Everything held about a contact: its record, its client's name, the calls it
    reported or is named in (with their history, time, feedback, hours decisions), the
    feedback and hours decisions made under its name, its logins, and audit entries."""
    scrub = scrubber(contact)
    reported = {c.id for c in reported_calls(contact)}
    calls = [c for c in _client_calls(contact.client_id) if c.id in reported or _mentions(scrub, c)]
    call_ids = [c.id for c in calls]
    logins = linked_logins(contact)
    by = Scrubber([contact.name, contact.email, *(u.username for u in logins)])
    feedback = rows(CallFeedback, CallFeedback.call_id.in_(call_ids)) if call_ids else []
    decisions = rows(HoursDecision, HoursDecision.call_id.in_(call_ids)) if call_ids else []
    return {
        "format": FORMAT,
        "subject": {"kind": "contact", "id": contact.id},
        "exported_at": utcnow().isoformat(),
        "contacts": [row_data(contact, client={"key": contact.client.key,
                                               "name": contact.client.name})],
        "calls": [dict(call_rows(c), reported_by_contact=c.id in reported) for c in calls],
        "call_feedback": [row_data(f) for f in feedback if by.found(f.actor)],
        "hours_decisions": [row_data(d) for d in decisions if by.found(d.decided_by)],
        "users": [row_data(u) for u in logins],
        "audit_log": [row_data(e) for e in _audit_entries(scrub)],
    }  # fmt: skip


def _audit_entries(scrub: Scrubber) -> list[AuditEntry]:
    """Entries that name the person (the audit trail has no column for a contact; a
    contact's creation is recorded under its client with the contact's record)."""
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))
    return [e for e in entries if any(scrub.found(getattr(e, c)) for c in SCRUBBED[AuditEntry])]


def export_client(client: Client) -> dict[str, Any]:
    """Everything held about a client (see :func:`hub.privacy_rows.client_rows`)."""
    return {
        "format": FORMAT,
        "subject": {"kind": "client", "key": client.key},
        "exported_at": utcnow().isoformat(),
        **client_rows(client),
    }


# --- erasure ---------------------------------------------------------------------------


@dataclass
class Erasure:
    """The outcome of :func:`erase_contact`: ``erased`` False when it had been before."""

    contact_id: int
    erased: bool
    message: str
    calls_reported: int = 0
    rows_changed: int = 0
    logins_deactivated: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "contact": self.contact_id, "erased": self.erased, "message": self.message,
            "calls_reported": self.calls_reported, "rows_changed": self.rows_changed,
            "logins_deactivated": self.logins_deactivated,
        }  # fmt: skip


def erase_contact(contact: Contact, actor: str) -> Erasure:
    """Erase the contact's personal data in the current transaction (the caller commits
    once, so a failure part-way leaves nothing changed); a second erase changes nothing
    and says so. Recorded in the audit trail as ``contact.erase`` by ``actor``."""
    if contact.erased_at is not None:
        when = contact.erased_at.strftime("%Y-%m-%d %H:%M UTC")
        message = f"contact {contact.id} was already erased on {when}; nothing changed"
        return Erasure(contact.id, False, message)
    scrub = scrubber(contact)
    reported = reported_calls(contact)
    logins = linked_logins(contact)
    changed = 0
    for call in reported:
        call.reporter = ERASED
    for model, stmt in _scope(contact.client):
        changed += _scrub_rows(scrub, model, stmt)
    for user in logins:
        user.username, user.active = f"erased-user-{user.id}", False
        for token in db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)):
            token.revoked = True
    contact.name = f"Erased contact #{contact.id}"
    contact.email = contact.phone = contact.role = None
    contact.erased_at = utcnow()
    db.session.flush()
    result = Erasure(
        contact.id, True, f"contact {contact.id} erased", calls_reported=len(reported),
        rows_changed=changed, logins_deactivated=[u.username for u in logins],
    )  # fmt: skip
    # No personal data in the trail itself: what was done, not what was there.
    after = {"erased_at": contact.erased_at, **result.to_json()}
    audit.record(actor, "contact.erase", "contact", contact.id, {"erased_at": None}, after)
    documentation.request("client", contact.client.key, "contact erased")
    return result


def _scope(client: Client) -> list[tuple[type, Any]]:
    """Per table, the rows of the client's that may hold the contact's data."""
    calls = select(Call.id).where(Call.client_id == client.id)
    contracts = select(Contract.id).where(Contract.client_id == client.id)
    apps = [a.id for a in client.applications]
    return [
        (Call, select(Call).where(Call.client_id == client.id)),
        *[(m, select(m).where(m.call_id.in_(calls))) for m in (
            CallEvent, TimeEntry, HoursDecision, CallFeedback, Clock, OutboxDelivery,
            InboundEvent)],
        (HoursPurchase, select(HoursPurchase).where(HoursPurchase.contract_id.in_(contracts))),
        (Certification, select(Certification).where(Certification.application_id.in_(apps))),
        (DocPage, select(DocPage).where(DocPage.client_key == client.key)),
        # Snapshots and lines that point at calls in their data, and the audit trail,
        # which has no client column: read whole (they are small next to the calls).
        (Handover, select(Handover)),
        (StatementLine, select(StatementLine).where(StatementLine.source.like("call:%"))),
        (AuditEntry, select(AuditEntry)),
    ]  # fmt: skip


def _scrub_rows(scrub: Scrubber, model: type, stmt: Any) -> int:
    """Scrub the rows of ``stmt`` in their :data:`SCRUBBED` columns; how many changed.
    A longer text is cut to its column's length (PostgreSQL refuses an overlong one)."""
    table = model.__table__
    changed = 0
    for row in db.session.scalars(stmt):
        touched = False
        for name in SCRUBBED[model]:
            value = getattr(row, name)
            new = scrub.value(value)
            if new == value:
                continue
            length = getattr(table.c[name].type, "length", None)
            if isinstance(new, str) and length:
                new = new[:length]
            setattr(row, name, new)
            touched = True
        changed += touched
    return changed
