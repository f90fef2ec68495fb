"""Metrics read from the database at each scrape: what every process and worker shares.

The hub's state lives in its tables, not in any one process, so these are gauges that a
custom collector computes with a few aggregate queries per scrape (each an index or a
small table: outbox and inbound events by their state columns, jobs, running clocks,
the newest site-check run per application). A query that fails is logged and counted
in ``hub_metrics_query_errors{query=…}``; the other families are still reported, so a
broken query does not blind the whole scrape.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from prometheus_client.core import GaugeHistogramMetricFamily, GaugeMetricFamily, Metric
from sqlalchemy import case, extract, func, select
from sqlalchemy.exc import OperationalError

from hub.db import db, utcnow
from hub.models import (
    Clock,
    InboundEvent,
    OutboxDelivery,
    ScheduledJob,
    SiteCheckResult,
    SiteCheckRun,
)

log = logging.getLogger(__name__)

#: Delivery latency is measured over what was delivered in this last window (seconds).
LATENCY_WINDOW = 3600
#: Upper bounds (seconds) of the latency buckets: a healthy delivery takes well under a
#: second; retries with backoff reach minutes; a plugin down for long, up to the cap.
LATENCY_BUCKETS = (0.1, 0.5, 1.0, 5.0, 30.0, 60.0, 300.0, 900.0, 3600.0)


def _gauge(name: str, doc: str, labels: list[str], rows: object) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc, labels=labels)
    for *values, n in rows:  # type: ignore[attr-defined]
        family.add_metric([str(v if v is not None else "") for v in values], float(n))
    return family


def inbound(now: datetime) -> Iterator[Metric]:
    rows = db.session.execute(
        select(InboundEvent.source, InboundEvent.status, func.count()).group_by(
            InboundEvent.source, InboundEvent.status
        )
    )
    yield _gauge(
        "hub_inbound_events",
        "Stored webhook events by source and status (received, processed, rejected, failed).",
        ["source", "status"],
        rows,
    )


def outbox(now: datetime) -> Iterator[Metric]:
    by_state = db.session.execute(
        select(OutboxDelivery.plugin, OutboxDelivery.state, func.count()).group_by(
            OutboxDelivery.plugin, OutboxDelivery.state
        )
    )
    yield _gauge(
        "hub_outbox_deliveries",
        "Outbox deliveries by plugin and state (pending, done, dead, discarded).",
        ["plugin", "state"],
        by_state,
    )
    due = db.session.execute(
        select(OutboxDelivery.plugin, func.count())
        .where(OutboxDelivery.state == "pending", OutboxDelivery.next_attempt_at <= now)
        .group_by(OutboxDelivery.plugin)
    )
    yield _gauge("hub_outbox_due", "Pending deliveries due now, by plugin.", ["plugin"], due)


def _seconds_between(start: object, end: object) -> object:
    """``end - start`` in seconds, in SQL: each database spells time arithmetic its own way."""
    if db.engine.dialect.name == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 86400.0
    return extract("epoch", end - start)


def latency(now: datetime) -> Iterator[Metric]:
    """Delivery latency (``delivered_at - created_at``) per plugin over the last
    ``LATENCY_WINDOW``, as a gauge histogram.

    Why buckets counted in SQL rather than quantiles: SQLite has no percentile function,
    fetching every row to sort it in Python grows with traffic, and buckets (unlike
    quantiles) can be added up across plugins and read with ``histogram_quantile()``.
    Why a *gauge* histogram: the window slides, so the counts go down as well as up; a
    cumulative histogram (a counter) would lie about that.
    """
    seconds = _seconds_between(OutboxDelivery.created_at, OutboxDelivery.delivered_at)
    buckets = [func.sum(case((seconds <= bound, 1), else_=0)) for bound in LATENCY_BUCKETS]
    rows = db.session.execute(
        select(OutboxDelivery.plugin, func.count(), func.sum(seconds), *buckets)
        .where(
            OutboxDelivery.state == "done",
            OutboxDelivery.delivered_at >= now - timedelta(seconds=LATENCY_WINDOW),
        )
        .group_by(OutboxDelivery.plugin)
    )
    family = GaugeHistogramMetricFamily(
        "hub_outbox_delivery_latency_seconds",
        f"Seconds from a delivery's creation to its delivery, over the last "
        f"{LATENCY_WINDOW} s, by plugin.",
        labels=["plugin"],
    )
    for plugin, count, total, *counts in rows:
        points = [(str(b), float(n or 0)) for b, n in zip(LATENCY_BUCKETS, counts, strict=True)]
        points.append(("+Inf", float(count)))
        family.add_metric([plugin], points, gsum_value=float(total or 0.0))
    yield family


def jobs(now: datetime) -> Iterator[Metric]:
    """Each periodic job's last run (the SLA sweep, site checks, inbound, polls...)."""
    duration = GaugeMetricFamily(
        "hub_job_last_duration_seconds",
        "How long the job's last finished run took.",
        labels=["job"],
    )
    since = GaugeMetricFamily(
        "hub_job_seconds_since_finish", "Seconds since the job last finished.", labels=["job"]
    )
    running = GaugeMetricFamily("hub_job_running", "1 while a worker runs the job.", labels=["job"])
    failed = GaugeMetricFamily(
        "hub_job_last_failed", "1 when the job's last run raised an error.", labels=["job"]
    )
    for job in db.session.scalars(select(ScheduledJob).order_by(ScheduledJob.name)):
        started, finished = job.last_started_at, job.last_finished_at
        is_running = started is not None and (finished is None or started > finished)
        running.add_metric([job.name], 1.0 if is_running else 0.0)
        failed.add_metric([job.name], 1.0 if job.last_error else 0.0)
        if finished is not None:
            since.add_metric([job.name], (now - finished).total_seconds())
            if started is not None and not is_running:
                duration.add_metric([job.name], (finished - started).total_seconds())
    yield from (duration, since, running, failed)


