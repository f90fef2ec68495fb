"""``slahub backup`` of a running hub under write load, ``slahub restore`` into a new
instance, and what a restore refuses; on SQLite and PostgreSQL.

"Consistent" is checked as the state of one moment: the restored database is exactly the
backup (every table, row for row), its foreign keys hold, every event the worker marked
processed has its call (and its note), every call has its clocks, and every write
answered before the backup began is in it.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from hub import backup
from hub.cli import main
from hub.db import db
from tests.conftest import PG_URL, SECRET, base_config
from tests.support.backups import (
    Load,
    dump_data,
    free_port,
    pg_copy_rows,
    sqlite_rows,
    start_web,
    table_names,
    wait_for_web,
)
from tests.support.workers import ROOT, Workers, fetch, wait_until

pytestmark = pytest.mark.slow


@pytest.fixture
def fresh_url(db_url: str, tmp_path: Path) -> Iterator[str]:
    """A new, empty database of the same kind as the test's: where a restore goes."""
    if db_url.startswith("sqlite"):
        (tmp_path / "restored").mkdir()
        yield f"sqlite:///{tmp_path / 'restored' / 'hub.sqlite3'}"
        return
    name = f"slahub_restore_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield PG_URL.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def procs(db_url: str, record_file: Path, tmp_path: Path) -> Iterator[Workers]:
    workers = Workers(db_url, record_file, tmp_path)
    yield workers
    workers.close()


def slahub(workers: Workers, *args: str) -> subprocess.CompletedProcess:
    """Run ``slahub ARGS`` as its own process on the workers' database."""
    env = workers.env()
    cmd = [sys.executable, "-m", "hub", *args]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def fill(db_url: str, megabytes: int) -> None:
    """Old rejected events with large bodies, so that copying takes a while."""
    body = os.urandom(16 * 1024)
    rows = [(f"filler-{n}", body) for n in range(megabytes * 64)]
    sql = ("INSERT INTO inbound_events (source, delivery_id, received_at, headers, body, status, "
           "attempts, next_attempt_at, error) VALUES ('monitoring', {p}, CURRENT_TIMESTAMP, "
           "'{{}}', {p}, 'rejected', 1, CURRENT_TIMESTAMP, 'filler')")  # fmt: skip
    if db_url.startswith("sqlite"):
        with sqlite3.connect(db_url.removeprefix("sqlite:///")) as conn:
            conn.executemany(sql.format(p="?"), rows)
        return
    with psycopg.connect(db_url) as conn, conn.cursor() as cur:
        cur.executemany(sql.format(p="%s"), rows)


def test_backup_of_a_running_hub_restores_every_table(app, demo, db_url, fresh_url, procs):
    fill(db_url, 16)
    calls = [r["id"] for r in fetch(db_url, "SELECT id FROM calls ORDER BY id")]
    port = free_port()
    start_web(procs, port)
    procs.start(HUB_WEBHOOK_SECRETS=json.dumps({"monitoring": SECRET}))
    wait_for_web(procs, port)
    load = Load(f"http://127.0.0.1:{port}", demo["tokens"]["admin"], calls)
    load.start()
    try:
        processed = "SELECT count(*) AS n FROM inbound_events WHERE status = 'processed'"
        procs.wait_for(lambda: fetch(db_url, processed)[0]["n"] >= 10, 60, "events applied")
        began = time.monotonic()
        made = slahub(procs, "backup", str(procs.log_dir / "backup"))
        ended = time.monotonic()
        # ... and on after it, until a webhook is answered that the backup cannot hold.
        wait_until(lambda: load.webhooks[-1][0] > ended, 60, "a webhook after the backup")
    finally:
        load.stop.set()
        load.join(timeout=120)
    assert made.returncode == 0, made.stderr + procs.logs()
    assert load.failures == [], load.failures
    during = [w for w in load.webhooks + load.notes if began < w[0] < ended]
    assert during, "no write was answered while the backup ran"
    file = Path(re.search(r"file: (\S+) \(", made.stdout).group(1))
    if db_url.startswith("postgresql"):
        assert "backing up with pg_dump" in made.stdout

    target = restore_app(fresh_url)  # a new instance
    restored = run(target, "restore", str(file))
    with target.app_context():
        db.engine.dispose()
    assert restored.exit_code == 0, restored.output
    rows_line = re.compile(r"rows: .*")
    assert rows_line.search(restored.output)[0] == rows_line.search(made.stdout)[0]

    # The restored database is the backup, table for table, row for row.
    if db_url.startswith("sqlite"):
        target = Path(fresh_url.removeprefix("sqlite:///"))
        for name in table_names():
            assert sqlite_rows(target, name) == sqlite_rows(file, name), name
    else:
        dumped = dump_data(file)
        assert set(dumped) == set(table_names())
        for name, (columns, rows) in dumped.items():
            assert pg_copy_rows(fresh_url, name, columns) == rows, name

    # ... and the state of one moment, including every write answered before it began.
    assert_consistent(fresh_url)
    events = {r["delivery_id"] for r in fetch(fresh_url, "SELECT delivery_id FROM inbound_events")}
    answered = {d for at, d, _ in load.webhooks if at < began}
    assert answered and answered <= events
    notes = {(r["id"], r["note"]) for r in fetch(fresh_url, "SELECT id, note FROM call_events")}
    answered_notes = {(i, note) for at, i, note in load.notes if at < began}
    assert answered_notes and answered_notes <= notes
    after = {d for at, d, _ in load.webhooks if at > ended}
    assert after and not after & events, "the backup holds writes made after it finished"


