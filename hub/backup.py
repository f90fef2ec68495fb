"""Backups of the hub's database while it runs, and restoring them into an instance.

SQLite is copied with SQLite's online backup API from the live file; PostgreSQL with
``pg_dump`` (see :mod:`hub.pgbackup`). Either way the copy is one transaction-consistent
state of the database, taken while the web process and the workers keep writing, and a
restore refuses what it cannot restore safely: a file that is no backup of this kind of
database, a backup from a newer SLA Hub, or a target database that already holds data
(unless forced).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, func, inspect, select, table

from hub import revisions, sqlitelock
from hub.db import db

Echo = Callable[[str], None]

#: Pages copied per backup step, and the pause after each, so that the copy of a big
#: file leaves the disk to the hub's writers now and then.
STEP_PAGES = 256
STEP_PAUSE = 0.005
#: Printed after a backup and a restore (every table is counted; these are shown).
MAIN_TABLES = ("clients", "contracts", "calls", "call_events", "clocks", "inbound_events")
SQLITE_MAGIC = b"SQLite format 3\x00"


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass
class Summary:
    """What a backup wrote or a restore loaded."""

    path: Path
    kind: str  # "sqlite", "pg-custom" or "pg-plain"
    revision: str | None
    counts: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """The summary as printed by the command."""
        size = self.path.stat().st_size if self.path.exists() else 0
        main = ", ".join(f"{t} {self.counts[t]}" for t in MAIN_TABLES if t in self.counts)
        total = sum(self.counts.values())
        return [
            f"  file: {self.path} ({size:,} bytes, {self.kind})",
            f"  revision: {self.revision}",
            f"  rows: {total:,} in {len(self.counts)} tables ({main})",
        ]


def file_kind(path: Path) -> str:
    """``sqlite``, ``pg-custom`` or ``pg-plain`` from the file's first bytes."""
    try:
        with path.open("rb") as f:
            head = f.read(4096)
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror}") from None
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(b"PGDMP"):
        return "pg-custom"
    if b"PostgreSQL database dump" in head:
        return "pg-plain"
    raise BackupError(f"{path} is not a backup of an SLA Hub database (neither SQLite nor pg_dump)")


def target_path(path: Path, dialect: str) -> Path:
    """Where to write: ``path``, or a dated file in it when it is a directory."""
    if not path.is_dir():
        return path
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return path / f"slahub-{stamp}.{'sqlite3' if dialect == 'sqlite' else 'dump'}"


# --- revisions ------------------------------------------------------------------------


def head() -> str:
    return revisions.head()


def check_revision(revision: str | None, what: Path) -> bool:
    """Refuse a backup with no or an unknown revision; True when it is behind the head."""
    if not revision:
        raise BackupError(f"{what} is not an SLA Hub backup: it has no alembic_version row")
    if not revisions.known(revision):
        raise BackupError(
            f"{what} is at revision {revision}, which this SLA Hub does not know (its newest "
            f"is {head()}): it was made by a newer version; restore it with that version"
        )
    return revision != head()


# --- counting rows --------------------------------------------------------------------


def count_rows(conn: Connection) -> dict[str, int]:
    """Rows in each of the hub's tables that exist in the database (in ``conn``'s view)."""
    present = set(inspect(conn).get_table_names())
    names = [t.name for t in db.metadata.sorted_tables if t.name in present]
    return {n: conn.scalar(select(func.count()).select_from(table(n))) for n in names}


def refuse_unless_empty(engine: Engine, force: bool) -> None:
    """A restore replaces everything: refuse a database that holds rows, unless forced."""
    with engine.connect() as conn:
        held = {name: n for name, n in count_rows(conn).items() if n}
    if held and not force:
        some = ", ".join(f"{name} {n}" for name, n in list(held.items())[:4])
        raise BackupError(
            f"the target database is not empty ({some} ...): restoring would replace it; "
            "use --force to replace it anyway"
        )


# --- SQLite ---------------------------------------------------------------------------


def sqlite_file() -> Path:
    """The configured SQLite database file (refusing an in-memory database)."""
    name = db.engine.url.database
    if not name or name == ":memory:":
        raise BackupError("the hub's database is in memory: there is no file to back up")
    return Path(name)


def sqlite_backup(path: Path, echo: Echo) -> Summary:
    """Copy the live SQLite file to ``path`` with the online backup API.

    The copy reads inside one read transaction held from the first page to the last: in
    WAL mode that is a fixed snapshot which writers never wait for, and the copy never
    starts over (without it, SQLite restarts a stepwise backup whenever another process
    commits, which under steady writes may be forever). Written next to ``path`` and
    renamed into place once checked, so ``path`` is never half a backup.
    """
    source = sqlite_file()
    if not source.exists():
        raise BackupError(f"the database file {source} does not exist")
    echo(f"backing up {source} with SQLite's online backup API")
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    timeout = sqlitelock.LOCK_TIMEOUT  # the busy timeout, for the snapshot's first read
    src = sqlite3.connect(f"file:{source}?mode=rw", uri=True, timeout=timeout)
    src.isolation_level = None
    try:
        src.execute("BEGIN")
        src.execute("SELECT count(*) FROM sqlite_master").fetchone()  # the snapshot starts
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst, pages=STEP_PAGES, progress=lambda *_: time.sleep(STEP_PAUSE))
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            dst.close()
        src.execute("COMMIT")
    finally:
        src.close()
    try:
        summary = read_sqlite(partial)
        if not summary.revision:
            raise BackupError(f"{source} has no alembic_version row: run `slahub db upgrade`")
    except BackupError:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(path)
    summary.path = path
    return summary


def read_sqlite(path: Path) -> Summary:
    """Check a SQLite backup (integrity, SLA Hub tables) and count its rows."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        try:
            verdict = conn.execute("PRAGMA integrity_check").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{path} is not a readable SQLite database: {exc}") from None
        if verdict != "ok":
            raise BackupError(f"{path} is damaged (integrity_check: {verdict})")
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "alembic_version" not in names:
            raise BackupError(f"{path} is not an SLA Hub backup: it has no alembic_version table")
        revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        counts = {
            t.name: conn.execute(f'SELECT count(*) FROM "{t.name}"').fetchone()[0]
            for t in db.metadata.sorted_tables
            if t.name in names
        }
    finally:
        conn.close()
    return Summary(path, "sqlite", revision[0] if revision else None, counts)


def sqlite_restore(path: Path, force: bool, echo: Echo) -> Summary:
    """Replace the configured SQLite database with the backup at ``path``."""
    summary = read_sqlite(path)
    check_revision(summary.revision, path)
    target = sqlite_file()
    if target.exists():
        refuse_unless_empty(db.engine, force)
    db.session.remove()
    db.engine.dispose()  # this process keeps no connection to the file it replaces
    echo(f"restoring {path} into {target} with SQLite's backup API")
    src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    dst = sqlite3.connect(target, timeout=sqlitelock.LOCK_TIMEOUT)
    try:
        # Out of WAL mode first: the backup API refuses a WAL target whose page size
        # differs. The hub turns WAL on again when it next connects.
        dst.execute("PRAGMA journal_mode=DELETE")
        src.backup(dst)  # one step: the target changes in a single transaction
    finally:
        src.close()
        dst.close()
    return summary
