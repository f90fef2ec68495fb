"""Rows to JSON for the API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hub.models import (
    Application,
    Call,
    CallEvent,
    Client,
    Contact,
    Contract,
    OutboxDelivery,
    Person,
    TimeEntry,
)


def _ts(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def call(c: Call, *, history: bool = False) -> dict[str, Any]:
    out = {
        "id": c.id,
        "source": c.source,
        "client": c.client.key,
        "contract": c.contract.reference if c.contract else None,
        "application": c.application.key if c.application else None,
        "title": c.title,
        "description": c.description,
        "reporter": c.reporter,
        "priority": c.priority,
        "category": c.category,
        "line": c.line,
        "assignee": c.assignee.key if c.assignee else None,
        "status": c.status,
        "created_at": _ts(c.created_at),
        "updated_at": _ts(c.updated_at),
        "acknowledged_at": _ts(c.acknowledged_at),
        "resolved_at": _ts(c.resolved_at),
        "closed_at": _ts(c.closed_at),
        "links": [{"system": k.system, "key": k.key, "url": k.url} for k in c.links],
    }
    if history:
        out["events"] = [event(e) for e in c.events]
    return out


def event(e: CallEvent) -> dict[str, Any]:
    return {
        "id": e.id,
        "at": _ts(e.at),
        "actor": e.actor,
        "kind": e.kind,
        "data": e.data,
        "note": e.note,
    }


def time_entry(t: TimeEntry) -> dict[str, Any]:
    return {
        "id": t.id,
        "call": t.call_id,
        "person": t.person.key,
        "minutes": t.minutes,
        "note": t.note,
        "created_at": _ts(t.created_at),
        "created_by": t.created_by,
    }


def client(c: Client) -> dict[str, Any]:
    return {
        "key": c.key,
        "name": c.name,
        "language": c.language,
        "created_at": _ts(c.created_at),
        "contacts": [contact(x) for x in c.contacts],
    }


def contact(c: Contact) -> dict[str, Any]:
    return {"id": c.id, "name": c.name, "email": c.email, "phone": c.phone, "role": c.role}


def contract(c: Contract) -> dict[str, Any]:
    return {
        "reference": c.reference,
        "client": c.client.key,
        "name": c.name,
        "timezone": c.timezone,
        "calendar": c.calendar,
        "rules": c.rules,
        "availability": c.availability,
        "services": c.services,
        "warning_percent": c.warning_percent,
        "fixed_fee": str(c.fixed_fee),
        "hours_card": str(c.hours_card),
        "valid_from": c.valid_from.isoformat(),
        "valid_until": c.valid_until.isoformat() if c.valid_until else None,
        "targets": {
            t.priority: {
                "response_minutes": t.response_minutes,
                "resolution_minutes": t.resolution_minutes,
            }
            for t in c.targets
        },
    }


def application(a: Application) -> dict[str, Any]:
    return {
        "key": a.key,
        "client": a.client.key,
        "name": a.name,
        "url": a.url,
        "product_line": a.product_line,
        "platform_provider": a.platform_provider,
        "team": [{"person": m.person.key, "role": m.role} for m in a.team],
    }


def person(p: Person) -> dict[str, Any]:
    return {
        "key": p.key,
        "name": p.name,
        "email": p.email,
        "kind": p.kind,
        "organisation": p.organisation,
        "lines": p.lines,
        "roles": p.roles,
        "active": p.active,
    }


def delivery(d: OutboxDelivery) -> dict[str, Any]:
    return {
        "id": d.id,
        "hook": d.hook,
        "plugin": d.plugin,
        "state": d.state,
        "call": d.call_id,
        "attempts": d.attempts,
        "next_attempt_at": _ts(d.next_attempt_at),
        "last_error": d.last_error,
        "created_at": _ts(d.created_at),
        "delivered_at": _ts(d.delivered_at),
        "payload": d.payload,
    }


def clock(v: Any) -> dict[str, Any]:
    """One :class:`hub.sla.status.ClockView`."""
    return {
        "kind": v.name,
        "line": v.line,
        "person": v.person,
        "target_minutes": v.target,
        "used_minutes": round(v.used, 2) if v.used is not None else None,
        "left_minutes": round(v.left, 2) if v.left is not None else None,
        "due_at": v.due.isoformat() if v.due else None,
        "state": v.state,
        "outcome": v.outcome,
    }
