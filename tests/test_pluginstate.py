"""What the core keeps for a plugin between runs."""

from __future__ import annotations

from hub import pluginstate
from hub.db import db


def test_values_are_kept_per_plugin_and_key(ctx):
    assert pluginstate.get("mantis", "cursor:3") is None
    assert pluginstate.get("mantis", "cursor:3", "none") == "none"
    pluginstate.put("mantis", "cursor:3", {"at": "2026-12-01T10:00:00+00:00", "ids": [1, 2]})
    pluginstate.put("jira", "cursor:3", 7)
    db.session.commit()
    pluginstate.put("mantis", "cursor:3", {"at": "2026-12-01T11:00:00+00:00", "ids": [3]})
    db.session.commit()
    db.session.expire_all()
    assert pluginstate.get("mantis", "cursor:3") == {"at": "2026-12-01T11:00:00+00:00", "ids": [3]}
    assert pluginstate.get("jira", "cursor:3") == 7


def test_a_write_joins_the_callers_transaction(ctx):
    pluginstate.put("mantis", "last_error", "boom")
    db.session.rollback()
    assert pluginstate.get("mantis", "last_error") is None
