"""The core's periodic jobs."""

from __future__ import annotations

from hub import hookimpl, inbound
from hub.hooktypes import Job


@hookimpl(trylast=True)
def hub_register_jobs() -> list[Job]:
    # Interval 0: applied on every turn of the worker's loop, one worker at a time.
    return [Job(name="inbound", interval=0, run=inbound.drain)]
