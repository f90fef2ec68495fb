"""A report as JSON and as CSV: the same figures, named the same way.

The CSV is one file with sections: each section starts with a header row whose first cell
is the section's name (``calls``, ``clocks`` …) and each of its rows starts with that name
too, so a spreadsheet filter on the first column shows one table. Text that a spreadsheet
would run as a formula (``=``, ``+``, ``-``, ``@`` …) is prefixed with ``'``.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Any

from hub.sla.reports import Outcomes, Report
from hub.sla.reports_sql import KINDS
from hub.vocab import CATEGORIES, PRIORITIES

PERCENTILES = (
    "linear interpolation between closest ranks (as statistics.quantiles with "
    "method='inclusive' and PostgreSQL's percentile_cont); business minutes of stopped clocks"
)


def _when(value: date | datetime | None) -> str | None:
    return value.isoformat() if value else None


def _share(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def matrix(report: Report) -> tuple[list[str], list[str], list[list[int]]]:
    """Priorities, categories, and the count of calls in each (priority, category) cell;
    the vocabulary's values first, then any other value found in the data."""
    found_p = {p for p, _ in report.calls}
    found_c = {c for _, c in report.calls}
    priorities = [*PRIORITIES, *sorted(found_p - set(PRIORITIES))]
    categories = [*CATEGORIES, *sorted(found_c - set(CATEGORIES))]
    rows = [[report.calls.get((p, c), 0) for c in categories] for p in priorities]
    return priorities, categories, rows


def _outcomes(o: Outcomes) -> dict[str, Any]:
    return {
        "met": o.met,
        "breached": o.breached,
        "pending": o.pending,
        "within_target": _share(o.share),
    }


