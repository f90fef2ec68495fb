"""Who and what the hub serves: clients, contacts, contracts, applications, people."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.db import UTCDateTime, db, utcnow


class Client(db.Model):
    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The language of the client's e-mail and wiki pages ("nl", "en"); None: the hub's default.
    language: Mapped[str | None] = mapped_column(String(8))

    contacts: Mapped[list[Contact]] = relationship(back_populates="client")
    contracts: Mapped[list[Contract]] = relationship(back_populates="client")
    applications: Mapped[list[Application]] = relationship(back_populates="client")


class Contact(db.Model):
    """A person at the client: user, helpdesk, administrator or central reporting point."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(50))
    role: Mapped[str | None] = mapped_column(String(100))
    # Set when the contact's personal data was erased on request (hub.privacy).
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    client: Mapped[Client] = relationship(back_populates="contacts")


class Contract(db.Model):
    """A client's agreement: service level, calendar, availability, services, money, dates."""

    __tablename__ = "contracts"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # Calendar the clocks run on: time zone, working hours per weekday, holiday country.
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Amsterdam")
    calendar: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    availability: Mapped[str | None] = mapped_column(Text)
    services: Mapped[list[str]] = mapped_column(JSON, default=list)
    warning_percent: Mapped[int] = mapped_column(default=75)
    #: The SLA engine's rules beyond the targets (escalation levels, line and collegial
    #: targets, quiet hours); the format is in :mod:`hub.sla.rules`.
    rules: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    fixed_fee: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    hours_card: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("0"))
    valid_from: Mapped[date]
    valid_until: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    client: Mapped[Client] = relationship(back_populates="contracts")
    targets: Mapped[list[ServiceTarget]] = relationship(
        back_populates="contract", cascade="all, delete-orphan", order_by="ServiceTarget.priority"
    )

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)


class ServiceTarget(db.Model):
    """The service level for one priority: minutes to first response and to resolution."""

    __tablename__ = "service_targets"
    __table_args__ = (UniqueConstraint("contract_id", "priority"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    priority: Mapped[str] = mapped_column(String(2))
    response_minutes: Mapped[int]
    resolution_minutes: Mapped[int]

    contract: Mapped[Contract] = relationship(back_populates="targets")


class Person(db.Model):
    """Staff, associates and outside parties (the platform provider), with their lines."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    kind: Mapped[str] = mapped_column(String(20), default="staff")
    organisation: Mapped[str | None] = mapped_column(String(200))
    lines: Mapped[list[str]] = mapped_column(JSON, default=list)
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    certified: Mapped[list[str]] = mapped_column(JSON, default=list)  # product lines (roster)


class Application(db.Model):
    """A site or application under contract (a configuration item)."""

    __tablename__ = "applications"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(500))
    product_line: Mapped[str] = mapped_column(String(20), default="drupal")
    platform_provider: Mapped[str | None] = mapped_column(String(200))

    client: Mapped[Client] = relationship(back_populates="applications")
    team: Mapped[list[ApplicationMember]] = relationship(
        back_populates="application", cascade="all, delete-orphan"
    )


class ApplicationMember(db.Model):
    """One person's role in an application's team (project lead, developer, 3rd line …)."""

    __tablename__ = "application_members"
    __table_args__ = (UniqueConstraint("application_id", "person_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    role: Mapped[str] = mapped_column(String(50))

    application: Mapped[Application] = relationship(back_populates="team")
    person: Mapped[Person] = relationship()
