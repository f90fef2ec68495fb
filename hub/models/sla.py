"""The SLA engine's records: each call's clocks and the periods it waited for the client."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.db import UTCDateTime, db
from hub.models.calls import Call
from hub.models.directory import Person


class Clock(db.Model):
    """The running time of one target on one call.

    Kinds: ``response`` and ``resolution`` (the client's targets), ``line`` (one line's own
    time on the call, an OLA) and ``collegial`` (from an internal escalation until the
    colleague acknowledges). ``due_at`` and ``next_alert_at`` are kept in indexed columns
    so that what is due is one query; both are empty while the clock is paused or stopped.
    """

    __tablename__ = "clocks"
    __table_args__ = (
        Index("ix_clocks_next_alert_at", "next_alert_at"),
        Index("ix_clocks_due_at", "due_at"),
        Index("ix_clocks_call_kind", "call_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"))
    kind: Mapped[str] = mapped_column(String(12))
    #: The line whose time this is (line and collegial clocks).
    line: Mapped[str | None] = mapped_column(String(20))
    #: Who must acknowledge (collegial clocks).
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    priority: Mapped[str] = mapped_column(String(2))
    #: The target in business minutes of the contract's calendar.
    target_minutes: Mapped[int]
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Set while the call waits for the client.
    paused_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_alert_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The alert levels already fired (names), so that a sweep fires each once.
    fired: Mapped[list[str]] = mapped_column(JSON, default=list)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Business minutes the clock ran, pauses left out (set when it stops).
    elapsed_minutes: Mapped[float | None]
    #: "met" or "breached" once stopped; a running clock past its due time is breached
    #: as soon as the sweep sees it (``breached_at``), and stays so.
    outcome: Mapped[str | None] = mapped_column(String(10))
    breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Why it breached: where the call was then, and what people wrote about it.
    cause: Mapped[str | None] = mapped_column(Text)

    call: Mapped[Call] = relationship()
    person: Mapped[Person | None] = relationship()

    @property
    def running(self) -> bool:
        return self.stopped_at is None


class CallPause(db.Model):
    """A period in which a call waited for the client: its clocks did not run."""

    __tablename__ = "call_pauses"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    call: Mapped[Call] = relationship()
