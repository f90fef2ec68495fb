"""Refusing to start in production when the set-up is unsafe or cannot work.

``slahub serve`` and ``slahub worker`` run these checks before they do anything else
(the worker skips the secret key: it keeps no sessions). Each check answers None or one
line that says what is wrong and what to do, so the line in ``journalctl`` is the fix.
``slahub run`` is development and is not checked.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click
import sqlalchemy
from flask import Flask
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from hub import revisions
from hub.config import DEFAULTS

# sysexits.h EX_CONFIG: the units say RestartPreventExitStatus=78, so systemd does not
# restart a hub that refused in a loop.
EXIT_REFUSED = 78
MIN_SECRET_LENGTH = 32
ALEMBIC_LOGGER = "alembic.runtime.migration"
CONNECT_TIMEOUT = 10  # seconds: a start may wait longer than a readiness probe
KEY_HINT = (
    "set HUB_SECRET_KEY to a long random value "
    "(python -c 'import secrets; print(secrets.token_urlsafe(48))')"
)


def secret_key(app: Flask) -> str | None:
    """Sessions and CSRF tokens signed with a known or guessable key can be forged."""
    key = app.config.get("SECRET_KEY")
    if not key:
        return f"SECRET_KEY is not set; {KEY_HINT}"
    if key == DEFAULTS["SECRET_KEY"]:
        return f"SECRET_KEY is the development default; {KEY_HINT}"
    if len(str(key)) < MIN_SECRET_LENGTH:
        return f"SECRET_KEY is shorter than {MIN_SECRET_LENGTH} characters; {KEY_HINT}"
    return None


def instance_folder(app: Flask) -> str | None:
    """The SQLite database, its journal and the instance files live there.

    Permission bits do not tell whether root, a read-only mount or a full disk lets a
    write through, so a file is really created (and removed).
    """
    path = app.instance_path
    try:
        os.makedirs(path, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        return (
            f"the instance folder {path} cannot be written ({reason}); make it a folder the "
            "hub's user can write, or point HUB_INSTANCE_PATH at one"
        )
    return None


def migrations(app: Flask) -> str | None:
    """A hub on an older schema fails on its first query to a new column, mid-request."""
    address = app.config["SQLALCHEMY_DATABASE_URI"]
    url = make_url(address).render_as_string(hide_password=True)
    # Not the app's engine: that one has no connect timeout (a host that does not answer
    # would hold the start for the TCP timeout), and its pool must not reach the
    # processes gunicorn forks.
    args = {"connect_timeout": CONNECT_TIMEOUT} if address.startswith("postgresql") else {}
    engine = sqlalchemy.create_engine(address, poolclass=NullPool, connect_args=args)
    try:
        with engine.connect() as conn, _quiet(ALEMBIC_LOGGER):
            current, heads = revisions.state(conn)
    except SQLAlchemyError as exc:
        first = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        return (
            f"cannot reach the database {url} ({first}); check HUB_DATABASE_URL and that "
            "the database server is up"
        )
    finally:
        engine.dispose()
    if current == heads:
        return None
    needed = ", ".join(sorted(heads))
    if not current:
        return f"the database {url} has no schema; run 'slahub db upgrade' to create it"
    at = ", ".join(sorted(current))
    if not all(revisions.known(rev) for rev in current):
        return (
            f"the database {url} is at revision {at}, which this version of the hub does not "
            f"know (it needs {needed}); run the hub version that migrated it"
        )
    return (
        f"the database {url} is at revision {at} and the hub needs {needed}; "
        "run 'slahub db upgrade'"
    )


@contextmanager
def _quiet(name: str) -> Iterator[None]:
    """Alembic announces its context at INFO; a refusal is to be one line."""
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def problem(app: Flask, *, check_secret: bool = True) -> str | None:
    """The first thing that keeps the hub from starting, or None when it may start."""
    checks: list[Callable[[Flask], str | None]] = [instance_folder, migrations]
    if check_secret:
        checks.insert(0, secret_key)
    for check in checks:
        found = check(app)
        if found:
            return found
    return None


def refuse_or_continue(app: Flask, *, check_secret: bool = True) -> None:
    """Print ``refusing to start: ...`` on one line and exit 78 when a check fails."""
    found = problem(app, check_secret=check_secret)
    if found:
        click.echo(f"refusing to start: {found}", err=True)
        raise SystemExit(EXIT_REFUSED)
