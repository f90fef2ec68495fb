"""``slahub serve``: the production web server (gunicorn), after the refusal checks."""

from __future__ import annotations

import os
import sys

import click
from flask.cli import ScriptInfo

from hub import preflight
from hub import serve as server


@click.command("serve")
@click.option("--bind", help="Address to listen on, host:port or unix:PATH (SERVE_BIND).")
@click.option("--workers", type=click.IntRange(min=1), help="Web processes (SERVE_WORKERS).")
def serve_command(bind: str | None, workers: int | None) -> None:
    """Serve the API and admin page with gunicorn; run `slahub worker` beside it."""
    # The app without an app context: gunicorn forks its workers from this process, and
    # each request pushes its own.
    app = click.get_current_context().ensure_object(ScriptInfo).load_app()
    preflight.refuse_or_continue(app)
    if not os.environ.get(server.MULTIPROC_ENV):
        # prometheus-client chooses its multiprocess mode when it is imported, which the
        # ``slahub`` command did long before this line: start once more (same pid) with
        # the folder in the environment, so /metrics adds up every web process's counts.
        env = {**os.environ, server.MULTIPROC_ENV: os.path.join(app.instance_path, "metrics")}
        argv = [sys.executable, "-m", "hub", *sys.argv[1:]]
        os.execve(sys.executable, argv, env)
    server.run(app, bind, workers)


commands = [serve_command]
