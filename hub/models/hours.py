"""The client's hours card (*strippenkaart*): settings per contract, purchases, the
client's verdict on each time entry, and its feedback per call.

The ledger (:mod:`hub.hours.ledger`) derives the balance from these rows: purchased
hours minus the minutes of approved entries. A time entry without a decision is pending.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.db import UTCDateTime, db, utcnow
from hub.models.calls import Call, TimeEntry
from hub.models.directory import Contract


class HoursSettings(db.Model):
    """How a contract's hours card is kept: the rounding unit, the low-balance level and
    how far the balance may go below zero; ``low_warned``: the warning was given."""

    __tablename__ = "hours_settings"

    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), primary_key=True)
    unit_minutes: Mapped[int] = mapped_column(default=15)
    low_balance_hours: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    overdraft_hours: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("0"))
    low_warned: Mapped[bool] = mapped_column(default=False)

    contract: Mapped[Contract] = relationship()


class HoursPurchase(db.Model):
    """Hours the client bought for the card, on a day, for an amount in EUR."""

    __tablename__ = "hours_purchases"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    bought_on: Mapped[date]
    hours: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))

    contract: Mapped[Contract] = relationship()


class HoursDecision(db.Model):
    """The verdict on one time entry: ``approved`` (deducted), ``disputed`` (held) or
    ``written_off`` (the SLA manager let it go); ``minutes`` rounded up to the unit."""

    __tablename__ = "hours_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    time_entry_id: Mapped[int] = mapped_column(ForeignKey("time_entries.id"), unique=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    minutes: Mapped[int]
    state: Mapped[str] = mapped_column(String(20))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)

    entry: Mapped[TimeEntry] = relationship()
    call: Mapped[Call] = relationship()


class CallFeedback(db.Model):
    """The client's verdict on a call's hours with its satisfaction (1–5) and comment;
    ``outcome`` says whether the verdict could be applied (``overdraft``: held)."""

    __tablename__ = "call_feedback"
    __table_args__ = (Index("ix_call_feedback_call_at", "call_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"))
    verdict: Mapped[str] = mapped_column(String(20))
    score: Mapped[int | None]
    comment: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(20), default="applied")
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    call: Mapped[Call] = relationship()
