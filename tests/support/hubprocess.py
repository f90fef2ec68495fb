"""Running ``python -m hub ...`` as a real process for the deployment tests."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
from pathlib import Path

from tests.support.mediawiki import free_port  # noqa: F401 - re-exported for the tests

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = secrets.token_urlsafe(48)


def hub_env(instance: Path, **extra: object) -> dict[str, str]:
    """A production-like environment: no HUB_* from the shell, a real secret key."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(
        HUB_INSTANCE_PATH=str(instance),
        HUB_SECRET_KEY=GOOD_KEY,
        HUB_ENABLED_PLUGINS="[]",
        PYTHONUNBUFFERED="1",
    )
    env.update({name: str(value) for name, value in extra.items()})
    return {k: v for k, v in env.items() if v != "<unset>"}


def migrated_instance(folder: Path, template: Path) -> Path:
    """An instance folder holding a copy of the migrated SQLite template as hub.sqlite3."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(template, folder / "hub.sqlite3")
    return folder


def run_hub(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    """Run a ``slahub`` command to its end; stdout and stderr together in ``.stdout``."""
    return subprocess.run(
        [sys.executable, "-m", "hub", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
    )


def listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def children(pid: int) -> list[int]:
    """Live child processes of ``pid`` (from /proc: no extra dependency for one lookup)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # it exited while we looked
            continue
        # "pid (comm) state ppid ...": comm may hold spaces, so split after its ")".
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry.name))
    return found
