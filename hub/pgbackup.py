"""PostgreSQL backups through the PostgreSQL client tools (``pg_dump``, ``pg_restore``, ``psql``).

The tools are the well-kept way to copy a PostgreSQL database; this module only hands
them the hub's database (a connection URL without the password, which goes in
``PGPASSWORD`` of the child's environment so that it never shows in ``ps``), says what it
runs, and checks what it gets.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from sqlalchemy import URL, inspect, text

from hub.backup import BackupError, Echo, Summary, check_revision, count_rows, refuse_unless_empty
from hub.db import db

COPY_VERSION = re.compile(r"^COPY (?:public\.)?alembic_version \(version_num\) FROM stdin;$")
INSERT_VERSION = re.compile(r"INSERT INTO (?:public\.)?alembic_version .*VALUES \('([^']+)'\)")


def _conninfo() -> tuple[str, dict[str, str]]:
    """The database as a libpq URL without its password, and the child's environment."""
    url = db.engine.url
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    # (URL.set ignores a None password, so the URL is built anew without it.)
    plain = URL.create("postgresql", url.username, None, url.host, url.port, url.database,
                       url.query)  # fmt: skip
    return plain.render_as_string(hide_password=False), env


def _run(args: list[str], echo: Echo, env: dict[str, str]) -> str:
    """Run a client tool, saying so; its stdout, or its error as a BackupError."""
    if shutil.which(args[0]) is None:
        raise BackupError(
            f"{args[0]} is not installed or not on PATH: install the PostgreSQL client tools "
            "(Debian: apt-get install postgresql-client) in the server's major version"
        )
    echo(f"running {' '.join(args)}")
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{args[0]} failed (exit {done.returncode}): {done.stderr.strip()}")
    return done.stdout


def pg_backup(path: Path, echo: Echo) -> Summary:
    """``pg_dump -Fc`` of the configured database into ``path``.

    pg_dump runs on a snapshot exported from a transaction of this process, so the
    revision and row counts printed are those of exactly the state in the file.
    """
    conninfo, env = _conninfo()
    partial = path.with_name(path.name + ".partial")
    echo(f"backing up with pg_dump (custom format) from {conninfo}")
    with db.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            conn.execute(text("SET TRANSACTION READ ONLY"))
            snapshot = conn.scalar(text("SELECT pg_export_snapshot()"))
            args = ["pg_dump", "-Fc", f"--snapshot={snapshot}", "-f", str(partial), conninfo]
            try:
                _run(args, echo, env)
            except BackupError:
                partial.unlink(missing_ok=True)
                raise
            revision = _revision(conn)
            counts = count_rows(conn)
    listing = _run(["pg_restore", "--list", str(partial)], echo, env)
    if "TABLE DATA public alembic_version" not in listing:
        partial.unlink(missing_ok=True)
        raise BackupError(f"pg_dump wrote no alembic_version data into {partial}")
    partial.replace(path)
    return Summary(path, "pg-custom", revision, counts)


def _revision(conn) -> str | None:  # noqa: ANN001 - a SQLAlchemy connection
    if "alembic_version" not in inspect(conn).get_table_names():
        return None
    return conn.scalar(text("SELECT version_num FROM alembic_version"))


def dump_revision(path: Path, kind: str, echo: Echo) -> str | None:
    """The alembic revision stored in a custom or plain dump."""
    if kind == "pg-custom":
        _, env = _conninfo()
        args = ["pg_restore", "--data-only", "--table=alembic_version", "-f", "-", str(path)]
        lines = _run(args, echo, env).splitlines()
    else:
        with path.open(encoding="utf-8", errors="replace") as f:
            lines = list(f)
    for n, line in enumerate(lines):
        line = line.rstrip("\n")
        if COPY_VERSION.match(line) and n + 1 < len(lines) and lines[n + 1].strip() != "\\.":
            return lines[n + 1].strip()
        found = INSERT_VERSION.search(line)
        if found:
            return found.group(1)
    return None


def pg_restore(path: Path, kind: str, force: bool, echo: Echo) -> Summary:
    """Load a pg_dump file into the configured database, replacing the hub's tables."""
    revision = dump_revision(path, kind, echo)
    check_revision(revision, path)
    refuse_unless_empty(db.engine, force)
    _drop_hub_tables()
    conninfo, env = _conninfo()
    if kind == "pg-custom":
        args = ["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
                "--exit-on-error", "-d", conninfo, str(path)]  # fmt: skip
    else:
        args = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction",
                "-f", str(path), conninfo]  # fmt: skip
    _run(args, echo, env)
    db.engine.dispose()
    return Summary(path, kind, revision)


def _hub_tables() -> list[str]:
    names = {t.name for t in db.metadata.sorted_tables} | {"alembic_version"}
    return [n for n in inspect(db.engine).get_table_names() if n in names]


def _drop_hub_tables() -> None:
    """Drop the hub's tables first: a newer schema's tables that the dump does not have
    (pg_restore --clean drops only what the dump holds) would break the next upgrade."""
    tables = _hub_tables()
    if not tables:
        return
    with db.engine.begin() as conn:
        quoted = ", ".join(conn.dialect.identifier_preparer.quote(t) for t in tables)
        conn.execute(text(f"DROP TABLE IF EXISTS {quoted} CASCADE"))
