"""The client's hours card: purchases in, approved time out, disputed time held.

The balance is never stored: it is purchased hours minus the rounded minutes of the
approved entries, summed by the database, so it reconciles by construction. A time
entry without a decision is *pending*; the client's verdict on a call decides its
pending entries (an approval also settles disputed ones); the SLA manager settles a
held entry by approving or writing it off. An approval that would take the balance
below ``-overdraft_hours`` is refused with 409 and writes nothing.

Every function changes the session only; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from hub import audit, calls
from hub.db import db, utcnow
from hub.errors import Conflict, Invalid, NotFound
from hub.hours import alerts, outside
from hub.models import (
    Call,
    CallFeedback,
    Contract,
    HoursDecision,
    HoursPurchase,
    HoursSettings,
    TimeEntry,
)

VERDICTS = ("approved", "disputed")
RESOLUTIONS = ("approve", "write_off")
DEFAULT_UNIT = 15
SIXTY = Decimal(60)
CENT = Decimal("0.01")


def round_up(minutes: int, unit: int) -> int:
    """``minutes`` rounded up to a whole number of ``unit`` (a 15-minute unit: 1 → 15)."""
    return -(-minutes // unit) * unit


def hours(minutes: Decimal | int) -> Decimal:
    """Minutes as hours with two decimals (display; the ledger keeps exact minutes)."""
    return (Decimal(minutes) / SIXTY).quantize(CENT)


def settings(contract: Contract, *, for_update: bool = False) -> HoursSettings:
    """The contract's hours settings (defaults until someone changes them); with
    ``for_update`` the row is locked, so approvals on one contract queue up."""
    row = db.session.get(HoursSettings, contract.id, with_for_update=for_update or None)
    if row is None:
        row = HoursSettings(
            contract_id=contract.id,
            unit_minutes=DEFAULT_UNIT,
            overdraft_hours=Decimal("0"),
            low_warned=False,
        )
        db.session.add(row)
        db.session.flush()
        if for_update:  # another request may have made it meanwhile: lock what is there
            row = db.session.get(HoursSettings, contract.id, with_for_update=True)
    return row


def configure(
    contract: Contract,
    *,
    unit_minutes: int,
    low_balance_hours: Decimal | None,
    overdraft_hours: Decimal,
) -> HoursSettings:
    """Change how the contract's card is kept (applies to decisions from now on)."""
    if not 1 <= unit_minutes <= 480:
        raise Invalid("unit_minutes must be between 1 and 480", "unit_minutes")
    if overdraft_hours < 0:
        raise Invalid("overdraft_hours must not be negative", "overdraft_hours")
    if low_balance_hours is not None and low_balance_hours < 0:
        raise Invalid("low_balance_hours must not be negative", "low_balance_hours")
    row = settings(contract, for_update=True)
    with audit.changing("hours.configure", "contract", contract.reference, row):
        row.unit_minutes = unit_minutes
        row.low_balance_hours = low_balance_hours
        row.overdraft_hours = overdraft_hours
    alerts.check(contract, row, balance_minutes(contract))
    return row


# --- figures ------------------------------------------------------------------------------


def purchased_minutes(contract: Contract) -> Decimal:
    total = db.session.scalar(
        select(func.coalesce(func.sum(HoursPurchase.hours), 0)).where(
            HoursPurchase.contract_id == contract.id
        )
    )
    return Decimal(total) * SIXTY


def minutes_in(contract: Contract, state: str) -> int:
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(HoursDecision.minutes), 0)).where(
                HoursDecision.contract_id == contract.id, HoursDecision.state == state
            )
        )
    )


def balance_minutes(contract: Contract) -> Decimal:
    """Purchased minus approved, in minutes (exact)."""
    return purchased_minutes(contract) - minutes_in(contract, "approved")


