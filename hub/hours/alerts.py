"""The low-balance warning: once when a card's balance falls below its level.

The warning is part of the change's transaction (``low_warned`` on the settings, and a
request for the client's wiki page through the outbox); ``hub_hours_low`` is called
after the commit, each plugin on its own, so a rolled-back change warns no one. The
warning is given again only after the balance rose to the level (a purchase) and fell.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from sqlalchemy import event
from sqlalchemy.orm import Session

from hub import documentation
from hub.models import Contract, HoursSettings
from hub.pluginmanager import call_one, get_pm, implementers

log = logging.getLogger(__name__)
HOOK = "hub_hours_low"
_QUEUE = "hub.hours.low"


def check(contract: Contract, row: HoursSettings, balance_minutes: Decimal) -> bool:
    """Note a crossing of the level; True when this change crossed it downwards."""
    level = row.low_balance_hours
    below = level is not None and balance_minutes < level * 60
    if below and not row.low_warned:
        row.low_warned = True
        balance = (balance_minutes / 60).quantize(Decimal("0.01"))
        session = Session.object_session(row)
        session.info.setdefault(_QUEUE, []).append((contract.client.key, balance))
        documentation.request("client", contract.client.key, f"hours card low: {balance} h")
        return True
    if not below and row.low_warned:
        row.low_warned = False
    return False


def notify(client: str, balance: Decimal) -> None:
    """Call every plugin's ``hub_hours_low``; one plugin's failure stays its own."""
    pm = get_pm()
    for name in implementers(pm, HOOK):
        try:
            call_one(pm, HOOK, name, client=client, balance=balance)
        except Exception as exc:  # noqa: BLE001 - boundary: a plugin's failure is logged only
            log.warning("plugin %s failed on %s for %s: %r", name, HOOK, client, exc)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    for client, balance in session.info.pop(_QUEUE, []):
        notify(client, balance)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous_transaction: object) -> None:  # noqa: ARG001
    session.info.pop(_QUEUE, None)