def assert_consistent(url: str) -> None:
    """Foreign keys hold, processed events have their calls and notes, calls their clocks."""
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            orphans = fetch(url, (
                f"SELECT count(*) AS n FROM {table.name} c WHERE c.{fk.parent.name} IS NOT NULL "
                f"AND NOT EXISTS (SELECT 1 FROM {fk.column.table.name} p "
                f"WHERE p.{fk.column.name} = c.{fk.parent.name})"))  # fmt: skip
            assert orphans[0]["n"] == 0, f"{table.name}.{fk.parent.name} points nowhere"
    links = {(r["call_id"], r["key"]) for r in fetch(url, "SELECT call_id, key FROM call_links")}
    notes = {(r["call_id"], r["note"]) for r in fetch(url, "SELECT call_id, note FROM call_events")}
    events = fetch(url, "SELECT call_id, body FROM inbound_events WHERE status = 'processed'")
    assert events
    for event in events:
        body = json.loads(bytes(event["body"]))
        assert event["call_id"] is not None, body
        if body["type"] == "call.create":
            assert (event["call_id"], body["ref"]) in links, body
        else:
            assert (event["call_id"], body["note"]) in notes, body
    kinds: dict[int, set[str]] = {}
    for r in fetch(url, "SELECT call_id, kind FROM clocks"):
        kinds.setdefault(r["call_id"], set()).add(r["kind"])
    for call in fetch(url, "SELECT id FROM calls WHERE contract_id IS NOT NULL"):
        assert {"response", "resolution"} <= kinds.get(call["id"], set()), call


# --- refusals -------------------------------------------------------------------------


def run(app, *args: str):  # noqa: ANN001, ANN201
    """``slahub ARGS`` in this process, on ``app``'s database."""
    return app.test_cli_runner().invoke(main, list(args))


def restore_app(url: str):  # noqa: ANN201
    from hub import create_app

    return create_app(base_config(url))


def test_restore_refuses_a_database_that_holds_data_unless_forced(app, demo, tmp_path):
    path = tmp_path / "hub.backup"
    assert run(app, "backup", str(path)).exit_code == 0
    refused = run(app, "restore", str(path))
    assert refused.exit_code == 1
    assert "the target database is not empty" in refused.output
    assert "--force" in refused.output
    forced = run(app, "restore", "--force", str(path))
    assert forced.exit_code == 0, forced.output
    assert "revision: " + backup.head() in forced.output
    with app.app_context():
        db.engine.dispose()
        assert db.session.execute(text("SELECT count(*) FROM calls")).scalar() == 3


def test_restore_refuses_a_file_that_is_not_a_backup_of_this_kind(app, db_url, tmp_path):
    junk = tmp_path / "junk"
    junk.write_bytes(os.urandom(2000))
    other = tmp_path / "other"
    if db_url.startswith("sqlite"):
        if PG_URL:
            subprocess.run(["pg_dump", "-Fc", "-f", str(other), PG_URL], check=True)
        else:  # no PostgreSQL here: the start of a custom-format dump
            other.write_bytes(b"PGDMP\x01\x0e\x00" + os.urandom(500))
        kind = "is a PostgreSQL dump, but this hub's database is sqlite"
    else:
        sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
        kind = "is a SQLite database file, but this hub's database is postgresql"
    strange = tmp_path / "strange.sqlite3"
    sqlite3.connect(strange).execute("CREATE TABLE t (x)").connection.commit()
    cases = [(junk, "is not a backup of an SLA Hub database"), (other, kind)]
    if db_url.startswith("sqlite"):
        cases.append((strange, "is not an SLA Hub backup: it has no alembic_version table"))
    for path, message in cases:
        refused = run(app, "restore", str(path))
        assert refused.exit_code == 1, refused.output
        assert message in refused.output
        assert "Traceback" not in refused.output


