"""The call lifecycle: creation, transitions, field changes, escalation, notes and time.

Every function here changes the session only; the caller commits, so that a change,
its history event and the outbox deliveries it causes land in one transaction.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select

from hub import documentation, outbox
from hub.db import db, utcnow
from hub.errors import Conflict, Invalid, NotFound
from hub.hooktypes import CallView, Change, Escalation, ExternalRef
from hub.lifecycle import TRANSITIONS
from hub.models import Application, Call, CallEvent, CallLink, Client, Contract, Person, TimeEntry
from hub.sla import clocks, routing
from hub.vocab import CATEGORIES, LINES, PRIORITIES

#: Calls start on the general 1st line unless the source says otherwise.
DEFAULT_LINE = "1-general"


def check(value: str, allowed: tuple[str, ...], field: str) -> str:
    if value not in allowed:
        raise Invalid(f"unknown {field} {value!r}; expected one of {', '.join(allowed)}", field)
    return value


def find_client(key: str, field: str = "client") -> Client:
    client = db.session.scalar(select(Client).where(Client.key == key))
    if client is None:
        raise Invalid(f"unknown client {key!r}", field)
    return client


def find_person(key: str, field: str = "person") -> Person:
    person = db.session.scalar(select(Person).where(Person.key == key))
    if person is None:
        raise Invalid(f"unknown person {key!r}", field)
    return person


def current_contract(client: Client) -> Contract | None:
    """The client's contract valid today (the latest started, if several)."""
    today = utcnow().date()
    return db.session.scalar(
        select(Contract)
        .where(
            Contract.client_id == client.id,
            Contract.valid_from <= today,
            or_(Contract.valid_until.is_(None), Contract.valid_until >= today),
        )
        .order_by(Contract.valid_from.desc(), Contract.id.desc())
        .limit(1)
    )


def get_call(call_id: int, *, for_update: bool = False) -> Call:
    call = db.session.get(Call, call_id, with_for_update=for_update or None)
    if call is None:
        raise NotFound(f"no call {call_id}", field="id")
    return call


def find_by_ref(ref: ExternalRef) -> Call | None:
    return db.session.scalar(
        select(Call).join(CallLink).where(CallLink.system == ref.system, CallLink.key == ref.key)
    )


def view(call: Call) -> CallView:
    """The plain-data snapshot that hooks receive."""
    return CallView(
        id=call.id,
        source=call.source,
        client=call.client.key,
        contract=call.contract.reference if call.contract else None,
        application=call.application.key if call.application else None,
        title=call.title,
        description=call.description,
        reporter=call.reporter,
        priority=call.priority,
        category=call.category,
        line=call.line,
        assignee=call.assignee.key if call.assignee else None,
        status=call.status,
        created_at=call.created_at.isoformat(),
        links=tuple(ExternalRef(link.system, link.key, link.url) for link in call.links),
    )


def record(call: Call, actor: str, kind: str, data: dict[str, Any], note: str | None) -> None:
    """Write a history event of the call (the caller announces it if plugins should know)."""
    call.updated_at = utcnow()
    db.session.add(
        CallEvent(call=call, actor=actor, kind=kind, data=data, note=note, at=call.updated_at)
    )


def announce(call: Call, hook: str, hold: dict[str, datetime] | None = None, **extra: Any) -> None:
    """Tell the plugins through the outbox; ``hold``: plugin → not before (quiet hours)."""
    if not outbox.listeners(hook):
        return  # nobody to tell: skip building the snapshot
    if call.id is None:
        db.session.flush()  # a new call: the snapshot needs its id
    payload = {"call": view(call).to_dict(), **{k: asdict(v) for k, v in extra.items()}}
    outbox.enqueue(hook, payload, call.id, hold=hold)


