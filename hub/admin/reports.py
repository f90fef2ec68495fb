"""The SLA report page: pick a client and a month or quarter; see its tables, two charts
(compliance per month, the spread of response times), the breaches and the hours; download
it as CSV.

The charts are inline SVG drawn here (geometry) and in ``admin/report_charts.html``
(markup): no chart library, nothing from a CDN, readable without JavaScript, each with a
``<title>`` and ``<desc>`` and a ``<title>`` per bar for screen readers and tooltips.
Staff see every client; a client viewer only its own (403 page for another).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, abort, make_response, render_template, request
from flask_login import current_user
from sqlalchemy import select

from hub.admin import NavEntry, add_nav, bp
from hub.admin.access import role_required
from hub.admin.paging import requested_page
from hub.db import db, utcnow
from hub.errors import HubError
from hub.models import Client
from hub.sla.reports import Bucket, MonthFigures, client_report, contract_for
from hub.sla.reports_export import csv_filename, matrix, to_csv
from hub.sla.reports_sql import KINDS
from hub.sla.spec import DEFAULT_TIMEZONE
from hub.vocab import USER_ROLES

BREACHES_PER_PAGE = 50
#: Chart canvas (SVG user units): width, height and the plot's margins.
WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 640, 250, 44, 8, 14, 46

add_nav(NavEntry("Reports", "admin.report_view", roles=USER_ROLES))


def _clients() -> list[Client]:
    """The clients this user may pick."""
    stmt = select(Client).order_by(Client.key)
    if current_user.role == "client_viewer":
        stmt = stmt.where(Client.id == current_user.client_id)
    return list(db.session.scalars(stmt))


def _refuse_other_client(key: str) -> None:
    own = current_user.client
    if current_user.role == "client_viewer" and (own is None or own.key != key):
        page = render_template("admin/403.html", reason="This report is another client's.")
        abort(make_response(page, 403))


def _this_month(key: str) -> str:
    """The current month in the client's contract's time zone (the form's default)."""
    client = db.session.scalar(select(Client).where(Client.key == key))
    today = utcnow().date()
    contract = contract_for(client, today) if client else None
    zone = ZoneInfo(contract.timezone if contract else DEFAULT_TIMEZONE)
    return utcnow().astimezone(zone).strftime("%Y-%m")


@bp.get("/reports")
@role_required(*USER_ROLES)
def report_view():  # noqa: ANN201
    clients = _clients()
    key = request.args.get("client", "").strip()[:64] or (clients[0].key if clients else "")
    if key:
        _refuse_other_client(key)
    period = request.args.get("period", "").strip()[:40] or (_this_month(key) if key else "")
    report, errors, status = None, {}, 200
    if key:
        try:
            report = client_report(
                key, period, breaches_page=requested_page(), breaches_per_page=BREACHES_PER_PAGE
            )
        except HubError as exc:
            db.session.rollback()
            errors[exc.field if exc.field in ("client", "period") else "period"] = exc.message
            status = exc.status
    extra: dict[str, Any] = {}
    if report is not None:
        zone = ZoneInfo(report.timezone)
        priorities, categories, cells = matrix(report)
        pages = max(1, -(-report.breaches_total // BREACHES_PER_PAGE))
        extra = dict(
            priorities=priorities, categories=categories, cells=cells, kinds=KINDS,
            compliance=compliance_chart(report.trend, report.target_percent),
            histogram=histogram_chart(report.response_times), pages=pages,
            local=lambda at: at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if at else "—",
        )  # fmt: skip
    page = render_template(
        "admin/report.html",
        clients=clients,
        values={"client": key, "period": period},
        errors=errors,
        report=report,
        **extra,
    )
    return page, status


@bp.get("/reports.csv")
@role_required(*USER_ROLES)
def report_csv():  # noqa: ANN201
    """The report as a CSV file (all breaches up to 10,000); a refusal is the error page."""
    key = request.args.get("client", "").strip()[:64]
    _refuse_other_client(key)
    report = client_report(key, request.args.get("period", ""), breaches_per_page=10_000)
    disposition = f'attachment; filename="{csv_filename(report)}"'
    return Response(
        to_csv(report), mimetype="text/csv", headers={"Content-Disposition": disposition}
    )


# --- chart geometry ---------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str  # what a screen reader and the tooltip say


def _y(fraction: float) -> float:
    """The SVG y of a fraction (0..1) of the plot's height, measured from its bottom."""
    plot = HEIGHT - TOP - BOTTOM
    return round(TOP + plot * (1 - fraction), 1)


def _percent(share: float | None) -> str:
    return "no decided clocks" if share is None else f"{share:.0%}"


def compliance_chart(months: list[MonthFigures], target_percent: int) -> dict[str, Any]:
    """Two bars a month — share of response and of resolution clocks within target — on a
    0–100 % scale with a line at the target; a month without decided clocks has no bar."""
    slot = (WIDTH - LEFT - RIGHT) / len(months)
    bar = min(18.0, slot / 2 - 3)
    bars, ticks, summary = [], [], []
    for i, month in enumerate(months):
        x0 = LEFT + i * slot + (slot - 2 * bar - 2) / 2
        ticks.append({"x": round(LEFT + (i + 0.5) * slot, 1), "label": month.month[2:]})
        parts = []
        for j, (kind, o) in enumerate((("response", month.response),
                                       ("resolution", month.resolution))):  # fmt: skip
            parts.append(f"{kind} {_percent(o.share)}")
            if o.share is None:
                continue
            label = f"{month.month} {kind}: {o.share:.0%} within target ({o.met} of {o.decided})"
            top = _y(o.share)
            bars.append((kind, Bar(round(x0 + j * (bar + 2), 1), top, round(bar, 1),
                                   round(_y(0) - top, 1), label)))  # fmt: skip
        summary.append(f"{month.month}: " + ", ".join(parts))
    return {
        "width": WIDTH, "height": HEIGHT, "left": LEFT, "right": WIDTH - RIGHT,
        "bars": bars, "ticks": ticks, "target_y": _y(target_percent / 100),
        "target": target_percent, "grid": [(_y(f), f"{f:.0%}") for f in (0, 0.5, 1)],
        "baseline": _y(0), "summary": "; ".join(summary),
    }  # fmt: skip


def _short(minutes: int) -> str:
    return f"{minutes // 60} h" if minutes >= 60 else f"{minutes} min"


def bucket_label(b: Bucket) -> str:
    """ "15 min–30 min", "1 h–2 h", "32 h or more" (business time)."""
    return f"{_short(b.low)} or more" if b.high is None else f"{_short(b.low)}–{_short(b.high)}"


def histogram_chart(buckets: list[Bucket]) -> dict[str, Any]:
    """One bar per bucket of response time, its height the bucket's share of the largest."""
    slot = (WIDTH - LEFT - RIGHT) / len(buckets)
    most = max((b.count for b in buckets), default=0) or 1
    bars, ticks = [], []
    for i, b in enumerate(buckets):
        top = _y(b.count / most)
        label = f"{bucket_label(b)}: {b.count} response{'' if b.count == 1 else 's'}"
        bars.append(Bar(round(LEFT + i * slot + 4, 1), top, round(slot - 8, 1),
                        round(_y(0) - top, 1), label))  # fmt: skip
        ticks.append({"x": round(LEFT + (i + 0.5) * slot, 1),
                      "label": _short(b.low) + ("+" if b.high is None else "")})  # fmt: skip
    return {
        "width": WIDTH, "height": HEIGHT, "left": LEFT, "right": WIDTH - RIGHT, "bars": bars,
        "ticks": ticks, "baseline": _y(0), "most": most, "top": _y(1),
        "summary": "; ".join(bar.label for bar in bars),
    }  # fmt: skip
