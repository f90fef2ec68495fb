"""The ``slahub`` command, run as a real process against a temporary instance folder."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def slahub(instance: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "HUB_INSTANCE_PATH": str(instance),
        "HUB_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }
    return subprocess.run(
        [sys.executable, "-m", "hub", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=check,
    )


@pytest.fixture
def instance(tmp_path: Path) -> Path:
    folder = tmp_path / "instance"
    slahub(folder, "db", "upgrade")
    return folder


def test_upgrade_demo_users_and_tokens(instance):
    assert (instance / "hub.sqlite3").exists()
    out = slahub(instance, "demo").stdout
    assert re.search(r"admin\s+admin\s+\S{12,}", out)
    assert "client_viewer" in out and "API token for admin: shub_" in out
    duties = int(re.search(r"planned (\d+) duties", out).group(1))
    with sqlite3.connect(instance / "hub.sqlite3") as con:
        rows = con.execute(
            "SELECT count(*), count(DISTINCT person_id) FROM shifts WHERE product_line = 'joomla'"
            " AND starts_at <= datetime('now') AND ends_at > datetime('now')"
        ).fetchone()
        assert con.execute("SELECT count(*) FROM shifts").fetchone()[0] == duties > 0
    assert rows == (1, 1)  # somebody is on duty now, as the dashboard shows
    assert "already has data" in slahub(instance, "demo").stdout  # only when empty
    made = slahub(
        instance, "create-user", "ronald", "--role", "associate", "--person", "ronald"
    ).stdout
    assert "user ronald (associate) created; password: " in made
    token = slahub(instance, "create-token", "ronald").stdout.strip()
    assert token.startswith("shub_") and len(token) > 40
    refused = slahub(instance, "create-user", "ronald", "--role", "associate", check=False)
    assert refused.returncode != 0 and "user 'ronald' exists" in refused.stderr
    refused = slahub(instance, "create-user", "x", "--role", "client_viewer", check=False)
    assert refused.returncode != 0 and "client viewer needs --client" in refused.stderr
    refused = slahub(instance, "create-token", "nobody", check=False)
    assert refused.returncode != 0 and "unknown user 'nobody'" in refused.stderr


def test_outbox_commands(instance):
    slahub(instance, "demo")
    assert slahub(instance, "outbox", "list").stdout == ""
    refused = slahub(instance, "outbox", "redrive", "12345", check=False)
    assert refused.returncode != 0 and "no outbox delivery 12345" in refused.stderr


def _get(url: str, token: str | None = None) -> dict:
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    with urllib.request.urlopen(req, timeout=5) as resp:
        return json.loads(resp.read())


def test_run_serves_with_a_worker_and_stops_both(instance, tmp_path):
    token = re.search(r"API token for admin: (\S+)", slahub(instance, "demo").stdout).group(1)
    port = 5400 + os.getpid() % 500
    env = {**os.environ, "HUB_INSTANCE_PATH": str(instance)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "hub", "run", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                assert _get(f"http://127.0.0.1:{port}/healthz") == {"status": "ok"}
                break
            except OSError:
                assert time.monotonic() < deadline, "the hub did not answer within 30 s"
                time.sleep(0.2)
        calls = _get(f"http://127.0.0.1:{port}/api/v1/calls", token)
        assert calls["total"] == 3
        workers = subprocess.run(
            ["pgrep", "-P", str(proc.pid), "-f", "hub worker"], capture_output=True, text=True
        )
        [worker_pid] = workers.stdout.split()
        # The worker says it is alive in the database.
        db = sqlite3.connect(instance / "hub.sqlite3")
        while not db.execute("SELECT count(*) FROM worker_heartbeats").fetchone()[0]:
            assert time.monotonic() < deadline + 30, "the worker never sent a heartbeat"
            time.sleep(0.2)
        db.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    assert re.search(r"worker \S+ stopped", out)
    assert not Path(f"/proc/{worker_pid}").exists()
