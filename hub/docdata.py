"""The data of documentation subjects: what a wiki page about a client, an application, a
month's SLA report, a product line's FAQ or a documented call shows, as plain JSON.

The core reads its tables here so that a documentation plugin never does: ``data`` holds
only JSON values (ISO strings, numbers, lists in a fixed order) and does not depend on
when it is built (but for which contract is current), so unchanged data renders the same
text. Each kind's data has ``source`` (the records it is made from), ``changed_at`` (their
newest time stamp; tables without ``updated_at`` count by ``created_at``) and
``fingerprint`` (a hash of the rest, which changes with any shown value).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from hub import certification as intake
from hub import i18n, sitechecks, vocab
from hub.db import db
from hub.directory import get
from hub.errors import Invalid, NotFound
from hub.hooktypes import DocSubject
from hub.models import Application, Call, CallEvent, Client, Contract, Person, TimeEntry
from hub.sla import reports_sql
from hub.sla.reports import client_report, contract_for, local_midnight, parse_period
from hub.sla.reports_export import to_json
from hub.sla.routing import LINE_ROLES
from hub.sla.spec import DEFAULT_COUNTRY, DEFAULT_TIMEZONE, WEEKDAYS
from hub.vocab import LINE_PLAN, LINE_TITLES, OPEN_STATUSES, PRODUCT_LINES

KINDS = ("client", "application", "report", "faq", "call")
DAY_NAMES = dict(zip(WEEKDAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                                "Saturday", "Sunday"), strict=True))  # fmt: skip
PRODUCT_LINE_TITLES = {"drupal": "Drupal", "joomla": "Joomla", "lamp": "LAMP", "other": "Other"}
#: The associate FAQ: the line that handles each kind of request (the plugin words how).
FAQ_LINES = {"question": "1-product", "incident": "2-application",
             "problem": "2-application", "change": "3-application"}  # fmt: skip


def iso(value: date | datetime | None) -> str | None:
    """A date as ``YYYY-MM-DD``, a time stamp as UTC to the second (the same on every
    database: SQLite and PostgreSQL keep different fractions)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(microsecond=0).isoformat()
    return None if value is None else value.isoformat()


def money(value: Decimal | None) -> str | None:
    return None if value is None else f"{Decimal(value):.2f}"


def _newest(*stamps: datetime | None) -> str | None:
    found = [s for s in stamps if s is not None]
    return iso(max(found)) if found else None


def _finish(data: dict[str, Any]) -> dict[str, Any]:
    """Add the fingerprint: a hash of the data as canonical JSON (which also proves it is
    JSON-safe: a stray ORM object or Decimal fails here, not in the outbox)."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    data["fingerprint"] = hashlib.sha256(text.encode()).hexdigest()[:16]
    return data


def _sla_manager(apps: list[Application]) -> Person | None:
    """As routing picks one: of a team, else the first active with the SLA manager role."""
    team = [m.person for a in apps for m in a.team if m.role == "sla_manager"]
    people = db.session.scalars(select(Person).where(Person.active).order_by(Person.key))
    found = sorted((p for p in team if p.active), key=lambda p: p.key)
    return next(iter(found), None) or next((p for p in people if "sla_manager" in p.roles), None)


def _person(p: Person) -> dict[str, Any]:
    return {"key": p.key, "name": p.name, "kind": p.kind, "organisation": p.organisation}


def calendar(contract: Contract) -> dict[str, Any]:
    """The contract's calendar as the admin shows it: hours per weekday, holidays, closed
    days, or 24x7."""
    cal = contract.calendar or {}
    week = cal.get("working_hours") or {}
    hours = []
    for day in WEEKDAYS:
        spans = week.get(day) or []
        if spans and isinstance(spans[0], str):
            spans = [spans]
        hours.append({"day": DAY_NAMES[day], "hours": ", ".join(f"{a}-{b}" for a, b in spans)})
    return {
        "timezone": contract.timezone or DEFAULT_TIMEZONE,
        "always_open": bool(cal.get("always_open")), "hours": hours,
        "holidays": cal.get("country", DEFAULT_COUNTRY), "region": cal.get("region"),
        "closed": sorted(set(cal.get("closed") or []) | set(cal.get("ics_closed") or [])),
    }  # fmt: skip


def hours_booked(contract: Contract) -> float:
    """Hours booked on the contract's calls within its validity (its own time zone)."""
    zone = ZoneInfo(contract.timezone or DEFAULT_TIMEZONE)
    start = local_midnight(contract.valid_from, zone)
    until = contract.valid_until or date(9999, 12, 30)
    end = local_midnight(until + timedelta(days=1), zone)
    return round(reports_sql.minutes_booked(start, end, contract_id=contract.id) / 60, 2)


