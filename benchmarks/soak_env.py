"""The soak's hub: its PostgreSQL database and data, its processes (gunicorn or
``slahub serve`` with 2 processes, 2 ``slahub worker``) and their memory (see
benchmarks/soak.py)."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
#: The soak's clients besides the demo's Amarant: (client, contract, application).
CLIENTS = [("noord", "noord-sla", "noord-web"), ("west", "west-sla", "west-site")]
DEMO_CONTRACT, DEMO_APP = "amarant-sla-2026", "amarant-intranet"
JIRA_DESK, JIRA_DEV = "SD", "DEV"  # service-desk project of noord; developers' project
MONITOR = "monitor"  # the generic webhook source
SITE_CHECK_MINUTES = 5  # the rules' lowest allowed interval


# --- the database -----------------------------------------------------------------------


def create_database(server: str) -> str:
    """A new, empty database on ``server`` (a URL without the database); its URL."""
    name = f"slahub_soak_{secrets.token_hex(4)}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{server}/{name}"


def drop_database(url: str) -> None:
    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def settings(db_url: str, instance: Path, fakes: Any, hub_url: str) -> dict[str, str]:
    """The ``HUB_*`` environment of every hub process: plugins pointed at the fakes."""
    secret = {k: secrets.token_hex(16) for k in ("monitor", "mantis", "jira", "key")}
    plugins = {
        "mantis": {
            "url": fakes.mantis.url,
            "timeout": 5,
            "poll_seconds": 30,
            "contracts": {
                DEMO_CONTRACT: {
                    "client": "amarant",
                    "project": "Amarant intranet",
                    "create_issues": True,
                }
            },
        },
        "jira": {
            "url": fakes.jira.url,
            "user": "slahub",
            "auth": "basic",
            "timeout": 5,
            "account": "slahub",
            "hub_url": hub_url,
            "clients": {JIRA_DESK: "noord"},
            "applications": {DEMO_APP: JIRA_DEV},
        },
        "mediawiki": {"url": fakes.wiki.url + "/", "user": fakes.wiki.bot_user, "timeout": 10},
        "drupal": {
            "release_history_url": fakes.feeds.release_history_url,
            "psa_url": fakes.feeds.psa_url,
            "workers": 4,
            "timeout": 5,
        },
    }
    return {
        "HUB_DATABASE_URL": db_url,
        "HUB_INSTANCE_PATH": str(instance),
        "HUB_SECRET_KEY": secret["key"],
        "HUB_ENABLED_PLUGINS": '["mantis", "jira", "mediawiki", "drupal"]',
        "HUB_PLUGINS": json.dumps(plugins),
        "HUB_WEBHOOK_SECRETS": json.dumps({MONITOR: secret["monitor"]}),
        "HUB_MANTIS_TOKEN": "hub-token",
        "HUB_MANTIS_WEBHOOK_SECRET": secret["mantis"],
        "HUB_JIRA_TOKEN": "jira-token",
        "HUB_JIRA_WEBHOOK_SECRET": secret["jira"],
        "HUB_MEDIAWIKI_BOT_PASSWORD": fakes.wiki.bot_password,
        "HUB_SITE_CHECK_SECONDS": "15",
        # A SIGKILLed worker's claims come back when their lease ends: a minute, not the
        # default five, so that a kill every minute or so does not stall the soak.
        "HUB_OUTBOX_LEASE_SECONDS": "60",
        "HUB_OUTBOX_BACKOFF_CAP": "30",
    }


def load_data(env: dict[str, str], fakes: Any) -> dict[str, str]:
    """Migrate, load the demo and the soak's clients; returns the demo's admin password."""
    os.environ.update(env)
    from flask_migrate import upgrade

    from hub import create_app, demo, directory
    from hub.db import db
    from hub.models import Application, Contract

    app = create_app({"TESTING": False})
    with app.app_context():
        upgrade()
        logins = demo.load_if_empty()
        for client, contract, application in CLIENTS:
            directory.create_client(key=client, name=client.title())
            directory.create_contract(
                client=client,
                reference=contract,
                name=f"{client} SLA",
                availability="Mon–Fri 08:30–17:30",
                fixed_fee=Decimal("1000.00"),
                valid_from=date(2026, 1, 1),
                valid_until=date(2027, 12, 31),
                targets=demo.TARGETS,
            )
            directory.create_application(
                client=client,
                key=application,
                name=application,
                url="http://example.invalid",
                product_line="drupal",
            )
        db.session.flush()
        for row in db.session.scalars(db.select(Contract)):
            row.rules = {**(row.rules or {}), "site_check_minutes": SITE_CHECK_MINUTES}
        for row in db.session.scalars(db.select(Application)):
            row.url = fakes.sites[row.key]
        db.session.commit()
    return {"admin": logins["users"]["admin"][1] if logins else ""}


def create_token(env: dict[str, str]) -> str:
    """An API token for the demo's admin, made as an operator would: ``slahub create-token``."""
    done = subprocess.run(
        [BIN / "slahub", "create-token", "admin", "--name", "soak"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- the processes ----------------------------------------------------------------------


@dataclass
class Hub:
    """The hub's processes; logs go to files in ``folder``."""

    env: dict[str, str]
    folder: Path
    port: int = field(default_factory=free_port)
    server: subprocess.Popen | None = None
    workers: list[subprocess.Popen] = field(default_factory=list)
    started: dict[int, float] = field(default_factory=dict)  # worker pid → monotonic start
    kills: int = 0
    server_command: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _spawn(self, args: list[str], log: str) -> subprocess.Popen:
        with (self.folder / log).open("ab") as out:
            return subprocess.Popen(
                args,
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def serve_command(self) -> list[str]:
        """``slahub serve --workers 2`` once that command exists; gunicorn until then."""
        if (ROOT / "hub" / "commands" / "serve.py").exists():
            helptext = subprocess.run(
                [BIN / "slahub", "serve", "--help"],
                env=self.env,
                cwd=ROOT,
                capture_output=True,
                text=True,
            ).stdout
            if "--bind" in helptext:
                return [
                    str(BIN / "slahub"),
                    "serve",
                    "--workers",
                    "2",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                ]
            if "--port" in helptext:
                return [
                    str(BIN / "slahub"),
                    "serve",
                    "--workers",
                    "2",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                ]
        return [str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{self.port}", "wsgi:app"]

    def start(self) -> None:
        self.server_command = self.serve_command()
        self.server = self._spawn(self.server_command, "server.log")
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if self.server.poll() is not None or time.monotonic() > deadline:
                tail = (self.folder / "server.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"the hub's server did not start:\n{tail}")
            time.sleep(0.2)
        for _ in range(2):
            self.start_worker()

    def start_worker(self) -> None:
        worker = self._spawn([str(BIN / "slahub"), "worker"], "workers.log")
        self.workers.append(worker)
        self.started[worker.pid] = time.monotonic()

    def kill_worker(self) -> int:
        """SIGKILL the oldest worker and start a new one; returns the killed pid."""
        victim = self.workers.pop(0)
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
        self.kills += 1
        self.start_worker()
        return victim.pid

    def stop(self) -> None:
        """SIGTERM everything (workers finish their delivery), then wait."""
        for proc in [*self.workers, self.server]:
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in [*self.workers, self.server]:
            if proc is None:
                continue
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)

    def processes(self) -> dict[int, str]:
        """Every hub process now: the server and its descendants, each worker."""
        out: dict[int, str] = {}
        if self.server is not None and self.server.poll() is None:
            out[self.server.pid] = "server (master)"
            for pid in descendants(self.server.pid):
                out[pid] = f"server child {pid}"
        for worker in self.workers:
            if worker.poll() is None:
                out[worker.pid] = f"slahub worker {worker.pid}"
        return out


def descendants(root: int) -> list[int]:
    """Child processes of ``root`` and theirs, from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            parents.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def rss_kb(pid: int) -> int | None:
    """VmRSS of ``pid`` in kB (None once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


@dataclass
class Series:
    label: str
    born: float  # monotonic time the sampler first saw it
    samples: list[tuple[float, int]] = field(default_factory=list)  # (monotonic, kB)


class RssSampler(threading.Thread):
    """Samples the RSS of every hub process every ``every`` seconds until stopped."""

    def __init__(self, hub: Hub, every: float = 10.0) -> None:
        super().__init__(daemon=True)
        self.hub, self.every = hub, every
        self.series: dict[int, Series] = {}
        self.halt = threading.Event()

    def sample(self) -> None:
        now = time.monotonic()
        for pid, label in self.hub.processes().items():
            kb = rss_kb(pid)
            if kb is None:
                continue
            born = self.hub.started.get(pid, now)
            self.series.setdefault(pid, Series(label, born)).samples.append((now, kb))

    def run(self) -> None:
        while not self.halt.is_set():
            self.sample()
            self.halt.wait(self.every)
