"""Verdicts that arrive as call events count like those given here.

The Mantis bridge records the client's verdict with :func:`hub.calls.record_hours_verdict`
(a call event of kind ``hours``). A session listener notes such events when they are
flushed and, just before the commit, applies each to the call's hours card as
:func:`hub.hours.ledger.give_verdict` would. A verdict given through the hub itself
(API, admin page) is applied there and marked, so it is not applied twice. An outside
approval that would overdraw cannot be refused (the client already approved in Mantis):
its entries stay pending and the feedback says ``overdraft``, for the SLA manager.
"""

from __future__ import annotations

import logging

from sqlalchemy import event
from sqlalchemy.orm import Session

from hub.errors import Conflict
from hub.models import Call, CallEvent, CallFeedback

log = logging.getLogger(__name__)
OWN = "hub.hours.own"  # call ids whose next hours event was applied by the ledger
SEEN = "hub.hours.outside"  # ids of hours events from outside, to apply before commit


def mark_own(session: Session, call: Call) -> None:
    session.info.setdefault(OWN, set()).add(call.id)


def _after_flush(session: Session, flush_context: object) -> None:  # noqa: ARG001
    own = session.info.get(OWN, set())
    for obj in session.new:
        if isinstance(obj, CallEvent) and obj.kind == "hours":
            if obj.call_id in own:
                own.discard(obj.call_id)
            else:
                session.info.setdefault(SEEN, []).append(obj.id)


def _before_commit(session: Session) -> None:
    from hub.hours import ledger  # (ledger imports this package)

    for event_id in session.info.pop(SEEN, []):
        row = session.get(CallEvent, event_id)
        verdict = row.data.get("verdict") if row else None
        if verdict not in ledger.VERDICTS:
            continue
        call = row.call
        outcome = "applied"
        if call.contract is not None:
            settings = ledger.settings(call.contract, for_update=True)
            try:
                ledger.apply_verdict(
                    call.contract, settings, call, verdict, actor=row.actor, note=row.note
                )
            except Conflict as exc:
                log.warning("call %s: %s; its hours stay pending", call.id, exc.message)
                outcome = "overdraft"
        session.add(CallFeedback(
            call_id=call.id, verdict=verdict, comment=row.note, actor=row.actor,
            outcome=outcome, at=row.at,
        ))  # fmt: skip


def _after_rollback(session: Session, previous_transaction: object) -> None:  # noqa: ARG001
    session.info.pop(SEEN, None)
    session.info.pop(OWN, None)


def listen() -> None:
    """Register the listeners (once)."""
    for name, fn in (
        ("after_flush", _after_flush),
        ("before_commit", _before_commit),
        ("after_soft_rollback", _after_rollback),
    ):
        if not event.contains(Session, name, fn):
            event.listen(Session, name, fn)