def clocks(now: datetime) -> Iterator[Metric]:
    """Running clocks by kind and how far they got (ok, warned, breached), from the alert
    levels the sweep recorded in ``fired``; stopped clocks by kind and outcome."""
    open_states: Counter[tuple[str, str]] = Counter()
    running = db.session.execute(
        select(Clock.kind, Clock.fired, Clock.breached_at).where(Clock.stopped_at.is_(None))
    )
    for kind, fired, breached_at in running:
        fired = fired or []
        state = "breached" if breached_at or "breach" in fired else "ok"
        if state == "ok" and "warning" in fired:
            state = "warned"
        open_states[(kind, state)] += 1
    yield _gauge(
        "hub_clocks_open",
        "Running SLA clocks by kind and state (ok, warned, breached).",
        ["kind", "state"],
        [(k, s, n) for (k, s), n in sorted(open_states.items())],
    )
    closed = db.session.execute(
        select(Clock.kind, Clock.outcome, func.count())
        .where(Clock.stopped_at.is_not(None))
        .group_by(Clock.kind, Clock.outcome)
    )
    yield _gauge(
        "hub_clocks_closed",
        "Stopped SLA clocks by kind and outcome (met, breached).",
        ["kind", "outcome"],
        closed,
    )


def sites(now: datetime) -> Iterator[Metric]:
    """The newest site-check run of each application: its results by severity and
    verdict, and how many applications have a failing critical check."""
    newest = (
        select(func.max(SiteCheckRun.id).label("id"))
        .group_by(SiteCheckRun.application_id)
        .subquery()
    )
    rows = db.session.execute(
        select(SiteCheckResult.severity, SiteCheckResult.verdict, func.count())
        .where(SiteCheckResult.run_id.in_(select(newest.c.id)))
        .group_by(SiteCheckResult.severity, SiteCheckResult.verdict)
    )
    yield _gauge(
        "hub_site_check_results",
        "Results of each application's newest site-check run by severity and verdict.",
        ["severity", "verdict"],
        rows,
    )
    critical = db.session.scalars(select(SiteCheckRun.critical).where(SiteCheckRun.id.in_(
        select(newest.c.id)
    ))).all()  # fmt: skip
    failing = GaugeMetricFamily(
        "hub_site_check_critical_applications",
        "Applications whose newest site-check run has a failing critical check.",
    )
    failing.add_metric([], float(sum(1 for ids in critical if ids)))
    yield failing


#: Each query by the name its error gauge carries.
QUERIES: dict[str, Callable[[datetime], Iterator[Metric]]] = {
    "inbound": inbound,
    "outbox": outbox,
    "latency": latency,
    "jobs": jobs,
    "clocks": clocks,
    "sites": sites,
}


class DatabaseCollector:
    """A prometheus-client collector running :data:`QUERIES` in the current app context."""

    def collect(self) -> Iterator[Metric]:
        now = utcnow()
        errors = GaugeMetricFamily(
            "hub_metrics_query_errors",
            "1 when this scrape's query for a group of metrics failed (see the hub's log).",
            labels=["query"],
        )
        for name, query in QUERIES.items():
            try:
                families = list(query(now))
            except OperationalError as exc:  # the database is down or locked: one line
                log.warning("metrics: the %s query failed: %s", name, exc.orig or exc)
                db.session.rollback()
                errors.add_metric([name], 1.0)
                continue
            except Exception:  # noqa: BLE001 - boundary: one failing query must not blind the scrape
                log.exception("metrics: the %s query failed", name)
                db.session.rollback()
                errors.add_metric([name], 1.0)
                continue
            errors.add_metric([name], 0.0)
            yield from families
        db.session.rollback()  # read only: end the transaction (and SQLite's lock) now
        yield errors
