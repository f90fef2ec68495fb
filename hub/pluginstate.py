"""A little state per plugin, kept by the core: a poll cursor, the last error seen.

Plugins never write the core's tables; they keep what they must remember between runs
here, as JSON values under their own name. Writes join the caller's transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from hub.db import db, utcnow
from hub.models import PluginState


def get(plugin: str, key: str, default: Any = None) -> Any:
    """The value ``plugin`` stored under ``key``, or ``default``."""
    row = db.session.scalar(
        select(PluginState).where(PluginState.plugin == plugin, PluginState.key == key)
    )
    return default if row is None else row.value


def put(plugin: str, key: str, value: Any) -> None:
    """Store ``value`` (JSON) under ``key`` for ``plugin``, in the current transaction."""
    row = db.session.scalar(
        select(PluginState).where(PluginState.plugin == plugin, PluginState.key == key)
    )
    if row is None:
        db.session.add(PluginState(plugin=plugin, key=key, value=value, updated_at=utcnow()))
    else:
        row.value, row.updated_at = value, utcnow()
