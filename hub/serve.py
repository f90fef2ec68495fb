"""The production web server: gunicorn, run from inside ``slahub serve``.

gunicorn's programmatic API (``BaseApplication``) rather than the ``gunicorn`` command:
one command with the hub's settings and its refusal checks, and the app the checks ran
against is the app the workers serve. The master builds the app once; gunicorn forks
its workers from it (the checks' database connections are closed first, so no worker
shares a connection with another). The hub's own worker (outbox, jobs) is a separate
process, ``slahub worker``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication
from prometheus_client import multiprocess

#: The folder where each web process keeps its metrics for /metrics to add up.
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def options(app: Flask, bind: str | None = None, workers: int | None = None) -> dict[str, Any]:
    """gunicorn settings from the hub's (SERVE_*), with the command line's on top."""
    return {
        "bind": [bind or app.config["SERVE_BIND"]],
        "workers": int(workers or app.config["SERVE_WORKERS"]),
        "timeout": int(app.config["SERVE_TIMEOUT"]),
        "proc_name": "slahub",
        "child_exit": _child_exit,
    }


def _child_exit(_server: object, worker: Any) -> None:
    # A web process that ended: its gauges no longer count (prometheus-client's rule).
    if os.environ.get(MULTIPROC_ENV):
        multiprocess.mark_process_dead(worker.pid)


def fresh_metrics_folder() -> None:
    """Empty the metrics folder: counts of an earlier run must not add to this one's."""
    folder = os.environ.get(MULTIPROC_ENV)
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    for stale in Path(folder).glob("*.db"):
        stale.unlink()


class HubServer(BaseApplication):
    """gunicorn with a ready-made WSGI app and settings from a dict (no argv, no file)."""

    def __init__(self, app: Flask, settings: dict[str, Any]) -> None:
        self.application = app
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        for name, value in self.settings.items():
            self.cfg.set(name, value)

    def load(self) -> Flask:
        return self.application


def run(app: Flask, bind: str | None = None, workers: int | None = None) -> None:
    """Serve ``app`` until SIGTERM or Ctrl-C (gunicorn stops its workers gracefully)."""
    fresh_metrics_folder()
    HubServer(app, options(app, bind, workers)).run()
