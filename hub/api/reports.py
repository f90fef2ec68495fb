"""SLA reports through the API: one client's month or quarter as JSON, or as a CSV download.

Staff (admin, SLA manager, associate) read every client's report; a client viewer only
its own client's (403 for another, whether or not that client exists). The breaches come
one page at a time in JSON (``page``, ``per_page`` as on the lists); the CSV holds up to
10,000 of them and says so when there are more.
"""

from __future__ import annotations

from flask import Response, current_app, jsonify, request

from hub.api import PAGING, bp, current_user, doc, query_int
from hub.errors import Forbidden, Invalid
from hub.sla.reports import MAX_BREACHES_PER_PAGE, Report, client_report
from hub.sla.reports_export import csv_filename, to_csv, to_json

PERIOD = {
    "type": "string",
    "description": "a month (2026-11) or a quarter (2026-Q4), in the contract's time zone",
}
QUERY = {"period": PERIOD, "format": {"type": "string", "enum": ["json", "csv"]}, **PAGING}


def _report(key: str, *, csv: bool) -> Report:
    user = current_user()
    if user.role == "client_viewer" and (user.client is None or user.client.key != key):
        raise Forbidden("a client viewer reads only its own client's reports", "key")
    if csv:
        return client_report(
            key, request.args.get("period", ""), breaches_per_page=MAX_BREACHES_PER_PAGE
        )
    cfg = current_app.config
    return client_report(
        key,
        request.args.get("period", ""),
        breaches_page=query_int("page", 1, 1, 1_000_000),
        breaches_per_page=query_int("per_page", cfg["API_PAGE_SIZE"], 1, cfg["API_MAX_PAGE_SIZE"]),
    )


def _csv(report: Report) -> Response:
    disposition = f'attachment; filename="{csv_filename(report)}"'
    return Response(
        to_csv(report), mimetype="text/csv", headers={"Content-Disposition": disposition}
    )


@bp.get("/reports/clients/<key>")
@doc("One client's SLA report for a month or quarter (format=csv: as a CSV file)", query=QUERY)
def client_report_view(key: str):  # noqa: ANN201
    wanted = request.args.get("format", "json")
    if wanted not in ("json", "csv"):
        raise Invalid("format must be json or csv", "format")
    if wanted == "csv":
        return _csv(_report(key, csv=True))
    return jsonify(to_json(_report(key, csv=False)))


@bp.get("/reports/clients/<key>.csv")
@doc("One client's SLA report for a month or quarter as a CSV file", query={"period": PERIOD})
def client_report_csv(key: str):  # noqa: ANN201
    return _csv(_report(key, csv=True))
