"""The ``slahub`` command: a Flask CLI group.

``slahub run`` (web + worker), ``slahub worker``, ``slahub db upgrade`` (Flask-Migrate),
``slahub demo``, ``slahub create-user``, ``slahub create-token``, ``slahub outbox``,
``slahub wiki sync``, ``slahub sites check``.
"""

from __future__ import annotations

import secrets
import signal
import subprocess
import sys

import click
from flask import current_app
from flask.cli import FlaskGroup, routes_command, shell_command
from werkzeug.serving import run_simple

from hub import auth, commands, demo
from hub.app import create_app
from hub.db import db
from hub.errors import HubError
from hub.vocab import USER_ROLES


@click.group(cls=FlaskGroup, create_app=create_app, add_default_commands=False)
def main() -> None:
    """SLA Hub: service desk hub for agencies that sell SLAs on their sites."""


main.add_command(shell_command)
main.add_command(routes_command)
commands.register(main)


def _fail(exc: HubError) -> None:
    db.session.rollback()
    raise click.ClickException(exc.message)


@main.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option(
    "--worker/--no-worker", default=True, help="Start a worker process beside the web server."
)
def run_command(host: str, port: int, worker: bool) -> None:
    """Serve the API and admin page (development server) with a worker beside it."""
    child = subprocess.Popen([sys.executable, "-m", "hub", "worker"]) if worker else None
    # Ctrl-C reaches both processes; SIGTERM (systemd, a test) stops the server the same way.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        run_simple(host, port, current_app._get_current_object(), threaded=True)
    finally:
        if child is not None:
            child.terminate()
            child.wait(timeout=30)


@main.command("worker")
@click.option("--once", is_flag=True, help="Stop when nothing is due instead of waiting.")
def worker_command(once: bool) -> None:
    """Deliver the outbox and run periodic jobs until stopped (Ctrl-C or SIGTERM)."""
    from hub import preflight
    from hub.sqlitelock import yield_to_requests
    from hub.worker import Worker

    app = current_app._get_current_object()
    preflight.refuse_or_continue(app, check_secret=False)  # a worker keeps no sessions
    yield_to_requests()  # the worker's writes wait for the web requests' on SQLite
    w = Worker(app)
    w.install_signal_handlers()
    click.echo(f"worker {w.worker_id} running")
    w.run(once=once)
    click.echo(f"worker {w.worker_id} stopped")


@main.command("demo")
def demo_command() -> None:
    """Load the Amarant demo data when the database has no clients yet."""
    loaded = demo.load_if_empty()
    if loaded is None:
        click.echo("demo: the database already has data; nothing loaded")
        return
    click.echo("demo: loaded client Amarant. Logins (shown once, not stored anywhere else):")
    for username, (role, password) in loaded["users"].items():
        click.echo(f"  {username:<10} {role:<14} {password}")
    click.echo(f"  API token for admin: {loaded['token']}")
    duties = demo.plan_roster()
    click.echo(f"demo: planned {duties} duties (this month and the next) on the roster")


@main.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice(USER_ROLES), required=True)
@click.option("--person", help="The person key this login belongs to.")
@click.option("--client", help="The client a client viewer may see.")
@click.option("--password", help="Omit to have one generated and printed.")
@click.option("--language", help="The admin page's language (en, nl); omit: the browser's.")
def create_user_command(
    username: str, role: str, person: str | None, client: str | None, password: str | None,
    language: str | None,
) -> None:  # fmt: skip
    """Add a login with a role."""
    password = password or secrets.token_urlsafe(12)
    try:
        auth.create_user(username, password, role, person=person, client=client,
                         language=language)  # fmt: skip
    except HubError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"user {username} ({role}) created; password: {password}")


@main.command("create-token")
@click.argument("username")
@click.option("--name", default="cli", show_default=True, help="What the token is for.")
def create_token_command(username: str, name: str) -> None:
    """Make an API token for a user; it is printed once and stored only hashed."""
    try:
        token = auth.create_token(username, name)
    except HubError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(token)


@main.group("outbox")
def outbox_group() -> None:
    """Look at and re-drive outbox deliveries."""


