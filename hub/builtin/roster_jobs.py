"""The duty roster's periodic job: record the handover when a duty begins."""

from __future__ import annotations

from hub import hookimpl
from hub.db import db
from hub.hooktypes import Job
from hub.sla import roster


def handover() -> int:
    """Record the handovers due now and commit them; returns how many (0 most minutes)."""
    recorded = roster.record_handovers()
    db.session.commit()
    return recorded


@hookimpl(trylast=True)
def hub_register_jobs() -> list[Job]:
    # Every minute: a duty's handover lists the open calls within a minute of its start.
    return [Job(name="roster_handover", interval=60, run=handover)]