def _contract(contract: Contract) -> dict[str, Any]:
    booked = hours_booked(contract)
    return {
        "reference": contract.reference, "name": contract.name,
        "services": list(contract.services or []),
        "valid_from": iso(contract.valid_from), "valid_until": iso(contract.valid_until),
        "fixed_fee": money(contract.fixed_fee), "hours_card": money(contract.hours_card),
        "hours_booked": booked, "hours_balance": round(float(contract.hours_card or 0) - booked, 2),
        "warning_percent": contract.warning_percent, "availability": contract.availability,
        "calendar": calendar(contract),
        "targets": [
            {"priority": t.priority, "response_minutes": t.response_minutes,
             "resolution_minutes": t.resolution_minutes}
            for t in sorted(contract.targets, key=lambda t: t.priority)
        ],
    }  # fmt: skip


def line_plan(applications: list[Application]) -> list[dict[str, Any]]:
    """Who serves each line for these applications: the team members whose role serves it
    (as routing assigns), the team members who work on that line, and for the general 1st
    line everyone active who works on it (it is no client's own)."""
    team = {m.person for a in applications for m in a.team if m.person.active}
    plan = []
    for line in vocab.LINES:
        people = {m.person for a in applications for m in a.team
                  if m.role in LINE_ROLES[line] and m.person.active}  # fmt: skip
        people |= {p for p in team if line in (p.lines or ())}
        if line == "1-general":
            active = db.session.scalars(select(Person).where(Person.active))
            people |= {p for p in active if line in (p.lines or ())}
        who, example = LINE_PLAN[line]
        plan.append({
            "line": line, "title": LINE_TITLES[line], "who": who, "example": example,
            "people": [_person(p) for p in sorted(people, key=lambda p: (p.name, p.key))],
        })  # fmt: skip
    return plan


def certification(application: Application) -> dict[str, Any]:
    """Whether the application's 2nd-line associates are certified for its product line:
    ``certified`` (all are), ``not certified`` (one or more are not), ``no associates``."""
    line = application.product_line
    associates = sorted(
        {m.person for m in application.team
         if m.person.kind == "associate" and m.person.active
         and (m.role in LINE_ROLES["2-application"] or "2-application" in (m.person.lines or ()))},
        key=lambda p: (p.name, p.key),
    )  # fmt: skip
    people = [{**_person(p), "certified": line in (p.certified or ())} for p in associates]
    state = "certified" if all(p["certified"] for p in people) else "not certified"
    state = state if people else "no associates"
    return {"product_line": line, "state": state, "associates": people}


def _application_summary(a: Application) -> dict[str, Any]:
    return {
        "key": a.key, "name": a.name, "url": a.url, "product_line": a.product_line,
        "platform_provider": a.platform_provider,
        "certification": intake.for_pages(a, certification(a)),
        "site_check": sitechecks.summary(sitechecks.last_run(a.id)),
    }  # fmt: skip


def client(key: str) -> dict[str, Any]:
    """A client's service page: contracts, service levels, calendar, contacts, line plan,
    applications."""
    row = get(Client, "key", key)
    contracts = sorted(row.contracts, key=lambda c: (c.valid_from, c.reference))
    apps = sorted(row.applications, key=lambda a: (a.name, a.key))
    manager = _sla_manager(apps)
    last_time = db.session.scalar(select(func.max(TimeEntry.created_at)).join(Call)
                                  .where(Call.client_id == row.id))  # fmt: skip
    current = contract_for(row, datetime.now(UTC).date())
    return _finish({
        "client": {"key": row.key, "name": row.name},
        "source": f"client {row.key}" + "".join(f", contract {c.reference}" for c in contracts),
        "changed_at": _newest(row.created_at, last_time, *(c.created_at for c in contracts)),
        "current_contract": current.reference if current else None,
        "contracts": [_contract(c) for c in contracts],
        "contacts": [{"name": c.name, "role": c.role, "email": c.email, "phone": c.phone}
                     for c in sorted(row.contacts, key=lambda c: c.id)],
        "sla_manager": _person(manager) if manager else None,
        "line_plan": line_plan(apps),
        "applications": [_application_summary(a) for a in apps],
    })  # fmt: skip


#: Most open calls an application page lists (the counts cover them all).
OPEN_CALLS_LISTED = 50


