"""Words of MantisBT and of the hub, mapped both ways.

MantisBT lets an issue jump between any statuses; the hub follows such a jump through
its own allowed moves (:func:`hub.lifecycle.path`: "assigned" on a new call goes by
acknowledged to in_progress; "feedback" after a fix by reopened to waiting_for_client).
"""

from __future__ import annotations

import re
from typing import Any

#: Mantis status → hub status; "new" maps to nothing (every call starts new).
STATUS_IN = {
    "new": None,
    "feedback": "waiting_for_client",
    "acknowledged": "acknowledged",
    "confirmed": "acknowledged",
    "assigned": "in_progress",
    "resolved": "resolved",
    "closed": "closed",
}

#: Hub status → the PATCH that mirrors it (reopening is MantisBT's own: feedback with
#: resolution "reopened").
STATUS_OUT: dict[str, dict[str, Any]] = {
    "new": {"status": {"name": "new"}},
    "acknowledged": {"status": {"name": "acknowledged"}},
    "in_progress": {"status": {"name": "assigned"}},
    "waiting_for_client": {"status": {"name": "feedback"}},
    "resolved": {"status": {"name": "resolved"}, "resolution": {"name": "fixed"}},
    "closed": {"status": {"name": "closed"}},
    "reopened": {"status": {"name": "feedback"}, "resolution": {"name": "reopened"}},
}

PRIORITY_IN = {"immediate": "P1", "urgent": "P1", "high": "P2", "normal": "P3", "low": "P4",
               "none": "P4"}  # fmt: skip
PRIORITY_OUT = {"P1": "urgent", "P2": "high", "P3": "normal", "P4": "low"}


def hub_status(status: dict[str, Any] | None) -> str | None:
    """The hub status for a Mantis status object; renamed or added statuses by their id
    (MantisBT's thresholds: 80 resolved, 90 closed)."""
    if not status:
        return None
    name = str(status.get("name", "")).lower()
    if name in STATUS_IN:
        return STATUS_IN[name]
    sid = int(status.get("id") or 0)
    return "closed" if sid >= 90 else "resolved" if sid >= 80 else None


def hub_priority(priority: dict[str, Any] | None) -> str | None:
    if not priority:
        return None
    return PRIORITY_IN.get(str(priority.get("name", "")).lower())


#: What the hub writes into an issue's description or a note it posts: the call and the
#: outbox delivery. It finds an issue or note of an earlier attempt after a lost answer,
#: and tells the hub's own notes apart when a push (which names no account) brings them.
MARK = re.compile(r"SLA Hub call (\d+)\b[^\n]*\[(outbox-\d+)\]")


def mark(call_id: int, key: str, link: str | None = None) -> str:
    """The footer line with the hub's mark (and a link back to the call, if known)."""
    where = f": {link}" if link else ""
    return f"— SLA Hub call {call_id}{where} [{key}]"


def marked(text: str | None, key: str | None = None) -> bool:
    """Whether ``text`` carries the hub's mark (of delivery ``key``, if given)."""
    return any(key in (None, m.group(2)) for m in MARK.finditer(text or ""))


HOURS_VERDICTS = ("approved", "disputed")


def custom_field(issue: dict[str, Any], name: str | None) -> str | None:
    """A custom field's value by name (case-insensitive); None when unset or absent."""
    if not name:
        return None
    for entry in issue.get("custom_fields") or ():
        if str((entry.get("field") or {}).get("name", "")).lower() == name.lower():
            return str(entry.get("value") or "").strip() or None
    return None


def verdict(
    issue: dict[str, Any], hours_field: str | None, feedback_field: str | None
) -> list[str | None] | None:
    """``[verdict, feedback]`` when the hours field says approved or disputed."""
    value = (custom_field(issue, hours_field) or "").lower()
    if value not in HOURS_VERDICTS:
        return None
    return [value, custom_field(issue, feedback_field)]