def to_json(report: Report) -> dict[str, Any]:
    """The report as the API answers it."""
    priorities, categories, cells = matrix(report)
    period = report.period
    hours = report.hours
    fb = report.feedback
    return {
        "client": {"key": report.client_key, "name": report.client_name},
        "period": {
            "label": period.label,
            "kind": period.kind,
            "months": [f"{y}-{m:02d}" for y, m in period.months],
            "first_day": period.first_day.isoformat(),
            "last_day": period.last_day.isoformat(),
            "timezone": report.timezone,
            "starts_at": _when(report.starts_at),
            "ends_at": _when(report.ends_at),
        },
        "contract": report.contract,
        "generated_at": _when(report.generated_at),
        "target_percent": report.target_percent,
        "percentiles": PERCENTILES,
        "calls": {
            "total": report.calls_total,
            "by_priority": {
                p: dict(zip(categories, row, strict=True))
                for p, row in zip(priorities, cells, strict=True)
            },
        },
        "clocks": {
            kind: {
                **_outcomes(f.outcomes),
                "median_minutes": f.median,
                "p90_minutes": f.p90,
                "measured": f.measured,
            }
            for kind, f in report.clocks.items()
        },
        "compliance": [
            {"month": m.month, **{k: _outcomes(m.outcomes[k]) for k in KINDS}}
            for m in report.months
        ],
        "trend": [
            {"month": m.month, **{k: _outcomes(m.outcomes[k]) for k in KINDS}} for m in report.trend
        ],
        "response_times": [
            {"from_minutes": b.low, "to_minutes": b.high, "count": b.count}
            for b in report.response_times
        ],
        "breaches": {
            "items": [
                {
                    "call": b.call_id,
                    "title": b.title,
                    "kind": b.kind,
                    "line": b.line,
                    "priority": b.priority,
                    "due_at": _when(b.due_at),
                    "breached_at": _when(b.breached_at),
                    "cause": b.cause,
                }
                for b in report.breaches
            ],
            "page": report.breaches_page,
            "per_page": report.breaches_per_page,
            "total": report.breaches_total,
        },
        "hours": {
            "period": hours.period,
            "contract_year": None
            if hours.year_from is None
            else {
                "from": _when(hours.year_from),
                "until": _when(hours.year_until),
                "used": hours.year_used,
                "card": hours.card,
                "remaining": hours.remaining,
            },
        },
        "feedback": {
            "calls_with_hours": fb.with_hours,
            "approved": fb.approved,
            "disputed": fb.disputed,
            "approval_rate": _share(fb.approval_rate),
            "satisfaction": {
                "average": None if fb.average_score is None else round(fb.average_score, 2),
                "count": fb.scored,
            },
        },
    }


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def csv_rows(report: Report) -> list[list[Any]]:
    """The report as CSV rows, section by section (see the module's docstring)."""
    data = to_json(report)
    rows: list[list[Any]] = [["report", "name", "value"]]
    facts = [
        ("client", report.client_key), ("client_name", report.client_name),
        ("period", report.period.label), ("timezone", report.timezone),
        ("starts_at", report.starts_at), ("ends_at", report.ends_at),
        ("contract", report.contract), ("generated_at", report.generated_at),
        ("target_percent", report.target_percent), ("percentiles", PERCENTILES),
    ]  # fmt: skip
    rows += [["report", name, value] for name, value in facts]

    rows += [[], ["calls", "priority", "category", "count"]]
    priorities, categories, cells = matrix(report)
    for p, row in zip(priorities, cells, strict=True):
        rows += [["calls", p, c, n] for c, n in zip(categories, row, strict=True)]

    outcome_cols = ["met", "breached", "pending", "within_target"]
    rows += [[], ["clocks", "kind", *outcome_cols, "median_minutes", "p90_minutes", "measured"]]
    for kind, f in data["clocks"].items():
        rows.append(["clocks", kind, *(f[c] for c in outcome_cols), f["median_minutes"],
                     f["p90_minutes"], f["measured"]])  # fmt: skip

    for section in ("compliance", "trend"):
        header = [f"{k}_{c}" for k in KINDS for c in outcome_cols]
        rows += [[], [section, "month", *header]]
        for month in data[section]:
            values = [month[k][c] for k in KINDS for c in outcome_cols]
            rows.append([section, month["month"], *values])

    rows += [[], ["response_times", "from_minutes", "to_minutes", "count"]]
    rows += [["response_times", b.low, b.high, b.count] for b in report.response_times]

    columns = ["call", "title", "kind", "line", "priority", "due_at", "breached_at", "cause"]
    rows += [[], ["breaches", *columns]]
    rows += [["breaches", *(b[c] for c in columns)] for b in data["breaches"]["items"]]
    if report.breaches_total > len(report.breaches):
        shown = f"{len(report.breaches)} of {report.breaches_total} breaches"
        rows.append(["breaches", "shown", shown])

    year = data["hours"]["contract_year"] or {}
    rows += [[], ["hours", "period", "year_from", "year_until", "year_used", "card", "remaining"]]
    rows.append(["hours", report.hours.period, *(year.get(k) for k in
                 ("from", "until", "used", "card", "remaining"))])  # fmt: skip

    fb = data["feedback"]
    rows += [[], ["feedback", "calls_with_hours", "approved", "disputed", "approval_rate",
                  "satisfaction_average", "satisfaction_count"]]  # fmt: skip
    rows.append(["feedback", fb["calls_with_hours"], fb["approved"], fb["disputed"],
                 fb["approval_rate"], fb["satisfaction"]["average"],
                 fb["satisfaction"]["count"]])  # fmt: skip
    return rows


def to_csv(report: Report) -> str:
    """The report as one CSV text (comma-separated, CRLF line ends as RFC 4180 has them)."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in csv_rows(report):
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


def csv_filename(report: Report) -> str:
    """``sla-report-<client>-<period>.csv`` with only safe characters in the client key."""
    key = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "_"
                  for ch in report.client_key)  # fmt: skip
    return f"sla-report-{key}-{report.period.label}.csv"