def pending_entries(contract: Contract, call: Call | None = None) -> list[TimeEntry]:
    """Time entries on the contract's calls (or one call) that no one decided on yet."""
    decided = select(HoursDecision.time_entry_id)
    stmt = (
        select(TimeEntry)
        .join(Call, TimeEntry.call_id == Call.id)
        .where(Call.contract_id == contract.id, TimeEntry.id.not_in(decided))
        .order_by(TimeEntry.id)
    )
    if call is not None:
        stmt = stmt.where(TimeEntry.call_id == call.id)
    return list(db.session.scalars(stmt))


def decisions(contract: Contract, state: str, call: Call | None = None) -> list[HoursDecision]:
    stmt = select(HoursDecision).where(
        HoursDecision.contract_id == contract.id, HoursDecision.state == state
    )
    if call is not None:
        stmt = stmt.where(HoursDecision.call_id == call.id)
    return list(db.session.scalars(stmt.order_by(HoursDecision.id)))


def purchases(contract: Contract) -> list[HoursPurchase]:
    stmt = select(HoursPurchase).where(HoursPurchase.contract_id == contract.id)
    return list(db.session.scalars(stmt.order_by(HoursPurchase.bought_on, HoursPurchase.id)))


@dataclass(frozen=True)
class Ledger:
    """One contract's card as it is now; hours with two decimals."""

    contract: Contract
    unit_minutes: int
    purchased: Decimal
    approved: Decimal
    held: Decimal
    pending: Decimal
    written_off: Decimal
    balance: Decimal
    overdraft: Decimal
    low_balance: Decimal | None

    @property
    def low(self) -> bool:
        return self.low_balance is not None and self.balance < self.low_balance


def ledger(contract: Contract) -> Ledger:
    row = db.session.get(HoursSettings, contract.id)
    unit = row.unit_minutes if row else DEFAULT_UNIT
    pending = sum(round_up(e.minutes, unit) for e in pending_entries(contract))
    return Ledger(
        contract=contract,
        unit_minutes=unit,
        purchased=hours(purchased_minutes(contract)),
        approved=hours(minutes_in(contract, "approved")),
        held=hours(minutes_in(contract, "disputed")),
        pending=hours(pending),
        written_off=hours(minutes_in(contract, "written_off")),
        balance=hours(balance_minutes(contract)),
        overdraft=row.overdraft_hours if row else Decimal("0"),
        low_balance=row.low_balance_hours if row else None,
    )


# --- changes ------------------------------------------------------------------------------


def purchase(
    contract: Contract,
    *,
    actor: str,
    bought_on: date,
    hours_bought: Decimal,
    amount: Decimal,
    note: str | None = None,
) -> HoursPurchase:
    """Add hours to the card (``amount``: what the client paid, EUR)."""
    if hours_bought <= 0:
        raise Invalid("hours must be more than 0", "hours")
    if amount < 0:
        raise Invalid("amount must not be negative", "amount")
    row = settings(contract, for_update=True)
    bought = HoursPurchase(
        contract_id=contract.id, bought_on=bought_on, hours=hours_bought, amount=amount,
        note=note, created_by=actor,
    )  # fmt: skip
    db.session.add(bought)
    audit.created("hours.purchase", "contract", contract.reference, bought)
    alerts.check(contract, row, balance_minutes(contract))
    return bought


def _approve(
    contract: Contract, row: HoursSettings, entries: list[TimeEntry], held: list[HoursDecision],
    *, actor: str, note: str | None,
) -> None:  # fmt: skip
    """Deduct ``entries`` (pending) and ``held`` (disputed) or refuse with 409."""
    new = {e.id: round_up(e.minutes, row.unit_minutes) for e in entries}
    needed = sum(new.values()) + sum(d.minutes for d in held)
    after = balance_minutes(contract) - needed
    if after < -row.overdraft_hours * SIXTY:
        raise Conflict(
            f"approving {hours(needed)} h would overdraw the hours card of contract "
            f"{contract.reference}: balance {hours(after + needed)} h, overdraft allowed "
            f"{row.overdraft_hours} h; add a purchase first",
            "hours",
            balance=str(hours(after + needed)),
            needed=str(hours(needed)),
        )
    now = utcnow()
    for entry in entries:
        db.session.add(HoursDecision(
            time_entry_id=entry.id, contract_id=contract.id, call_id=entry.call_id,
            minutes=new[entry.id], state="approved", decided_at=now, decided_by=actor, note=note,
        ))  # fmt: skip
    for decision in held:
        decision.state, decision.decided_at, decision.decided_by = "approved", now, actor
    db.session.flush()
    alerts.check(contract, row, after)