def create(
    *,
    actor: str,
    source: str,
    client: str,
    title: str,
    priority: str = "P3",
    category: str = "incident",
    description: str = "",
    application: str | None = None,
    line: str | None = None,
    reporter: str | None = None,
    assignee: str | None = None,
    links: tuple[ExternalRef, ...] | list[ExternalRef] = (),
    received_at: datetime | None = None,
) -> Call:
    """Register a new call under the client's current contract.

    ``received_at`` is when the hub received the call, if earlier than now (a webhook
    applied by the worker): the call counts as opened then, so its clocks start there.
    """
    client_row = find_client(client)
    app_row = None
    if application is not None:
        app_row = db.session.scalar(select(Application).where(Application.key == application))
        if app_row is None or app_row.client_id != client_row.id:
            raise Invalid(
                f"unknown application {application!r} for client {client!r}", "application"
            )
    if not title.strip():
        raise Invalid("title is empty", "title")
    for ref in links:
        if (other := find_by_ref(ref)) is not None:
            raise Conflict(
                f"{ref.system} {ref.key!r} is already linked to call {other.id}", "links"
            )
    call = Call(
        source=source,
        client=client_row,
        contract=current_contract(client_row),
        application=app_row,
        title=title.strip(),
        description=description,
        reporter=reporter,
        priority=check(priority, PRIORITIES, "priority"),
        category=check(category, CATEGORIES, "category"),
        line=check(line or DEFAULT_LINE, LINES, "line"),
        assignee=find_person(assignee, "assignee") if assignee else None,
        status="new",
        created_at=received_at or utcnow(),
        links=[CallLink(system=r.system, key=r.key, url=r.url) for r in dict.fromkeys(links)],
    )
    db.session.add(call)
    if call.assignee is None and (served_by := routing.servers(call, call.line, call.created_at)):
        call.assignee = served_by[0]  # e.g. a new 2nd-line call: the associate on duty
    record(call, actor, "created", {"source": source, "priority": call.priority}, None)
    db.session.flush()
    clocks.on_created(call)
    announce(call, "hub_call_created")
    return call


def add_links(call: Call, refs: list[ExternalRef], actor: str) -> None:
    """Link references a plugin made for the call (no hook fires: nothing changed).

    A reference already linked to this call is skipped; one linked to another call is
    a conflict.
    """
    new = []
    for ref in dict.fromkeys(refs):
        other = find_by_ref(ref)
        if other is None:
            new.append(ref)
        elif other is not call:
            raise Conflict(
                f"{ref.system} {ref.key!r} is already linked to call {other.id}", "links"
            )
    for ref in new:
        call.links.append(CallLink(system=ref.system, key=ref.key, url=ref.url))
    if new:
        record(call, actor, "linked", {"links": [asdict(r) for r in new]}, None)


def allowed(call: Call) -> tuple[str, ...]:
    return TRANSITIONS[call.status]


def transition(call: Call, to: str, *, actor: str, note: str | None = None) -> Call:
    """Move the call to status ``to``; a move not in :data:`TRANSITIONS` is a 409."""
    if to not in TRANSITIONS:
        raise Invalid(f"unknown status {to!r}; expected one of {', '.join(TRANSITIONS)}", "to")
    if to not in allowed(call):
        raise Conflict(
            f"call {call.id} cannot go from {call.status} to {to}",
            "to",
            allowed=list(allowed(call)),
        )
    before, now = call.status, utcnow()
    call.status = to
    if to == "acknowledged" and call.acknowledged_at is None:
        call.acknowledged_at = now
    elif to == "resolved":
        call.resolved_at = now
    elif to == "closed":
        call.closed_at = now
    elif to == "reopened":
        call.resolved_at = call.closed_at = None
    fields = {"status": {"from": before, "to": to}}
    record(call, actor, "status", fields, note)
    clocks.on_touched(call, actor, now)
    clocks.on_status(call, before, to, now)
    announce(call, "hub_call_changed", change=Change(actor=actor, fields=fields, note=note))
    if to == "resolved":
        announce(call, "hub_call_resolved")
        documentation.on_resolved(call)
    return call


def update(
    call: Call,
    *,
    actor: str,
    note: str | None = None,
    **changes: Any,
) -> Call:
    """Change title, priority, category, line or assignee; a move to a higher line escalates."""
    fields: dict[str, dict[str, Any]] = {}
    checks = {"priority": PRIORITIES, "category": CATEGORIES, "line": LINES}
    for name, value in changes.items():
        if name in checks:
            check(value, checks[name], name)
        if name == "assignee":
            person = find_person(value, "assignee") if value is not None else None
            before = call.assignee.key if call.assignee else None
            if before != value:
                call.assignee = person
                fields[name] = {"from": before, "to": value}
        elif name in ("title", "priority", "category", "line"):
            if name == "title" and not value.strip():
                raise Invalid("title is empty", "title")
            if getattr(call, name) != value:
                fields[name] = {"from": getattr(call, name), "to": value}
                setattr(call, name, value)
        else:
            raise Invalid(f"field {name!r} cannot be changed", name)
    if not fields:
        return call
    record(call, actor, "changed", fields, note)
    clocks.on_touched(call, actor, call.updated_at)
    clocks.on_fields(call, fields, call.updated_at)
    announce(call, "hub_call_changed", change=Change(actor=actor, fields=fields, note=note))
    if "line" in fields and LINES.index(fields["line"]["to"]) > LINES.index(fields["line"]["from"]):
        escalation = Escalation(
            actor=actor,
            kind="functional",
            from_line=fields["line"]["from"],
            to_line=fields["line"]["to"],
            to_person=call.assignee.key if call.assignee else None,
            reason=note,
        )
        record(call, actor, "escalated", asdict(escalation), note)
        announce(call, "hub_call_escalated", escalation=escalation)
    return call


