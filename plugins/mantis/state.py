"""What the plugin remembers between runs, kept by the core (:mod:`hub.pluginstate`).

Keys: ``cursor:<project id>`` (newest ``updated_at`` polled), ``project:<name>`` (its
id), ``wrote:<issue id>`` (the ``updated_at`` MantisBT answered to the hub's own last
write: a poll that sees it again skips the echo), ``verdict:<issue id>`` (the hours
verdict last read), ``account`` (the hub's Mantis user), and for health ``last_poll``,
``last_error``, ``config_error`` and ``time_tracking``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hub import pluginstate
from hub.db import db, utcnow
from hub.hooktypes import ConfigurationError
from plugins.mantis.client import parse_date
from plugins.mantis.settings import NAME


def get(key: str, default: Any = None) -> Any:
    return pluginstate.get(NAME, key, default)


def put(key: str, value: Any, *, commit: bool = False) -> None:
    """Store ``value``; with ``commit``, at once: the worker rolls back a failing hook's
    or job's transaction, and what is recorded here must survive that."""
    pluginstate.put(NAME, key, value)
    if commit:
        db.session.commit()


def stamp(value: str | datetime | None) -> str | None:
    """A Mantis date normalised to UTC ISO text, so that equal instants compare equal."""
    at = parse_date(value) if isinstance(value, str) else value
    return at.isoformat() if at else None


def wrote(issue: dict[str, Any]) -> None:
    """Remember the issue's ``updated_at`` after the hub's own write (echo detection);
    committed at once so that a poll in another worker sees it."""
    if issue.get("id") and issue.get("updated_at"):
        put(f"wrote:{issue['id']}", stamp(issue["updated_at"]), commit=True)


def is_echo(issue: dict[str, Any]) -> bool:
    """Whether the issue is exactly as the hub's own last write left it."""
    mine = get(f"wrote:{issue.get('id')}")
    return mine is not None and mine == stamp(issue.get("updated_at"))


def failed(exc: Exception) -> None:
    """Record an error for health (committed; the caller re-raises)."""
    db.session.rollback()
    entry = {"at": utcnow().isoformat(), "error": str(exc)}
    put("last_error", entry)
    if isinstance(exc, ConfigurationError):
        put("config_error", entry)
    db.session.commit()


def succeeded() -> None:
    """A request went through: a configuration error recorded before is mended."""
    if get("config_error") is not None:
        put("config_error", None)
