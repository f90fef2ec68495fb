"""The migrations this code ships (``hub/migrations``) and where a database stands.

Asked by readiness (``/readyz``), the start checks (``hub.preflight``) and backups
(``hub.backup``); the scripts are read once per process (the files do not change).
"""

from __future__ import annotations

import functools
from pathlib import Path

import sqlalchemy
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError

MIGRATIONS = str(Path(__file__).parent / "migrations")


@functools.cache
def script() -> ScriptDirectory:
    return ScriptDirectory(MIGRATIONS)


def heads() -> frozenset[str]:
    """The newest revision(s) of the code."""
    return frozenset(script().get_heads())


def head() -> str:
    return script().get_current_head()


def known(revision: str) -> bool:
    """Whether the code ships ``revision`` (False for a newer version's)."""
    try:
        return script().get_revision(revision) is not None
    except CommandError:
        return False


def state(conn: sqlalchemy.Connection) -> tuple[set[str], set[str]]:
    """(current revisions of the database, head revisions of the code)."""
    return set(MigrationContext.configure(conn).get_current_heads()), set(heads())
