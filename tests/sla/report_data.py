"""Rows for the report tests: clients, calls, clocks and time entries inserted as they are
stored, so that a report's figures can be checked against numbers known in advance."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from hub.db import db
from hub.models import Call, Client, Clock, Contract, Person, TimeEntry


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def make_client(
    key: str,
    *,
    timezone: str | None = "Europe/Amsterdam",
    valid_from: date = date(2026, 1, 1),
    valid_until: date | None = None,
    hours_card: str = "40",
) -> Client:
    """A client with one contract (none when ``timezone`` is None)."""
    client = Client(key=key, name=key.title())
    db.session.add(client)
    if timezone is not None:
        db.session.add(
            Contract(
                client=client, reference=f"{key}-sla", name=f"{key} SLA", timezone=timezone,
                valid_from=valid_from, valid_until=valid_until, hours_card=Decimal(hours_card),
            )
        )  # fmt: skip
    db.session.flush()
    return client


def add_call(
    client: Client,
    at: datetime,
    *,
    priority: str = "P2",
    category: str = "incident",
    title: str = "A call",
) -> Call:
    contract = db.session.scalar(select(Contract).where(Contract.client_id == client.id))
    call = Call(
        source="test", client_id=client.id, contract_id=contract.id if contract else None,
        title=title, priority=priority, category=category, line="1-general", status="new",
        created_at=at, updated_at=at,
    )  # fmt: skip
    db.session.add(call)
    db.session.flush()
    return call


def add_clock(
    call: Call,
    kind: str = "response",
    *,
    elapsed: float | None = None,
    outcome: str | None = None,
    running: bool = False,
    line: str | None = None,
    target: int = 60,
    due_at: datetime | None = None,
    breached_at: datetime | None = None,
    cause: str | None = None,
) -> Clock:
    """A clock of ``call``; stopped after ``elapsed`` minutes unless ``running``."""
    stopped = None if running else call.created_at + timedelta(minutes=elapsed or 0)
    clock = Clock(
        call_id=call.id, kind=kind, line=line, priority=call.priority, target_minutes=target,
        started_at=call.created_at, due_at=due_at, fired=[], stopped_at=stopped,
        elapsed_minutes=None if running else elapsed, outcome=outcome, breached_at=breached_at,
        cause=cause,
    )  # fmt: skip
    db.session.add(clock)
    return clock


def book(call: Call, minutes: int, at: datetime) -> TimeEntry:
    """Minutes booked on ``call`` by the demo's Bas at ``at``."""
    bas = db.session.scalar(select(Person).where(Person.key == "bas"))
    entry = TimeEntry(
        call_id=call.id, person_id=bas.id, minutes=minutes, created_at=at, created_by="test"
    )
    db.session.add(entry)
    return entry
