"""Telling people about a call's clocks: SLA alerts through the escalation hook, e-mail
held back during the contract's quiet hours."""

from __future__ import annotations

from datetime import datetime, timedelta

from hub.hooktypes import Escalation
from hub.models import Call, Clock
from hub.sla.clocks import calendar_of, rules_of
from hub.sla.routing import emails, servers

#: The plugin that sends e-mail; only its deliveries wait for the end of quiet hours.
MAILER = "mailer"


def quiet_until(call: Call, at: datetime) -> datetime | None:
    """The end of the quiet hours ``at`` falls in, in the contract's time zone; None when
    it is not quiet then, or the contract is 24x7, or the priority is exempt."""
    contract = call.contract
    if contract is None:
        return None
    rules = rules_of(contract)
    if rules.quiet_hours is None or call.priority in rules.quiet_exempt:
        return None
    if calendar_of(contract).always_open:
        return None
    start, end = rules.quiet_hours
    tz = calendar_of(contract).spec.tz
    local = at.astimezone(tz)
    now = local.time()
    overnight = start > end
    quiet = (now >= start or now < end) if overnight else (start <= now < end)
    if not quiet:
        return None
    day = local.date() if not overnight or now < end else local.date() + timedelta(days=1)
    wake = datetime.combine(day, end, tzinfo=tz)
    return wake.astimezone(at.tzinfo)


def holds(call: Call, at: datetime) -> dict[str, datetime]:
    """Per plugin, the earliest time a notification may go out."""
    until = quiet_until(call, at)
    return {MAILER: until} if until is not None else {}


def alert(call: Call, clock: Clock, kind: str, reason: str, at: datetime) -> None:
    """A warning or breach of one clock: in the call's history and out to the plugins
    (and by e-mail to the assignee, else to the people serving the call's line)."""
    from hub import calls  # (calls imports the SLA engine)

    people = [clock.person] if clock.kind == "collegial" else [call.assignee]
    if not emails(people):
        people = servers(call, call.line, at)
    escalation = Escalation(
        actor="sla", kind=kind, from_line=call.line, to_line=call.line,
        to_person=people[0].key if people else None, reason=reason,
        recipients=emails(people), clock=clock.kind,
    )  # fmt: skip
    calls.record(call, "sla", kind, {"clock": clock.kind, "line": clock.line}, reason)
    calls.announce(call, "hub_call_escalated", hold=holds(call, at), escalation=escalation)
