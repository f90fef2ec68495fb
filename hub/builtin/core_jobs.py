"""The core's periodic jobs."""

from __future__ import annotations

from flask import current_app

from hub import documentation, hookimpl, inbound, sitechecks
from hub.hooktypes import Job
from hub.sla import sweep
from hub.sla.clocks import SWEEP_JOB


@hookimpl(trylast=True)
def hub_register_jobs() -> list[Job]:
    return [
        # Interval 0: applied on every turn of the worker's loop, one worker at a time.
        Job(name="inbound", interval=0, run=inbound.drain),
        Job(
            name=SWEEP_JOB,
            interval=float(current_app.config["SLA_SWEEP_SECONDS"]),
            run=sweep.run,
            next_due=sweep.next_due,
        ),
        # Hourly, so a month's SLA report pages are queued soon after the month ends.
        Job(name="documentation_monthly", interval=3600, run=documentation.monthly),
        Job(
            name="site_checks",
            interval=float(current_app.config["SITE_CHECK_SECONDS"]),
            run=sitechecks.run_due,
        ),
    ]
