"""Watching the clients' sites: which are due, asking the checking plugins, keeping each
run as history, and turning a failing critical check into an incident call.

The checks themselves are a plugin's (``hub_report_site_checks``; the bundled Drupal
plugin checks any site over HTTP, and Drupal's own weak spots when it finds Drupal).
Here: an application with a URL is due when its last run is older than its contract's
``site_check_minutes`` (daily by default); the worker's ``site_checks`` job asks the
plugins for the due ones; :func:`record` stores a report and handles the incident:

- a critical check failing opens one incident call on the application (priority from
  the worst failing check's severity) or, when one is open, adds a note naming the
  checks that newly fail — never a second call;
- checks that failed and pass again get a note on that call; the staff decide to
  resolve it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from hub import calls, documentation
from hub.db import db, utcnow
from hub.hooktypes import ExternalRef, Site, SiteReport
from hub.models import Application, Call, CallLink, SiteCheckResult, SiteCheckRun
from hub.pluginmanager import get_pm
from hub.sla.clocks import rules_of

#: A failing check's severity → the incident's priority.
PRIORITY = {"critical": "P1", "high": "P2", "medium": "P3", "low": "P4", "info": "P4"}
#: Checks about the server, certificate or network go to the platform line.
PLATFORM_CHECKS = ("reachable", "tls.", "https.")
SEVERITIES = ("critical", "high", "medium", "low", "info")
SOURCE = "sitecheck"
ACTOR = "sitecheck"
#: Most sites one run of the job checks (the rest wait for its next run).
BATCH = 50
OPEN = ("new", "acknowledged", "in_progress", "waiting_for_client", "reopened")


def interval(application: Application) -> timedelta:
    """How often the application's site is checked: its current contract's rules."""
    contract = calls.current_contract(application.client)
    minutes = rules_of(contract).site_check_minutes if contract else 1440
    return timedelta(minutes=minutes)


def last_run(application_id: int) -> SiteCheckRun | None:
    return db.session.scalar(
        select(SiteCheckRun)
        .where(SiteCheckRun.application_id == application_id)
        .order_by(SiteCheckRun.checked_at.desc(), SiteCheckRun.id.desc())
        .limit(1)
    )


def due(now: datetime | None = None, limit: int = BATCH) -> list[Site]:
    """The sites whose last check is older than their interval, longest waiting first."""
    now = now or utcnow()
    latest = (
        select(SiteCheckRun.application_id, func.max(SiteCheckRun.checked_at).label("at"))
        .group_by(SiteCheckRun.application_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Application, latest.c.at)
        .outerjoin(latest, latest.c.application_id == Application.id)
        .where(Application.url.is_not(None), Application.url != "")
        .order_by(latest.c.at.is_not(None), latest.c.at, Application.key)
    ).all()
    out = []
    for application, at in rows:
        if at is None or _aware(at) + interval(application) <= now:
            out.append(site(application))
        if len(out) >= limit:
            break
    return out


def site(application: Application) -> Site:
    return Site(application.key, application.url or "", application.product_line)


def check(sites: list[Site]) -> list[SiteReport]:
    """Ask every checking plugin about ``sites`` now; their reports, all together."""
    if not sites:
        return []
    answers = get_pm().hook.hub_report_site_checks(sites=sites) or ()
    return [report for reports in answers for report in reports or ()]


def run_due(now: datetime | None = None) -> int:
    """The worker's ``site_checks`` job: check the due sites, record each; how many."""
    reports = check(due(now))
    for report in reports:
        record(report)
        db.session.commit()
    return len(reports)


def record(report: SiteReport) -> SiteCheckRun:
    """Keep one report as a run with its results, and open or update the incident."""
    application = db.session.scalar(select(Application).where(Application.key == report.key))
    if application is None:
        raise ValueError(f"a report about unknown application {report.key!r}")
    previous = last_run(application.id)
    failing = [r for r in report.results if r.verdict == "fail"]
    run = SiteCheckRun(
        application_id=application.id, url=report.url,
        checked_at=datetime.fromisoformat(report.checked_at), drupal=dict(report.drupal),
        requests=report.requests, seconds=report.seconds,
        critical=[r.id for r in failing if r.severity == "critical"],
    )  # fmt: skip
    run.results = [
        SiteCheckResult(check=r.id, title=r.title[:300], severity=r.severity,
                        verdict=r.verdict, evidence=dict(r.evidence))
        for r in report.results
    ]  # fmt: skip
    db.session.add(run)
    db.session.flush()
    _incident(application, run, previous)
    was = {r.check: r.verdict for r in previous.results} if previous else None
    if was != {r.check: r.verdict for r in run.results}:  # the wiki page shows the state
        documentation.request("application", application.key, "site check changed")
    return run


def open_incident(application: Application) -> Call | None:
    """The application's open incident call from the site checks, if any."""
    return db.session.scalar(
        select(Call)
        .join(CallLink)
        .where(
            Call.application_id == application.id,
            Call.status.in_(OPEN),
            CallLink.system == SOURCE,
        )
        .order_by(Call.id.desc())
        .limit(1)
    )


def _incident(application: Application, run: SiteCheckRun, previous: SiteCheckRun | None) -> None:
    failing = {r.check: r for r in run.results if r.verdict == "fail"}
    critical = [failing[c] for c in run.critical]
    before = {r.check for r in previous.results if r.verdict == "fail"} if previous else set()
    call = open_incident(application)
    if critical and call is None:
        worst = min(critical, key=lambda r: SEVERITIES.index(r.severity))
        platform = any(r.check.startswith(PLATFORM_CHECKS) for r in critical)
        calls.create(
            actor=ACTOR, source=SOURCE, client=application.client.key,
            application=application.key, title=f"Site check failed: {worst.title}"[:300],
            description=_describe(run, critical), priority=PRIORITY[worst.severity],
            category="incident", line="2-platform" if platform else "2-application",
            links=(ExternalRef(SOURCE, f"{application.key}:{run.id}", run.url),),
            received_at=run.checked_at,
        )  # fmt: skip
        return
    if call is None:
        return
    new = [r for r in critical if r.check not in before]
    if new:
        calls.add_note(call, actor=ACTOR, note="Failing now as well:\n" + _describe(run, new))
    mended = sorted(before - set(failing))
    if mended:
        titles = {r.check: r.title for r in run.results}
        lines = [f"- {titles.get(c, c)} ({c})" for c in mended]
        when = f"{run.checked_at:%Y-%m-%d %H:%M} UTC"
        calls.add_note(call, actor=ACTOR, note=f"Passing again at {when}:\n" + "\n".join(lines)
                       + "\nResolve the call when the site is confirmed well.")  # fmt: skip


def _describe(run: SiteCheckRun, results: list[SiteCheckResult]) -> str:
    lines = [f"Site {run.url}, checked {run.checked_at:%Y-%m-%d %H:%M} UTC:"]
    for r in results:
        detail = r.evidence.get("detail") or ""
        where = r.evidence.get("url") or run.url
        lines.append(f"- [{r.severity}] {r.title} ({r.check}): {detail} — {where}")
    return "\n".join(lines)


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def summary(run: SiteCheckRun | None) -> str | None:
    """One line about a run, for pages: when, how many passed, warned and failed."""
    if run is None:
        return None
    counts = {
        v: sum(r.verdict == v for r in run.results) for v in ("pass", "warn", "fail", "error")
    }
    text = f"{run.checked_at:%Y-%m-%d %H:%M} UTC: " + ", ".join(
        f"{n} {v}" for v, n in counts.items() if n
    )
    return text + (f" (critical failing: {', '.join(run.critical)})" if run.critical else "")
