"""Calls, their links to outside trackers, their history and the time spent on them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.db import UTCDateTime, db, utcnow
from hub.models.directory import Application, Client, Contract, Person


class Call(db.Model):
    """One support request or incident (Dutch *melding*)."""

    __tablename__ = "calls"
    __table_args__ = (
        Index("ix_calls_status_line_priority", "status", "line", "priority"),
        # A client's calls opened in a period (SLA reports).
        Index("ix_calls_client_created", "client_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(50))
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id"), index=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    reporter: Mapped[str | None] = mapped_column(String(200))
    priority: Mapped[str] = mapped_column(String(2))
    category: Mapped[str] = mapped_column(String(20))
    line: Mapped[str] = mapped_column(String(20))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="new")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    client: Mapped[Client] = relationship()
    contract: Mapped[Contract | None] = relationship()
    application: Mapped[Application | None] = relationship()
    assignee: Mapped[Person | None] = relationship()
    links: Mapped[list[CallLink]] = relationship(
        back_populates="call", cascade="all, delete-orphan", order_by="CallLink.id"
    )
    events: Mapped[list[CallEvent]] = relationship(
        back_populates="call", cascade="all, delete-orphan", order_by="CallEvent.id"
    )


class CallLink(db.Model):
    """The call's reference in an outside system (a Mantis issue, a Jira key, a wiki page)."""

    __tablename__ = "call_links"
    __table_args__ = (UniqueConstraint("system", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    system: Mapped[str] = mapped_column(String(50))
    key: Mapped[str] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(500))

    call: Mapped[Call] = relationship(back_populates="links")


class CallEvent(db.Model):
    """One entry of a call's history: who did what, when."""

    __tablename__ = "call_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str | None] = mapped_column(Text)

    call: Mapped[Call] = relationship(back_populates="events")


class TimeEntry(db.Model):
    """Minutes a person spent on a call."""

    __tablename__ = "time_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    minutes: Mapped[int]
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))

    call: Mapped[Call] = relationship()
    person: Mapped[Person] = relationship()
