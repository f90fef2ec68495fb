"""The duty roster: who is the 2nd line when, the days they cannot, and each handover."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.db import UTCDateTime, db, utcnow
from hub.models.directory import Person


class Shift(db.Model):
    """One duty: ``person`` is the associate on duty for ``product_line`` from
    ``starts_at`` (inclusive) to ``ends_at`` (exclusive).

    Who is on duty at an instant is one query on ``(product_line, starts_at)``: the latest
    shift starting at or before it, if it has not ended. Shifts of one product line never
    overlap (:mod:`hub.sla.roster` refuses it), which is what makes that enough.
    """

    __tablename__ = "shifts"
    __table_args__ = (
        Index("ix_shifts_line_starts_at", "product_line", "starts_at"),
        Index("ix_shifts_ends_at", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    product_line: Mapped[str] = mapped_column(String(20))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    person: Mapped[Person] = relationship()
    handover: Mapped[Handover | None] = relationship(back_populates="shift")

    @property
    def hours(self) -> float:
        return (self.ends_at - self.starts_at).total_seconds() / 3600


class Unavailability(db.Model):
    """A local calendar day on which an associate cannot be on duty."""

    __tablename__ = "unavailability"
    __table_args__ = (UniqueConstraint("person_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    day: Mapped[date]
    reason: Mapped[str | None] = mapped_column(String(200))

    person: Mapped[Person] = relationship()


class Handover(db.Model):
    """What the associate coming on duty took over: the open 2nd-line calls of the
    product line when the shift began, as a snapshot (id, title, priority, status).

    One per shift (unique ``shift_id``), so recording it twice is refused by the database.
    """

    __tablename__ = "handovers"

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    calls: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    #: Who was on duty before (the shift that ended when this one began), if anyone.
    from_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))

    shift: Mapped[Shift] = relationship(back_populates="handover")
    from_person: Mapped[Person | None] = relationship()
