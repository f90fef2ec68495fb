"""The core's periodic jobs."""

from __future__ import annotations

from hub import hookimpl, inbound
from hub.hooktypes import Job


@hookimpl(trylast=True)
def hub_register_jobs() -> list[Job]:
    return [Job(name="inbound-retry", interval=30, run=inbound.retry_pending)]
