"""Periodic jobs from the core and the plugins, each run by one worker at a time.

A job's row in ``scheduled_jobs`` is its lock: a worker takes it with one conditional
UPDATE (due and not locked, or its lock expired), which only one worker can win.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from hub import requestid
from hub.db import db, utcnow
from hub.hooktypes import Job
from hub.models import ScheduledJob
from hub.pluginmanager import get_pm

log = logging.getLogger(__name__)


def collect() -> list[Job]:
    """Every job the plugins register; a duplicate name is a start-up error."""
    jobs: dict[str, Job] = {}
    for batch in get_pm().hook.hub_register_jobs():
        for job in batch or ():
            if job.name in jobs:
                raise RuntimeError(f"two plugins register a job named {job.name!r}")
            jobs[job.name] = job
    return list(jobs.values())


def ensure_rows(jobs: list[Job]) -> None:
    known = set(db.session.scalars(select(ScheduledJob.name)))
    for job in jobs:
        if job.name not in known:
            db.session.add(ScheduledJob(name=job.name, next_run_at=utcnow()))
            try:
                db.session.commit()
            except IntegrityError:  # another worker made it first
                db.session.rollback()
    db.session.commit()


def try_claim(job: Job, worker_id: str, lease_seconds: float) -> bool:
    now = utcnow()
    result = db.session.execute(
        update(ScheduledJob)
        .where(
            ScheduledJob.name == job.name,
            ScheduledJob.next_run_at <= now,
            or_(ScheduledJob.locked_until.is_(None), ScheduledJob.locked_until < now),
        )
        .values(
            locked_by=worker_id,
            locked_until=now + timedelta(seconds=lease_seconds),
            last_started_at=now,
        )
    )
    db.session.commit()
    return result.rowcount == 1


@dataclass
class Round:
    """What one :func:`run_due` did: jobs run, and items they said they handled."""

    ran: int = 0
    handled: int = 0


def run_due(jobs: list[Job], worker_id: str, lease_seconds: float) -> Round:
    """Run each due job this worker can claim.

    A job that returns a number says how much it handled; only that counts towards
    ``handled``, so a job returning None or failing never keeps the worker from pausing.
    """
    done = Round()
    for job in jobs:
        if not try_claim(job, worker_id, lease_seconds):
            continue
        error, handled = None, None
        try:
            # Its own request id: the job's log lines, and the deliveries it causes, read
            # together.
            with requestid.bound(None):
                handled = job.run()
        except Exception as exc:  # noqa: BLE001 - boundary: a failing job must not stop the worker
            db.session.rollback()
            log.exception("job %s failed", job.name)
            error = f"{type(exc).__name__}: {exc}"
        finished = utcnow()
        next_run = finished + timedelta(seconds=job.interval)
        if error is None and job.next_due is not None:
            wanted = job.next_due()
            if wanted is not None and wanted < next_run:
                next_run = max(wanted, finished)
        db.session.execute(
            update(ScheduledJob)
            .where(ScheduledJob.name == job.name, ScheduledJob.locked_by == worker_id)
            .values(
                locked_by=None,
                locked_until=None,
                last_finished_at=finished,
                last_error=error,
                next_run_at=next_run,
            )
        )
        db.session.commit()
        done.ran += 1
        if isinstance(handled, int) and handled > 0:
            done.handled += handled
    return done
