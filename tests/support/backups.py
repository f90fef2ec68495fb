"""Helpers for the backup tests: a hub under write load, and reading tables two ways.

Tables are read with the plain drivers, outside SQLAlchemy (see
:mod:`tests.support.workers`): a SQLite backup file is read as the file it is, and a
PostgreSQL dump through ``pg_restore``'s own rendering of its data.
"""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import psycopg

from hub.builtin.generic_webhooks import signature
from hub.db import db
from tests.conftest import SECRET
from tests.support.workers import ROOT, Workers, wait_until


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_web(workers: Workers, port: int) -> subprocess.Popen:
    """Start ``slahub run --no-worker`` on the workers' database; its log joins theirs."""
    path = workers.log_dir / "web.log"
    env = workers.env(HUB_WEBHOOK_SECRETS=json.dumps({"monitoring": SECRET}))
    with path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "hub", "run", "--no-worker", "--port", str(port)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    workers.procs.append(proc)
    workers.log_paths[proc.pid] = path
    return proc


def wait_for_web(workers: Workers, port: int) -> None:
    """Until the web process answers /healthz (failing with the logs if one died)."""

    def answers() -> bool:
        workers.check_alive()
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return True
        except OSError:
            return False

    wait_until(answers, 60, "the web process to answer /healthz", interval=0.1)


class Load(threading.Thread):
    """Keeps writing to a running hub: signed webhooks that create calls and add notes to
    them, and notes through the API. Each answered write is kept with when it was
    answered; anything but a 2xx is kept as a failure."""

    def __init__(self, base: str, token: str, call_ids: list[int]) -> None:
        super().__init__(daemon=True)
        self.base, self.token, self.call_ids = base, token, call_ids
        self.stop = threading.Event()
        self.webhooks: list[tuple[float, str, dict]] = []  # (answered, delivery id, body)
        self.notes: list[tuple[float, int, str]] = []  # (answered, event id, note)
        self.failures: list[str] = []

    def _post(self, path: str, body: dict, headers: dict[str, str]) -> dict:
        raw = json.dumps(body).encode()
        headers = {"Content-Type": "application/json", **headers}
        if path.startswith("/webhooks/"):
            headers["X-Hub-Signature-256"] = signature(SECRET, raw)
        req = urllib.request.Request(self.base + path, data=raw, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            self.failures.append(f"{path}: {exc.code} {exc.read()[:200]!r}")
            return {}

    def run(self) -> None:
        i = 0
        while not self.stop.is_set():
            i += 1
            create = {
                "type": "call.create", "client": "amarant", "title": f"backup load {i}",
                "priority": "P3", "application": "amarant-intranet", "ref": f"BK-{i}",
            }  # fmt: skip
            self._webhook(f"bk-create-{i}", create)
            if i % 3 == 0:
                update = {"type": "call.update", "ref": f"BK-{i - 1}", "note": f"hook note {i}"}
                self._webhook(f"bk-update-{i}", update)
            if i % 2 == 0:
                call_id = self.call_ids[i % len(self.call_ids)]
                note = f"api note {i}"
                got = self._post(
                    f"/api/v1/calls/{call_id}/notes",
                    {"note": note},
                    {"Authorization": f"Bearer {self.token}"},
                )
                if got:
                    self.notes.append((time.monotonic(), got["id"], note))

    def _webhook(self, delivery: str, body: dict) -> None:
        got = self._post("/webhooks/monitoring", body, {"X-Delivery-Id": delivery})
        if got.get("status") == "accepted":
            self.webhooks.append((time.monotonic(), delivery, body))
        elif got:
            self.failures.append(f"{delivery}: {got}")


# --- reading tables -------------------------------------------------------------------


def table_names() -> list[str]:
    """Every table of the hub's schema, from the models' metadata, and Alembic's."""
    return [t.name for t in db.metadata.sorted_tables] + ["alembic_version"]


def sqlite_rows(path: Path, name: str) -> list[tuple]:
    """A SQLite table's rows in a stable order (as stored: compared value for value)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return sorted(conn.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr)
    finally:
        conn.close()


def dump_data(path: Path) -> dict[str, tuple[str, list[str]]]:
    """Per table of a custom-format dump: its COPY column list and its rows as COPY text."""
    out = subprocess.run(
        ["pg_restore", "--data-only", "-f", "-", str(path)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    tables: dict[str, tuple[str, list[str]]] = {}
    lines = iter(out.splitlines())
    for line in lines:
        if line.startswith("COPY public."):
            name, _, rest = line.removeprefix("COPY public.").partition(" ")
            columns = rest.removesuffix(" FROM stdin;")
            rows = []
            for row in lines:
                if row == "\\.":
                    break
                rows.append(row)
            tables[name] = (columns, sorted(rows))
    return tables


def pg_copy_rows(url: str, name: str, columns: str) -> list[str]:
    """A PostgreSQL table's rows as COPY text, in the dump's column order."""
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        data = bytearray()
        with cur.copy(f"COPY public.{name} {columns} TO STDOUT") as copy:
            for chunk in copy:
                data += chunk
    return sorted(bytes(data).decode().splitlines())
