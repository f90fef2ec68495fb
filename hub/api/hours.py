"""Client hours through the API: the client's verdict and satisfaction per call, a
contract's hours card (ledger), purchases, and the SLA manager's settling of disputes.

A client viewer gives the verdict on its own client's calls (the SLA manager and admin
may record one given by phone or mail; associates, who booked the hours, may not) and
reads its own client's cards. Hours and amounts travel as decimal strings ("2.50").
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from flask import jsonify
from pydantic import Field
from sqlalchemy import select

from hub import calls as service
from hub.api import actor, bp, current_user, doc, parse
from hub.api.schemas import HoursMoney, In, LongText, Money
from hub.db import db
from hub.errors import Forbidden, NotFound
from hub.hours import ledger
from hub.models import Call, Contract

MANAGERS = ("admin", "sla_manager")
JUDGES = ("admin", "sla_manager", "client_viewer")


class VerdictIn(In):
    verdict: Literal["approved", "disputed"]
    score: Annotated[int, Field(ge=1, le=5)] | None = None
    comment: LongText | None = None


class ResolutionIn(In):
    action: Literal["approve", "write_off"]
    note: LongText | None = None


class PurchaseIn(In):
    bought_on: date
    hours: Annotated[HoursMoney, Field(gt=0)]
    amount: Money
    note: LongText | None = None


def _call(call_id: int) -> Call:
    call = service.get_call(call_id, for_update=True)
    user = current_user()
    if user.role == "client_viewer" and call.client_id != user.client_id:
        raise Forbidden(f"call {call.id} belongs to another client")
    return call


def _contract(reference: str) -> Contract:
    contract = db.session.scalar(select(Contract).where(Contract.reference == reference))
    user = current_user()
    if user.role == "client_viewer" and (contract is None or contract.client_id != user.client_id):
        raise Forbidden("a client viewer reads only its own client's contracts", "reference")
    if contract is None:
        raise NotFound(f"no contract {reference!r}", "reference")
    return contract


def render_ledger(book: ledger.Ledger) -> dict[str, Any]:
    c = book.contract
    money = lambda v: None if v is None else str(v)  # noqa: E731
    return {
        "contract": c.reference, "client": c.client.key,
        "fixed_fee": str(c.fixed_fee), "services": list(c.services or []),
        "unit_minutes": book.unit_minutes, "purchased": str(book.purchased),
        "approved": str(book.approved), "held": str(book.held), "pending": str(book.pending),
        "written_off": str(book.written_off), "balance": str(book.balance),
        "overdraft_allowed": str(book.overdraft), "low_balance": money(book.low_balance),
        "low": book.low,
        "purchases": [
            {"id": p.id, "bought_on": p.bought_on.isoformat(), "hours": str(p.hours),
             "amount": str(p.amount), "note": p.note}
            for p in ledger.purchases(c)
        ],
    }  # fmt: skip


@bp.post("/calls/<int:call_id>/hours-verdict")
@doc("The client approves or disputes a call's hours, with a satisfaction score (1-5) "
     "and comment (409 when approving would overdraw the hours card)",
     body=VerdictIn, roles=JUDGES)  # fmt: skip
def hours_verdict(call_id: int):  # noqa: ANN201
    data = parse(VerdictIn)
    call = _call(call_id)
    feedback = ledger.give_verdict(call, actor=actor(), **data.model_dump())
    db.session.commit()
    book = ledger.ledger(call.contract)
    body = {"call": call.id, "verdict": feedback.verdict, "score": feedback.score,
            "comment": feedback.comment, "ledger": render_ledger(book)}  # fmt: skip
    return jsonify(body), 201


@bp.post("/calls/<int:call_id>/hours-resolution")
@doc("Settle a call's disputed hours: approve (deduct) or write off", body=ResolutionIn,
     roles=MANAGERS)  # fmt: skip
def hours_resolution(call_id: int):  # noqa: ANN201
    data = parse(ResolutionIn)
    call = _call(call_id)
    settled = ledger.resolve(call, actor=actor(), action=data.action, note=data.note)
    db.session.commit()
    return jsonify({"call": call.id, "settled": settled,
                    "ledger": render_ledger(ledger.ledger(call.contract))})  # fmt: skip


@bp.get("/contracts/<reference>/hours")
@doc("A contract's hours card: purchases, approved, held and pending hours, balance")
def hours_ledger(reference: str):  # noqa: ANN201
    return jsonify(render_ledger(ledger.ledger(_contract(reference))))


@bp.post("/contracts/<reference>/hours/purchases")
@doc("Add hours bought to a contract's hours card (amount in EUR)", body=PurchaseIn,
     roles=MANAGERS)  # fmt: skip
def hours_purchase(reference: str):  # noqa: ANN201
    data = parse(PurchaseIn)
    contract = _contract(reference)
    ledger.purchase(contract, actor=actor(), bought_on=data.bought_on, hours_bought=data.hours,
                    amount=data.amount, note=data.note)  # fmt: skip
    db.session.commit()
    return jsonify(render_ledger(ledger.ledger(contract))), 201