def test_restore_refuses_a_backup_from_a_newer_revision(app, demo, fresh_url, tmp_path):
    path = tmp_path / "newer.backup"
    with app.app_context():
        db.session.execute(text("UPDATE alembic_version SET version_num = '0099'"))
        db.session.commit()
        try:
            made = run(app, "backup", str(path))
        finally:
            db.session.execute(text(f"UPDATE alembic_version SET version_num = '{backup.head()}'"))
            db.session.commit()
    assert made.exit_code == 0, made.output
    target = restore_app(fresh_url)
    refused = run(target, "restore", str(path))
    assert refused.exit_code == 1
    assert "is at revision 0099, which this SLA Hub does not know" in refused.output
    with target.app_context():
        with db.engine.connect() as conn:
            assert backup.count_rows(conn) == {}  # nothing was written
        db.engine.dispose()


def test_an_older_backup_is_restored_and_upgraded_on_request(app, demo, fresh_url, tmp_path):
    path = tmp_path / "old.backup"
    with app.app_context():
        downgrade(revision="0009")
        try:
            made = run(app, "backup", str(path))
        finally:
            upgrade()
    assert made.exit_code == 0, made.output
    assert "revision: 0009" in made.output
    target = restore_app(fresh_url)
    restored = run(target, "restore", str(path))
    assert restored.exit_code == 0, restored.output
    assert f"this SLA Hub's is {backup.head()}: run `slahub db upgrade`" in restored.output
    with target.app_context():
        db.engine.dispose()
        assert db.session.execute(text("SELECT version_num FROM alembic_version")).scalar() == (
            "0009"
        )
        db.session.remove()
    upgraded = run(target, "restore", "--force", "--upgrade", str(path))
    assert upgraded.exit_code == 0, upgraded.output
    with target.app_context():
        db.engine.dispose()
        assert db.session.execute(text("SELECT version_num FROM alembic_version")).scalar() == (
            backup.head()
        )
        assert db.session.execute(text("SELECT count(*) FROM calls")).scalar() == 3
        assert db.session.execute(text("SELECT count(*) FROM audit_log")).scalar() == 0
        db.session.remove()
        db.engine.dispose()


# --- PostgreSQL: the client tools -----------------------------------------------------


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_pg_dump_gets_the_password_from_its_environment(db_url, tmp_path, monkeypatch):
    """The password never appears on a command line (ps shows those to every user)."""
    spy = tmp_path / "bin"
    spy.mkdir()
    real = subprocess.run(["which", "pg_dump"], capture_output=True, text=True).stdout.strip()
    (spy / "pg_dump").write_text(
        f'#!/bin/sh\necho "$PGPASSWORD" > {tmp_path}/pw\necho "$@" > {tmp_path}/args\n'
        f'exec {real} "$@"\n'
    )
    (spy / "pg_dump").chmod(0o755)
    monkeypatch.setenv("PATH", f"{spy}:{os.environ['PATH']}")
    with_password = db_url.replace("://postgres@", "://postgres:s3cret-pw@")
    assert with_password != db_url, "the test URL names the postgres user"
    app = restore_app(with_password)  # the test server trusts local connections
    made = run(app, "backup", str(tmp_path / "hub.dump"))
    assert made.exit_code == 0, made.output
    assert (tmp_path / "pw").read_text().strip() == "s3cret-pw"
    assert "s3cret-pw" not in (tmp_path / "args").read_text()
    assert "s3cret-pw" not in made.output
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_missing_pg_dump_is_a_one_line_error(app, db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no PostgreSQL client tools here
    made = run(app, "backup", str(tmp_path / "hub.dump"))
    assert made.exit_code == 1
    assert made.output.strip().splitlines() == [
        "backing up with pg_dump (custom format) from " + db_url,
        "Error: pg_dump is not installed or not on PATH: install the PostgreSQL client tools"
        " (Debian: apt-get install postgresql-client) in the server's major version",
    ]
    assert not list(tmp_path.glob("hub.dump*"))
