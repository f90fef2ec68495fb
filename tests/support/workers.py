"""Real ``slahub worker`` processes for the tests: start, watch, stop, always clean up.

The database is read here with the plain drivers (``sqlite3``, ``psycopg``), outside
SQLAlchemy: the hub opens every SQLite transaction with ``BEGIN IMMEDIATE``, and a
test that looks at the outbox while a worker is stopped (SIGSTOP) must not wait for
the write lock that worker holds.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import psycopg
from flask import Flask
from sqlalchemy import select

from hub import calls
from hub.db import db
from hub.models import Client, OutboxDelivery

ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")


def wait_until(predicate: Callable[[], T], timeout: float, what: str, interval: float = 0.05) -> T:
    """Poll ``predicate`` until it returns something true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def fetch(db_url: str, sql: str) -> list[dict[str, Any]]:
    """Rows of a read-only query, as dicts, straight through the database driver."""
    if db_url.startswith("sqlite"):
        conn = sqlite3.connect(db_url.removeprefix("sqlite:///"), timeout=30)
        try:
            cur = conn.execute(sql)
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
        finally:
            conn.close()
    with psycopg.connect(db_url, autocommit=True, connect_timeout=10) as conn:
        cur = conn.execute(sql)
        names = [d.name for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def outbox_rows(db_url: str) -> list[dict[str, Any]]:
    return fetch(db_url, "SELECT id, state, locked_by, attempts FROM outbox ORDER BY id")


def key(row: dict[str, Any]) -> str:
    """The delivery key the worker hands the plugin (``Delivery.key``)."""
    return f"outbox-{row['id']}"


def make_calls(app: Flask, n: int) -> list[str]:
    """Create ``n`` calls (one recorder delivery each) and commit; returns the delivery keys."""
    with app.app_context():
        if db.session.scalar(select(Client).where(Client.key == "acme")) is None:
            db.session.add(Client(key="acme", name="Acme"))
            db.session.flush()
        ids = []
        for i in range(n):
            call = calls.create(actor="test", source="test", client="acme", title=f"call {i}")
            ids.append(call.id)
        db.session.commit()
        rows = db.session.scalars(
            select(OutboxDelivery.id).where(OutboxDelivery.call_id.in_(ids))
        ).all()
    assert len(rows) == n, "each call makes one delivery for the recorder plugin"
    return [f"outbox-{i}" for i in sorted(rows)]


class Workers:
    """Worker processes on one database; ``close()`` kills whatever still runs."""

    def __init__(self, db_url: str, record_file: Path, log_dir: Path) -> None:
        self.db_url = db_url
        self.record_file = record_file
        self.log_dir = log_dir
        self.procs: list[subprocess.Popen] = []
        self.stopped: list[subprocess.Popen] = []
        self.log_paths: dict[int, Path] = {}

    def env(self, **extra: object) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
        env.update(
            HUB_DATABASE_URL=self.db_url,
            HUB_PLUGIN_MODULES='["tests.support.recorder"]',
            HUB_ENABLED_PLUGINS="[]",
            HUB_INSTANCE_PATH=str(self.log_dir / "instance"),
            HUB_TEST_RECORD_FILE=str(self.record_file),
            HUB_OUTBOX_BACKOFF_BASE="0.01",
            HUB_OUTBOX_BACKOFF_CAP="0.05",
            HUB_WORKER_IDLE_SECONDS="0.05",
            PYTHONUNBUFFERED="1",
        )
        env.update({name: str(value) for name, value in extra.items()})
        return env

    def start(self, **env: object) -> subprocess.Popen:
        """Start ``python -m hub worker``; ``env`` adds ``HUB_*`` variables."""
        path = self.log_dir / f"worker-{len(self.procs)}.log"
        with path.open("wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "hub", "worker"],
                cwd=ROOT,
                env=self.env(**env),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.procs.append(proc)
        self.log_paths[proc.pid] = path
        return proc

    def logs(self) -> str:
        """Every worker's output, for assertion messages."""
        parts = []
        for proc in self.procs:
            text = self.log_paths[proc.pid].read_text(errors="replace")
            parts.append(f"--- worker pid {proc.pid} (exit {proc.poll()}) ---\n{text[-3000:]}")
        return "\n".join(parts)

    def check_alive(self) -> None:
        """Fail with the logs when a worker the test did not stop has exited."""
        for proc in self.procs:
            if proc not in self.stopped and proc.poll() is not None:
                raise AssertionError(f"worker {proc.pid} died\n{self.logs()}")

    def terminate(self, proc: subprocess.Popen) -> None:
        """Ask a worker to stop (SIGTERM), as systemd or Ctrl-C would."""
        self.stopped.append(proc)
        proc.send_signal(signal.SIGTERM)

    def kill_when(self, proc: subprocess.Popen, safe: Callable[[], bool], timeout: float) -> None:
        """SIGKILL ``proc`` at a moment when ``safe()`` holds.

        The process is frozen (SIGSTOP) while ``safe()`` looks at the database and the
        files, so what it sees is exactly what the killed process leaves behind; if it
        is not the wanted moment, the process is thawed and a later moment tried.
        """
        self.stopped.append(proc)
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"worker {proc.pid} exited early\n{self.logs()}")
            os.kill(proc.pid, signal.SIGSTOP)
            ok = False
            try:
                ok = bool(safe())
            finally:
                if ok:
                    proc.kill()
                    proc.wait(timeout=30)
                else:
                    os.kill(proc.pid, signal.SIGCONT)
            if ok:
                return
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"no moment to kill worker {proc.pid} in {timeout:.0f} s\n{self.logs()}"
                )
            time.sleep(0.02)

    def wait_for(self, predicate: Callable[[], T], timeout: float, what: str) -> T:
        """Like :func:`wait_until`, but fail at once (with the logs) if a worker crashed."""

        def check() -> T:
            self.check_alive()
            return predicate()

        try:
            return wait_until(check, timeout, what)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{self.logs()}") from None

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=30)