def _dispute(contract: Contract, row: HoursSettings, entries: list[TimeEntry], *, actor: str,
             note: str | None) -> None:  # fmt: skip
    for entry in entries:
        db.session.add(HoursDecision(
            time_entry_id=entry.id, contract_id=contract.id, call_id=entry.call_id,
            minutes=round_up(entry.minutes, row.unit_minutes), state="disputed",
            decided_at=utcnow(), decided_by=actor, note=note,
        ))  # fmt: skip
    db.session.flush()


def _contract_of(call: Call) -> Contract:
    if call.contract is None:
        raise Conflict(f"call {call.id} is under no contract: it has no hours card", "call")
    return call.contract


def give_verdict(
    call: Call,
    *,
    actor: str,
    verdict: str,
    score: int | None = None,
    comment: str | None = None,
) -> CallFeedback:
    """The client approves or disputes the call's hours, with its satisfaction (1–5).

    Approval deducts the call's pending and disputed entries (409 when that would
    overdraw, nothing written); a dispute holds the pending ones. The verdict is also
    recorded as the call's ``hours`` event (as Mantis's verdicts are) for the plugins.
    """
    calls.check(verdict, VERDICTS, "verdict")
    if score is not None and not 1 <= score <= 5:
        raise Invalid("score must be a whole number from 1 to 5", "score")
    contract = _contract_of(call)
    row = settings(contract, for_update=True)
    apply_verdict(contract, row, call, verdict, actor=actor, note=comment)
    feedback = CallFeedback(
        call_id=call.id, verdict=verdict, score=score, comment=comment, actor=actor
    )
    db.session.add(feedback)
    outside.mark_own(db.session(), call)  # applied here: not again as an outside verdict
    calls.record_hours_verdict(call, actor=actor, verdict=verdict, note=comment)
    db.session.flush()
    db.session.info.get(outside.OWN, set()).discard(call.id)  # no event if a repeat
    return feedback


def apply_verdict(
    contract: Contract, row: HoursSettings, call: Call, verdict: str, *, actor: str,
    note: str | None,
) -> None:  # fmt: skip
    entries = pending_entries(contract, call)
    if verdict == "approved":
        _approve(contract, row, entries, decisions(contract, "disputed", call), actor=actor,
                 note=note)  # fmt: skip
    else:
        _dispute(contract, row, entries, actor=actor, note=note)


def resolve(call: Call, *, actor: str, action: str, note: str | None = None) -> int:
    """The SLA manager settles the call's held (disputed) entries: ``approve`` deducts
    them (409 when that would overdraw), ``write_off`` lets them go. Returns how many."""
    calls.check(action, RESOLUTIONS, "action")
    contract = _contract_of(call)
    row = settings(contract, for_update=True)
    held = decisions(contract, "disputed", call)
    if not held:
        raise NotFound(f"call {call.id} has no disputed hours", "call")
    if action == "approve":
        _approve(contract, row, [], held, actor=actor, note=note)
    else:
        for decision in held:
            decision.state, decision.decided_at, decision.decided_by = (
                "written_off", utcnow(), actor,
            )  # fmt: skip
            decision.note = note or decision.note
        db.session.flush()
    calls.record(call, actor, "hours_resolved", {"action": action, "entries": len(held)}, note)
    audit.record(
        None, "hours.resolve", "call", call.id, {"disputed": len(held)},
        {"approved" if action == "approve" else "written_off": len(held)},
    )  # fmt: skip
    return len(held)