def escalate(
    call: Call,
    *,
    actor: str,
    kind: str,
    to_line: str | None = None,
    to_person: str | None = None,
    reason: str | None = None,
) -> Call:
    """Escalate functionally (``to_line``, higher than now) or hierarchically (to a person).

    A hierarchical escalation may also move the call up a line; never down.
    """
    if kind not in ("functional", "hierarchical"):
        raise Invalid(
            f"unknown escalation kind {kind!r}; expected functional or hierarchical", "kind"
        )
    if kind == "functional" and to_line is None:
        raise Invalid("a functional escalation needs to_line", "to_line")
    if kind == "hierarchical" and to_person is None:
        raise Invalid("a hierarchical escalation needs to_person", "to_person")
    if to_line is not None:
        check(to_line, LINES, "line")
        if LINES.index(to_line) <= LINES.index(call.line):
            raise Conflict(
                f"call {call.id} is on {call.line}; escalate to a higher line", "to_line"
            )
    person = find_person(to_person, "to_person") if to_person else None
    now = utcnow()
    if kind == "functional" and person is None:  # the line plan says who serves that line
        person = next(iter(routing.servers(call, to_line, now)), None)
        to_person = person.key if person else None
    escalation = Escalation(
        actor=actor,
        kind=kind,
        from_line=call.line,
        to_line=to_line or call.line,
        to_person=to_person,
        reason=reason,
        recipients=routing.emails([person]),
    )
    fields: dict[str, dict[str, Any]] = {}
    if to_line and to_line != call.line:
        fields["line"] = {"from": call.line, "to": to_line}
        call.line = to_line
    if kind == "functional" and person is not None and call.assignee is not person:
        fields["assignee"] = {"from": call.assignee.key if call.assignee else None, "to": to_person}
        call.assignee = person
    record(call, actor, "escalated", asdict(escalation), reason)
    clocks.on_touched(call, actor, now)
    if fields:
        clocks.on_fields(call, fields, now)
        announce(call, "hub_call_changed", change=Change(actor=actor, fields=fields, note=reason))
    if kind == "functional":  # to a colleague or another line: they owe an acknowledgement
        clocks.on_escalated(call, person, escalation.to_line, now)
    announce(call, "hub_call_escalated", hold=notify_holds(call, now), escalation=escalation)
    return call


def notify_holds(call: Call, at: datetime) -> dict[str, datetime]:
    from hub.sla.notify import holds  # (notify reaches back into this module)

    return holds(call, at)


def add_note(call: Call, *, actor: str, note: str) -> Call:
    if not note.strip():
        raise Invalid("note is empty", "note")
    record(call, actor, "note", {}, note)
    clocks.on_touched(call, actor, call.updated_at)
    announce(call, "hub_call_changed", change=Change(actor=actor, fields={}, note=note))
    return call


HOURS_VERDICTS = ("approved", "disputed")


def record_hours_verdict(call: Call, *, actor: str, verdict: str, note: str | None) -> Call:
    """The client approved or disputed the hours booked on the call (with its feedback).

    The same verdict with the same feedback as the call's last one is not recorded again
    (an outside system may report the verdict with every later change of its issue)."""
    check(verdict, HOURS_VERDICTS, "hours")
    last = db.session.scalar(
        select(CallEvent)
        .where(CallEvent.call_id == call.id, CallEvent.kind == "hours")
        .order_by(CallEvent.id.desc())
        .limit(1)
    )
    if last is not None and (last.data.get("verdict"), last.note) == (verdict, note):
        return call
    fields = {"hours": {"from": None, "to": verdict}}
    record(call, actor, "hours", {"verdict": verdict}, note)
    announce(call, "hub_call_changed", change=Change(actor=actor, fields=fields, note=note))
    return call


def add_time(
    call: Call, *, actor: str, person: str, minutes: int, note: str | None = None
) -> TimeEntry:
    """Book minutes on a call (1 minute to 24 hours per entry)."""
    if not 1 <= minutes <= 24 * 60:
        raise Invalid("minutes must be between 1 and 1440", "minutes")
    who = find_person(person)
    entry = TimeEntry(call=call, person=who, minutes=minutes, note=note, created_by=actor)
    db.session.add(entry)
    time = {"person": who.key, "minutes": minutes}
    record(call, actor, "time", time, note)
    clocks.on_touched(call, actor, call.updated_at)
    announce(
        call,
        "hub_call_changed",
        change=Change(actor=actor, fields={"time": {"from": None, "to": time}}, note=note),
    )
    return entry