def application(key: str) -> dict[str, Any]:
    """An application's page: its team, platform, certification, site check, open calls."""
    row = get(Application, "key", key)
    open_calls = db.session.scalars(
        select(Call)
        .where(Call.application_id == row.id, Call.status.in_(OPEN_STATUSES))
        .order_by(Call.id)
    ).all()
    priorities = Counter(c.priority for c in open_calls)
    statuses = Counter(c.status for c in open_calls)
    last_change = db.session.scalar(select(func.max(Call.updated_at))
                                    .where(Call.application_id == row.id))  # fmt: skip
    team = sorted(row.team, key=lambda m: (m.role, m.person.name, m.person.key))
    return _finish({
        "client": {"key": row.client.key, "name": row.client.name},
        "application": _application_summary(row),
        "source": f"application {row.key} of client {row.client.key}, its team and open calls",
        "changed_at": _newest(row.client.created_at, last_change),
        "team": [{**_person(m.person), "role": m.role} for m in team],
        "open_calls": {"total": len(open_calls),
            "by_priority": {p: priorities[p] for p in sorted({*vocab.PRIORITIES, *priorities})},
            "by_status": {s: statuses[s] for s in OPEN_STATUSES},
            "items": [{"id": c.id, "title": c.title, "priority": c.priority,
                       "category": c.category, "status": c.status, "line": c.line,
                       "created_at": iso(c.created_at),
                       "assignee": c.assignee.name if c.assignee else None}
                      for c in open_calls[:OPEN_CALLS_LISTED]]},
    })  # fmt: skip


#: Most breaches a report page lists (the total is always shown).
REPORT_BREACHES = 100


def report_key(client_key: str, year: int, month: int) -> str:
    return f"{client_key}/{year}-{month:02d}"


def report(client_key: str, year: int, month: int) -> dict[str, Any]:
    """A client's SLA report of one month, as the reports API gives it (``report``),
    without the moment it was computed (which would change the page at every run)."""
    label = f"{year}-{month:02d}"
    found = client_report(client_key, label, breaches_per_page=REPORT_BREACHES)
    answer = to_json(found)
    answer.pop("generated_at", None)
    row = get(Client, "key", client_key)
    cohort = reports_sql.cohort(row.id, found.starts_at, found.ends_at)
    calls_changed = db.session.scalar(select(func.max(Call.updated_at)).where(*cohort))
    booked = (TimeEntry.created_at >= found.starts_at, TimeEntry.created_at < found.ends_at)
    time_changed = db.session.scalar(select(func.max(TimeEntry.created_at)).join(Call)
                                     .where(Call.client_id == row.id, *booked))  # fmt: skip
    return _finish({
        "client": {"key": row.key, "name": row.name}, "period": label,
        "source": f"the SLA report of client {row.key} for {label}",
        "changed_at": _newest(calls_changed, time_changed),
        "report": answer,
    })  # fmt: skip


def faq(product_line: str) -> dict[str, Any]:
    """The associate FAQ of a product line: the kinds of service requests, who handles
    them and how; the applications of the line and the associates certified for it."""
    if product_line not in PRODUCT_LINES:
        raise NotFound(f"no product line {product_line!r}", "product_line")
    title = PRODUCT_LINE_TITLES.get(product_line, product_line)
    apps = db.session.scalars(select(Application).where(Application.product_line == product_line))
    apps = sorted(apps, key=lambda a: (a.client.name, a.name, a.key))
    people = db.session.scalars(
        select(Person).where(Person.active).order_by(Person.name, Person.key)
    )
    certified = [p for p in people if product_line in (p.certified or ())]
    kinds = [{"category": c, "line": FAQ_LINES[c], "line_title": LINE_TITLES[FAQ_LINES[c]],
              "executor": LINE_PLAN[FAQ_LINES[c]][0]} for c in vocab.CATEGORIES]  # fmt: skip
    return _finish({
        "product_line": product_line, "title": title,
        "source": f"the hub's way of working and the {title} applications and associates",
        "changed_at": _newest(*(a.client.created_at for a in apps)),
        "kinds": kinds,
        "applications": [
            {"key": a.key, "name": a.name, "client": {"key": a.client.key, "name": a.client.name}}
            for a in apps
        ],
        "certified": [_person(p) for p in certified],
    })  # fmt: skip


#: The CallEvent kind that marks a call as worth documenting.
DOCUMENTED = "documented"
#: How many of the call's last notes an article shows.
NOTES_SHOWN = 5


