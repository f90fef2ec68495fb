"""The audit trail through the API: the admin page's filters, newest first; JSON pages
like every list here, or (``format=csv``) the whole selection as one CSV file."""

from __future__ import annotations

from flask import Response, jsonify, request

from hub import auditexport
from hub.api import PAGING, bp, doc, paged
from hub.errors import Invalid

TEXT = {"type": "string", "maxLength": auditexport.MAX_TEXT}
QUERY = {
    "subject_kind": TEXT,
    "subject_key": TEXT,
    "actor": TEXT,
    "action": TEXT,
    "since": {"type": "string", "description": "a date or an ISO date and time (UTC if bare)"},
    "until": {"type": "string", "description": "a date (up to its end) or an ISO date and time"},
    "format": {"type": "string", "enum": ["json", "csv"]},
    **PAGING,
}


@bp.get("/audit")
@doc("The audit trail of admin actions, newest first (format=csv: all as CSV)",
     query=QUERY, roles=("admin",))  # fmt: skip
def audit_trail():  # noqa: ANN201
    wanted = request.args.get("format", "json")
    if wanted not in auditexport.EXPORTS:
        raise Invalid("format must be json or csv", "format")
    filters = auditexport.Filters.parse(request.args)
    if wanted == "json":
        return jsonify(paged(auditexport.statement(filters), auditexport.as_dict))
    body = "".join(auditexport.stream("csv", filters))
    headers = {"Content-Disposition": 'attachment; filename="audit.csv"'}
    return Response(body, mimetype="text/csv", headers=headers)
