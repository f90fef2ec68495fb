"""Jira's words in the hub's: comment bodies, priorities, statuses.

Pure functions of a payload's values and the settings; no database, no network.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

PRIORITIES = {
    "highest": "P1",
    "blocker": "P1",
    "critical": "P2",
    "high": "P2",
    "medium": "P3",
    "major": "P3",
    "low": "P4",
    "lowest": "P4",
    "minor": "P4",
    "trivial": "P4",
}

#: Status names whose category is known without asking Jira: the changelog's *from*
#: status comes with its name only. ``None`` means "not yet worked on" (category new).
KNOWN_STATUSES: dict[str, str | None] = {
    "open": None,
    "to do": None,
    "new": None,
    "backlog": None,
    "reopened": "reopened",
    "waiting for support": None,
    "selected for development": None,
    "in progress": "in_progress",
    "work in progress": "in_progress",
    "waiting for customer": "waiting_for_client",
    "pending": "waiting_for_client",
    "resolved": "resolved",
    "done": "resolved",
    "closed": "resolved",
    "canceled": "resolved",
}
_CATEGORY = {"new": None, "indeterminate": "in_progress", "done": "resolved"}


def priority(name: str | None, overrides: dict[str, str]) -> str | None:
    """P1..P4 for a Jira priority name; None when the name is not known."""
    if not name:
        return None
    lowered = {k.lower(): v for k, v in overrides.items()}
    return lowered.get(name.lower()) or PRIORITIES.get(name.lower())


def hub_status(name: str | None, category: str | None, overrides: dict[str, str]) -> str | None:
    """The hub status a Jira status stands for: the ``statuses`` setting, else the known
    names, else the status category; None for "not yet worked on" or when neither name
    nor category says. (A jump such as new → resolved is the hub's to walk: it follows
    the outside system through its own allowed moves, :func:`hub.lifecycle.path`.)"""
    lowered = {k.lower(): v for k, v in overrides.items()}
    key = (name or "").lower()
    if key in lowered:
        return lowered[key] or None
    if key in KNOWN_STATUSES:
        return KNOWN_STATUSES[key]
    return _CATEGORY.get(category or "")


def plain(body: Any) -> str:
    """A comment or description as text: a wiki-markup string as it is, an Atlassian
    Document Format document (Cloud) flattened to its text."""
    if body is None:
        return ""
    if isinstance(body, str):
        return body.strip()
    if isinstance(body, dict):
        return _adf(body).strip()
    return str(body)


_BLOCKS = {"paragraph", "heading", "listItem", "blockquote", "codeBlock", "rule", "panel"}


def _adf(node: dict) -> str:
    kind = node.get("type")
    if kind == "text":
        return str(node.get("text", ""))
    if kind == "hardBreak":
        return "\n"
    if kind in ("mention", "emoji", "inlineCard"):
        attrs = node.get("attrs") or {}
        return str(attrs.get("text") or attrs.get("shortName") or attrs.get("url") or "")
    inner = "".join(_adf(child) for child in node.get("content") or () if isinstance(child, dict))
    return inner + "\n" if kind in _BLOCKS else inner


def opened_at(created: str | None) -> str | None:
    """Jira's ``2019-08-13T07:23:01.993+0800`` as ISO 8601 with offset; None if unreadable
    or without an offset. (``fromisoformat`` reads Jira's offset without a colon since
    Python 3.11, at a tenth of ``strptime``'s cost: this runs in every webhook request.)"""
    if not created:
        return None
    try:
        at = datetime.fromisoformat(created)
    except ValueError:
        return None
    return at.isoformat() if at.tzinfo is not None else None
