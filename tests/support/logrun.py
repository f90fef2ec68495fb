"""Real hub processes for the log tests: each one's output kept in files to search."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.hubprocess import ROOT
from tests.support.workers import wait_until

#: A database password the PostgreSQL runs put in the URL (and must never be logged).
DB_SECRET = "db-password-4711"


class Run:
    """The hub's processes for one test: each one's stdout and stderr in its own file."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder, self.env = folder, env
        self.procs: list[subprocess.Popen] = []

    def start(self, name: str, *args: str) -> subprocess.Popen:
        out_path, err_path = self.folder / f"{name}.out", self.folder / f"{name}.err"
        with out_path.open("wb") as out, err_path.open("wb") as err:
            proc = subprocess.Popen(
                [sys.executable, "-m", "hub", *args], cwd=ROOT, env=self.env,
                stdout=out, stderr=err,
            )  # fmt: skip
        self.procs.append(proc)
        return proc

    def cli(self, name: str, *args: str) -> str:
        """Run a command to its end; its stdout (a password or token the test set or
        was given: not a log, so not searched)."""
        with (self.folder / f"{name}.err").open("wb") as err:
            done = subprocess.run(
                [sys.executable, "-m", "hub", *args], cwd=ROOT, env=self.env,
                stdout=subprocess.PIPE, stderr=err, text=True, timeout=120,
            )  # fmt: skip
        assert done.returncode == 0, (self.folder / f"{name}.err").read_text()
        return done.stdout

    def wait(self, predicate: Callable[[], object], timeout: float, what: str) -> None:
        """Poll ``predicate``; fail after ``timeout`` seconds with the processes' logs."""
        try:
            wait_until(predicate, timeout, what)
        except AssertionError as exc:
            tails = "".join(f"\n--- {n} ---\n{t[-4000:]}" for n, t in self.logs().items())
            raise AssertionError(f"{exc}{tails}") from None

    def logs(self) -> dict[str, str]:
        return {p.name: p.read_text(errors="replace") for p in sorted(self.folder.glob("*.err"))}

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=30)


def with_password(db_url: str) -> tuple[str, str | None]:
    """The PostgreSQL URL with a password in it (the test server trusts local
    connections, so it is sent and ignored); SQLite has none."""
    if not db_url.startswith("postgresql://"):
        return db_url, None
    user, rest = db_url.removeprefix("postgresql://").split("@", 1)
    return f"postgresql://{user}:{DB_SECRET}@{rest}", DB_SECRET


def json_lines(text: str, name: str) -> list[dict]:
    out = []
    for line in text.splitlines():
        if line.strip():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                pytest.fail(f"{name}: not a JSON line: {line!r}")
    return out
