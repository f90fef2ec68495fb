"""``slahub serve``: the production web server (gunicorn), after the refusal checks."""

from __future__ import annotations

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
    server.run(app, bind, workers)


commands = [serve_command]