@outbox_group.command("list")
@click.option(
    "--state", type=click.Choice(["pending", "done", "dead"]), default="dead", show_default=True
)
def outbox_list(state: str) -> None:
    from sqlalchemy import select

    from hub.models import OutboxDelivery

    rows = db.session.scalars(
        select(OutboxDelivery).where(OutboxDelivery.state == state).order_by(OutboxDelivery.id)
    )
    for d in rows:
        click.echo(f"{d.id}\t{d.hook}\t{d.plugin}\tattempts={d.attempts}\t{d.last_error or ''}")


@outbox_group.command("redrive")
@click.argument("delivery_id", type=int)
def outbox_redrive(delivery_id: int) -> None:
    from hub import outbox

    try:
        outbox.redrive(delivery_id)
    except HubError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"delivery {delivery_id} is pending again")


@main.group("wiki")
def wiki_group() -> None:
    """The service wiki: documentation written by the documenting plugins."""


@wiki_group.command("sync")
@click.option("--client", "client_key", help="Only this client's pages (and no FAQ pages).")
@click.option("--dry-run", is_flag=True, help="Print what would change; write nothing.")
def wiki_sync(client_key: str | None, dry_run: bool) -> None:
    """Regenerate every documentation page now and print what changed (or would)."""
    from collections import Counter
    from dataclasses import replace

    from hub import docdata, documentation
    from hub.pluginmanager import get_pm, implementers

    if not implementers(get_pm(), documentation.HOOK):
        raise click.ClickException("no documenting plugin is enabled (ENABLED_PLUGINS)")
    try:
        subjects = docdata.all_subjects(client_key)
    except HubError as exc:
        _fail(exc)
    reason = "regenerated on demand (slahub wiki sync)"
    counts: Counter = Counter()
    for subject in subjects:
        subject = replace(subject, reason=reason, dry_run=dry_run, bulk=True)
        for plugin, pages in documentation.collect(subject).items():
            if isinstance(pages, Exception):
                counts["failed"] += 1
                click.echo(f"{'FAILED':<13} {subject.kind} {subject.key} ({plugin}): {pages}")
                continue
            for page in pages:
                counts[page.result or "written"] += 1
                click.echo(f"{page.result or 'written':<13} {page.title}")
                if dry_run and page.diff:
                    click.echo(page.diff.rstrip("\n"))
        db.session.commit()  # what each subject wrote is kept as it goes
    totals = ", ".join(f"{n} {what}" for what, n in sorted(counts.items())) or "no pages"
    click.echo(f"{len(subjects)} subjects: {totals}" + (" (dry run)" if dry_run else ""))
    if counts["failed"]:
        raise SystemExit(1)


@main.group("sites")
def sites_group() -> None:
    """The clients' sites: checks over HTTP, read-only."""


@sites_group.command("check")
@click.argument("application", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the reports as JSON.")
def sites_check(application: str | None, as_json: bool) -> None:
    """Check one application's site (or every site) now and keep the results; exits 1
    when a critical check fails, so it can guard a deploy pipeline."""
    import json
    from dataclasses import asdict

    from sqlalchemy import select

    from hub import sitechecks
    from hub.models import Application

    stmt = select(Application).where(Application.url.is_not(None)).order_by(Application.key)
    if application:
        stmt = stmt.where(Application.key == application)
    apps = db.session.scalars(stmt).all()
    if application and not apps:
        raise click.ClickException(f"no application {application!r} with a URL")
    reports = sitechecks.check([sitechecks.site(a) for a in apps])
    if apps and not reports:
        raise click.ClickException("no site-checking plugin is enabled (ENABLED_PLUGINS)")
    critical = False
    for report in reports:
        run = sitechecks.record(report)
        db.session.commit()
        critical |= bool(run.critical)
    if as_json:
        click.echo(json.dumps([asdict(r) for r in reports], indent=2, default=str))
    else:
        for report in reports:
            click.echo(f"{report.key}  {report.url}  ({report.requests} requests, "
                       f"{report.seconds:.1f} s)")  # fmt: skip
            for r in report.results:
                detail = str(r.evidence.get("detail") or "")[:70]
                click.echo(f"  {r.verdict.upper():<5} {r.severity:<8} {r.id:<22} {detail}")
    if critical:
        raise SystemExit(1)
