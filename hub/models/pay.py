"""Associate pay: tariff versions, the activity pay is counted from, and issued statements.

Money is integer euro cents throughout (never float). Duties (shifts) and handled calls
(time entries) already live in their own tables; the activity recorded here is what the
hub does not otherwise know: handover sessions, team meetings, trainings and exams.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.db import UTCDateTime, db, utcnow
from hub.models.directory import Application, Person


class TariffVersion(db.Model):
    """One tariff from ``valid_from`` on, until the next version of the same ``item``.

    ``unit`` is "each" (per handover, meeting, duty …) or "hour" (a call: its counted
    minutes, between ``min_minutes`` and ``max_minutes``, at ``amount_cents`` an hour).
    Before the first version of an item, the seed's defaults apply (:mod:`hub.pay.tariffs`).
    """

    __tablename__ = "pay_tariffs"
    __table_args__ = (UniqueConstraint("item", "valid_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item: Mapped[str] = mapped_column(String(20))
    valid_from: Mapped[date]
    amount_cents: Mapped[int]
    unit: Mapped[str] = mapped_column(String(10), default="each")
    min_minutes: Mapped[int | None]
    max_minutes: Mapped[int | None]
    note: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))


class HandoverSession(db.Model):
    """A handover session of a project (application) to an associate: once per pair."""

    __tablename__ = "pay_handover_sessions"
    __table_args__ = (UniqueConstraint("person_id", "application_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"))
    day: Mapped[date]
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))

    person: Mapped[Person] = relationship()
    application: Mapped[Application] = relationship()


class TeamMeeting(db.Model):
    """An associate attended a team meeting (and its follow-up) on ``day``."""

    __tablename__ = "pay_team_meetings"
    __table_args__ = (UniqueConstraint("person_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    day: Mapped[date]
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))

    person: Mapped[Person] = relationship()


class Exam(db.Model):
    """A training or an exam for a product line; ``passed`` is None for a training."""

    __tablename__ = "pay_exams"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    day: Mapped[date]
    kind: Mapped[str] = mapped_column(String(10))  # "training" or "exam"
    product_line: Mapped[str] = mapped_column(String(20))
    passed: Mapped[bool | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))

    person: Mapped[Person] = relationship()


class Statement(db.Model):
    """An associate's issued statement of one quarter: frozen with its lines.

    Totals: ``earned`` (the quarter's items) + ``corrections`` (earlier issued quarters'
    items that changed since) − ``advance`` (paid at the start of the quarter) =
    ``settlement`` (paid at its end; negative when the advance was too much).
    """

    __tablename__ = "pay_statements"
    __table_args__ = (UniqueConstraint("person_id", "quarter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    quarter: Mapped[str] = mapped_column(String(7))  # "2026-Q1": sorts as it reads
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    earned_cents: Mapped[int]
    corrections_cents: Mapped[int]
    advance_cents: Mapped[int]
    settlement_cents: Mapped[int]
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by: Mapped[str] = mapped_column(String(200))

    person: Mapped[Person] = relationship()
    lines: Mapped[list[StatementLine]] = relationship(
        back_populates="statement", cascade="all, delete-orphan", order_by="StatementLine.position"
    )


class StatementLine(db.Model):
    """One priced line: ``kind`` is item, correction or advance; ``source`` names the
    event it comes from ("shift:12", "call:5", "handover:3", "meeting:4", "exam:2")."""

    __tablename__ = "pay_statement_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("pay_statements.id"), index=True)
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(12))
    item: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(40))
    day: Mapped[date]
    description: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[int]  # 1 for a piece, counted minutes for a call
    rate_cents: Mapped[int]
    tariff_id: Mapped[int | None] = mapped_column(ForeignKey("pay_tariffs.id"))
    amount_cents: Mapped[int]
    flagged: Mapped[bool] = mapped_column(default=False)

    statement: Mapped[Statement] = relationship(back_populates="lines")
