"""``slahub serve``: gunicorn really started on a migrated SQLite instance, then stopped."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from hub import serve
from hub.app import create_app
from tests.conftest import base_config
from tests.support.hubprocess import (
    ROOT,
    children,
    free_port,
    hub_env,
    listening,
    migrated_instance,
)
from tests.support.workers import fetch, wait_until

#: gunicorn gives its processes 30 s (its graceful timeout) to finish at SIGTERM; waiting
#: only as long raced it on a loaded machine.
STOP_SECONDS = 60


class Server:
    """One ``slahub serve`` process; killed at the end if the test left it running."""

    def __init__(self, tmp_path: Path, template: Path) -> None:
        self.instance = migrated_instance(tmp_path / "instance", template)
        self.log = tmp_path / "serve.log"
        self.proc: subprocess.Popen | None = None

    def start(self, *args: str, **env: object) -> subprocess.Popen:
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "hub", "serve", *args],
                cwd=ROOT,
                env=hub_env(self.instance, **env),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return self.proc

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def healthy(self, port: int) -> bool:
        assert self.proc.poll() is None, f"serve exited\n{self.output()}"
        try:
            return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
        except requests.ConnectionError:
            return False

    def close(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)


@pytest.fixture
def server(tmp_path: Path, sqlite_template: Path) -> Iterator[Server]:
    s = Server(tmp_path, sqlite_template)
    try:
        yield s
    finally:
        s.close()


@pytest.mark.slow
def test_serve_answers_with_two_workers_and_stops_on_sigterm(server):
    port = free_port()
    proc = server.start(HUB_SERVE_BIND=f"127.0.0.1:{port}")  # SERVE_WORKERS: default 2
    wait_until(lambda: server.healthy(port), 60, "/healthz to answer")

    body = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json()
    assert body == {"status": "ok"}
    wait_until(lambda: len(children(proc.pid)) == 2, 30, "two gunicorn workers")
    workers = children(proc.pid)
    # The web server does not run the hub's worker: no third process, no heartbeat.
    db = server.instance / "hub.sqlite3"
    assert fetch(f"sqlite:///{db}", "SELECT worker_id FROM worker_heartbeats") == []

    proc.send_signal(signal.SIGTERM)
    try:
        code = proc.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        pytest.fail(f"serve did not stop on SIGTERM\n{server.output()}")
    assert code == 0, server.output()
    assert not listening(port)
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers), "workers left behind"


@pytest.mark.slow
def test_command_line_options_override_the_settings(server):
    port, other = free_port(), free_port()
    proc = server.start("--bind", f"127.0.0.1:{port}", "--workers", "3",
                        HUB_SERVE_BIND=f"127.0.0.1:{other}", HUB_SERVE_WORKERS=1)  # fmt: skip
    wait_until(lambda: server.healthy(port), 60, "/healthz to answer on --bind")
    wait_until(lambda: len(children(proc.pid)) == 3, 30, "three gunicorn workers")
    assert not listening(other)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=STOP_SECONDS) == 0, server.output()


def test_gunicorn_gets_the_hub_settings(tmp_path):
    app = create_app(base_config(f"sqlite:///{tmp_path}/x.db", SERVE_TIMEOUT=45))
    opts = serve.options(app)
    assert opts["bind"] == [app.config["SERVE_BIND"]] == ["127.0.0.1:8000"]
    assert (opts["workers"], opts["timeout"]) == (2, 45)
    assert serve.options(app, "unix:/run/slahub.sock", 5)["bind"] == ["unix:/run/slahub.sock"]
    server = serve.HubServer(app, serve.options(app, workers=5))
    assert (server.cfg.workers, server.cfg.timeout) == (5, 45)
    assert server.wsgi() is app


@pytest.mark.slow
def test_metrics_add_up_every_web_process(server):
    from prometheus_client.parser import text_string_to_metric_families

    port = free_port()
    proc = server.start(HUB_SERVE_BIND=f"127.0.0.1:{port}")
    wait_until(lambda: server.healthy(port), 60, "/healthz to answer")
    wait_until(lambda: len(children(proc.pid)) == 2, 30, "two gunicorn workers")
    # Requests side by side: while one process is busy the other accepts.
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: requests.get(f"http://127.0.0.1:{port}/readyz", timeout=5),
                      range(60)))  # fmt: skip
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    counted = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "hub_http_requests_total" and sample.labels["route"] == "/readyz":
                counted[sample.labels["status"]] = counted.get(sample.labels["status"], 0) + 1
                counted["sum"] = counted.get("sum", 0) + sample.value
    assert counted.get("sum") == 60, f"{counted}\n{server.output()}"
    # Both processes wrote their own file into the folder under the instance.
    files = list((server.instance / "metrics").glob("counter_*.db"))
    assert len(files) >= 2, files
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=STOP_SECONDS) == 0, server.output()
