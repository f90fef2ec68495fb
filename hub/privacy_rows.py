"""Rows as JSON for the privacy export (:mod:`hub.privacy`): every column of a row, keyed
by column name, with its children under their table's name.

Secrets are left out: password and token hashes, and of a stored webhook's headers the
signatures and credentials (a signature is a function of the sender's secret).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import inspect, or_, select

from hub.db import db
from hub.models import (
    ApplicationMember,
    AuditEntry,
    Call,
    CallEvent,
    CallFeedback,
    CallLink,
    CallPause,
    Certification,
    Client,
    Clock,
    Contact,
    Contract,
    DocPage,
    Handover,
    HoursDecision,
    HoursPurchase,
    HoursSettings,
    InboundEvent,
    OutboxDelivery,
    ServiceTarget,
    SiteCheckResult,
    SiteCheckRun,
    StatementLine,
    TimeEntry,
    User,
)
from hub.models.pay import HandoverSession

FORMAT = "slahub-privacy-export/1"
SECRET_COLUMNS = frozenset({"password_hash", "token_hash"})
#: Header names (lower case) holding these are not exported.
SECRET_HEADER_PARTS = ("signature", "authorization", "token", "secret", "cookie")
#: Columns that tie a row to a client; every table with one is in a client's export
#: (tests/test_privacy.py checks this against the models).
LINKED = ("client_id", "contract_id", "call_id", "application_id")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, dict | list):
        return json.loads(json.dumps(value, default=_plain))
    return value


def row_data(row: Any, **children: Any) -> dict[str, Any]:
    """A row's columns (JSON-safe, without secrets) plus ``children``."""
    out = {
        attr.key: _plain(getattr(row, attr.key))
        for attr in inspect(row).mapper.column_attrs
        if attr.key not in SECRET_COLUMNS
    }
    if isinstance(row, InboundEvent):
        out["headers"] = {
            k: v
            for k, v in (row.headers or {}).items()
            if not any(part in k.lower() for part in SECRET_HEADER_PARTS)
        }
    return {**out, **children}


def rows(model: type, *where: Any) -> list[Any]:
    """The rows of ``model`` matching ``where``, in primary-key order."""
    order = inspect(model).primary_key
    return list(db.session.scalars(select(model).where(*where).order_by(*order)))


def _data(model: type, *where: Any) -> list[dict[str, Any]]:
    return [row_data(r) for r in rows(model, *where)]


def call_rows(call: Call) -> dict[str, Any]:
    """A call with everything recorded on it."""
    by_call = lambda model: _data(model, model.call_id == call.id)  # noqa: E731
    return row_data(
        call,
        call_links=by_call(CallLink), call_events=by_call(CallEvent),
        time_entries=by_call(TimeEntry), clocks=by_call(Clock), call_pauses=by_call(CallPause),
        hours_decisions=by_call(HoursDecision), call_feedback=by_call(CallFeedback),
        inbound_events=by_call(InboundEvent), outbox=by_call(OutboxDelivery),
    )  # fmt: skip


def _contract(contract: Contract) -> dict[str, Any]:
    return row_data(
        contract,
        service_targets=_data(ServiceTarget, ServiceTarget.contract_id == contract.id),
        hours_settings=_data(HoursSettings, HoursSettings.contract_id == contract.id),
        hours_purchases=_data(HoursPurchase, HoursPurchase.contract_id == contract.id),
    )


def _application(app: Any) -> dict[str, Any]:
    runs = rows(SiteCheckRun, SiteCheckRun.application_id == app.id)
    return row_data(
        app,
        application_members=_data(ApplicationMember, ApplicationMember.application_id == app.id),
        certifications=_data(Certification, Certification.application_id == app.id),
        site_check_runs=[
            row_data(r, site_check_results=_data(SiteCheckResult, SiteCheckResult.run_id == r.id))
            for r in runs
        ],
        pay_handover_sessions=_data(HandoverSession, HandoverSession.application_id == app.id),
    )


def client_rows(client: Client) -> dict[str, Any]:
    """The client, its contacts, logins, contracts, applications and calls with all their
    rows, its documentation pages, and the pay statement lines, roster handovers and audit
    entries that refer to its calls, sessions or records."""
    calls = rows(Call, Call.client_id == client.id)
    call_ids = {c.id for c in calls}
    apps = [a for a in client.applications]
    sessions = rows(HandoverSession, HandoverSession.application_id.in_([a.id for a in apps]))
    sources = {f"call:{i}" for i in call_ids} | {f"handover:{s.id}" for s in sessions}
    lines = rows(StatementLine, or_(StatementLine.source.like("call:%"),
                                    StatementLine.source.like("handover:%")))  # fmt: skip
    handovers = [
        h for h in rows(Handover) if any(item.get("id") in call_ids for item in h.calls or ())
    ]
    contracts = rows(Contract, Contract.client_id == client.id)
    subjects = {("client", client.key), *(("contract", c.reference) for c in contracts),
                *(("application", a.key) for a in apps), *(("call", str(i)) for i in call_ids),
                *(("contact", str(c.id)) for c in client.contacts)}  # fmt: skip
    audit = [e for e in rows(AuditEntry) if (e.subject_kind, e.subject_key) in subjects]
    return {
        "clients": [row_data(client)],
        "contacts": _data(Contact, Contact.client_id == client.id),
        "users": _data(User, User.client_id == client.id),
        "contracts": [_contract(c) for c in contracts],
        "applications": [_application(a) for a in sorted(apps, key=lambda a: a.id)],
        "calls": [call_rows(c) for c in calls],
        "doc_pages": _data(DocPage, DocPage.client_key == client.key),
        "pay_statement_lines": [row_data(x) for x in lines if x.source in sources],
        "handovers": [row_data(h) for h in handovers],
        "audit_log": [row_data(e) for e in audit],
    }