def knowledge(call_id: int) -> dict[str, Any]:
    """The knowledge article of a call marked worth documenting: problem (title and
    description), cause and resolution (from the mark; resolution falls back to the mark's
    note, then to the call's last note), time spent, and the call's last notes."""
    call = db.session.get(Call, call_id)
    if call is None:
        raise NotFound(f"no call {call_id}", "call")
    marks = [e for e in call.events if e.kind == DOCUMENTED]
    if not marks:
        raise NotFound(f"call {call_id} is not marked worth documenting", "call")
    mark = marks[-1]
    notes = [e for e in call.events if e.note and e.note.strip() and e.kind != DOCUMENTED]
    found = mark.data or {}
    resolution = found.get("resolution") or mark.note or (notes[-1].note if notes else None)
    minutes, last_time = db.session.execute(
        select(func.coalesce(func.sum(TimeEntry.minutes), 0), func.max(TimeEntry.created_at))
        .where(TimeEntry.call_id == call.id)
    ).one()  # fmt: skip
    app = call.application
    return _finish({
        "call": {"id": call.id, "title": call.title, "priority": call.priority,
                 "category": call.category, "line": call.line, "status": call.status,
                 "created_at": iso(call.created_at), "resolved_at": iso(call.resolved_at)},
        "client": {"key": call.client.key, "name": call.client.name},
        "application": None if app is None else {"key": app.key, "name": app.name,
                                                 "product_line": app.product_line},
        "source": f"call {call.id} of client {call.client.key}, marked worth documenting",
        "changed_at": _newest(call.updated_at, mark.at, last_time),
        "problem": {"title": call.title, "description": call.description or ""},
        "cause": found.get("cause") or None, "resolution": resolution or None,
        "documented_by": mark.actor, "documented_at": iso(mark.at),
        "time_spent_minutes": int(minutes),
        "notes": [{"at": iso(e.at), "actor": e.actor, "kind": e.kind, "note": e.note}
                  for e in notes[-NOTES_SHOWN:]],
    })  # fmt: skip


def _report_subject(key: str) -> dict[str, Any]:
    client_key, _, label = key.rpartition("/")
    span = parse_period(label)
    if span.kind != "month" or not client_key:
        raise Invalid(f"report key {key!r} is not <client>/<YYYY-MM>", "key")
    return report(client_key, *span.months[0])


def _call_subject(key: str) -> dict[str, Any]:
    if not key.isdigit():
        raise Invalid(f"call key {key!r} is not a call number", "key")
    return knowledge(int(key))


def subject(kind: str, key: str, reason: str) -> DocSubject:
    """The subject ``kind``/``key`` with its data filled (NotFound/Invalid for a bad one)."""
    build = {"client": client, "application": application, "report": _report_subject,
             "faq": faq, "call": _call_subject}.get(kind)  # fmt: skip
    if build is None:
        raise Invalid(f"unknown documentation kind {kind!r}; expected one of {KINDS}", "kind")
    data = build(key)
    language = i18n.page_language(data)
    return DocSubject(kind=kind, key=key, reason=reason, data=data, language=language)


def report_months(row: Client) -> list[tuple[int, int]]:
    """The months (in the time zone of the client's current contract) with calls opened."""
    contract = contract_for(row, datetime.now(UTC).date())
    zone = ZoneInfo(contract.timezone if contract else DEFAULT_TIMEZONE)
    stamps = db.session.scalars(select(Call.created_at).where(Call.client_id == row.id))
    return sorted({(s.astimezone(zone).year, s.astimezone(zone).month) for s in stamps})


def subject_keys(client_key: str | None = None) -> list[tuple[str, str]]:
    """(kind, key) of every page there should be, or of one client's pages (no FAQ then):
    clients, applications, FAQ per product line with applications or certified people,
    report months with calls, and calls marked worth documenting."""
    query = select(Client).order_by(Client.key)
    if client_key is not None:
        query = query.where(Client.key == client_key)
    clients = db.session.scalars(query).all()
    if client_key is not None and not clients:
        raise NotFound(f"no client {client_key!r}", "client")
    keys: list[tuple[str, str]] = []
    for row in clients:
        keys.append(("client", row.key))
        keys += [("application", a.key) for a in sorted(row.applications, key=lambda a: a.key)]
        keys += [("report", report_key(row.key, y, m)) for y, m in report_months(row)]
    if client_key is None:
        lines = set(db.session.scalars(select(Application.product_line).distinct()))
        for person in db.session.scalars(select(Person).where(Person.active)):
            lines |= set(person.certified or ())
        keys += [("faq", line) for line in PRODUCT_LINES if line in lines]
    documented = select(CallEvent.call_id).where(CallEvent.kind == DOCUMENTED).distinct()
    calls = select(Call.id).where(Call.id.in_(documented)).order_by(Call.id)
    if client_key is not None:
        calls = calls.where(Call.client_id.in_([c.id for c in clients]))
    keys += [("call", str(i)) for i in db.session.scalars(calls)]
    return keys


def all_subjects(client: str | None = None, reason: str = "sync") -> list[DocSubject]:
    """Every subject with its data (see :func:`subject_keys`), in a fixed order."""
    return [subject(kind, key, reason) for kind, key in subject_keys(client)]
