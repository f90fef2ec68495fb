"""The audit trail in the admin pages: newest first, filtered by subject, actor, action
and dates, each entry's changed keys as before → after; the same selection as CSV or
JSON. Admins and SLA managers only: the trail names everyone's changes."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, render_template, request
from sqlalchemy import select

from hub import auditexport
from hub.admin import NavEntry, add_nav, bp
from hub.admin.access import role_required
from hub.admin.paging import page_of
from hub.db import db
from hub.errors import HubError
from hub.models import AuditEntry

READERS = ("admin", "sla_manager")
PAGE_SIZE = 50
#: Subjects that have a page of their own: kind → (endpoint, its argument).
PAGES = {
    "client": ("admin.client_view", "key"),
    "contract": ("admin.contract_view", "key"),
    "application": ("admin.application_view", "key"),
    "person": ("admin.person_view", "key"),
    "call": ("admin.call_detail", "call_id"),
}

add_nav(NavEntry("Audit", "admin.audit_list", roles=READERS))


def shown(value: Any) -> str:
    """A value as the diff shows it: text as is, nothing as a dash, the rest as JSON."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _choices(column: Any) -> list[str]:  # noqa: ANN401
    return list(db.session.scalars(select(column).distinct().order_by(column)))


@bp.get("/audit")
@role_required(*READERS)
def audit_list():  # noqa: ANN201
    try:
        filters = auditexport.Filters.parse(request.args)
        error = None
    except HubError as exc:
        filters, error = auditexport.Filters(), exc
    page = page_of(auditexport.statement(filters), PAGE_SIZE) if error is None else None
    body = render_template(
        "admin/audit.html",
        page=page,
        error=error,
        args={n: request.args.get(n, "")[:200] for n in auditexport.FILTERS},
        query=filters.query(),
        kinds=_choices(AuditEntry.subject_kind),
        actions=_choices(AuditEntry.action),
        changes=auditexport.changes,
        shown=shown,
        pages=PAGES,
    )
    return body, 422 if error else 200


@bp.get("/audit.<any(csv, json):fmt>")
@role_required(*READERS)
def audit_export(fmt: str):  # noqa: ANN201
    """The selected entries as a download (422 naming a bad filter, as the API does)."""
    filters = auditexport.Filters.parse(request.args)
    body = "".join(auditexport.stream(fmt, filters))
    mimetype = auditexport.EXPORTS[fmt][1]
    headers = {"Content-Disposition": f'attachment; filename="audit.{fmt}"'}
    return Response(body, mimetype=mimetype, headers=headers)
