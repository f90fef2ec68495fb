"""Refusing to start: each unsafe set-up gives one line, a non-zero exit and no server.

The processes are real ``slahub serve`` / ``slahub worker`` runs; the checks are also
called in-process to show that a sound set-up passes every one of them.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from flask_migrate import upgrade

from hub import create_app, preflight
from hub.db import db
from tests.conftest import PG_URL, base_config
from tests.support.hubprocess import (
    GOOD_KEY,
    free_port,
    hub_env,
    listening,
    migrated_instance,
    run_hub,
)

BEHIND = "0009"


def refused(result, *phrases: str) -> str:
    """Assert ``result`` is a refusal: exit 78, exactly one line naming ``phrases``."""
    lines = result.stdout.splitlines()
    assert result.returncode == preflight.EXIT_REFUSED, result.stdout
    assert len(lines) == 1, f"one line expected, got:\n{result.stdout}"
    assert lines[0].startswith("refusing to start: "), lines[0]
    for phrase in phrases:
        assert phrase in lines[0]
    assert "Listening at" not in result.stdout
    return lines[0]


def serve(env: dict[str, str]):  # noqa: ANN201
    port = free_port()
    result = run_hub("serve", "--bind", f"127.0.0.1:{port}", env=env)
    assert not listening(port), "a refused server must not be listening"
    return result


@pytest.fixture
def instance(tmp_path: Path, sqlite_template: Path) -> Path:
    return migrated_instance(tmp_path / "instance", sqlite_template)


@pytest.fixture(params=["sqlite", "postgresql"])
def behind_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database migrated only to 0009 (an upgrade of the hub not yet applied to it)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'behind.sqlite3'}"
        _migrate_to(url, BEHIND)
        yield url
        return
    request.getfixturevalue("postgres_database")  # skips (or fails in CI) without PostgreSQL
    name = f"slahub_behind_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = PG_URL.rsplit("/", 1)[0] + "/" + name
    try:
        _migrate_to(url, BEHIND)
        yield url
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _migrate_to(url: str, revision: str) -> None:
    app = create_app(base_config(url))
    with app.app_context():
        upgrade(revision=revision)
        db.engine.dispose()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("key", "phrase"),
    [
        ("<unset>", "SECRET_KEY is the development default"),
        ("", "SECRET_KEY is not set"),
        ("dev-only-change-me", "SECRET_KEY is the development default"),
        ("a-short-secret-key", "SECRET_KEY is shorter than 32 characters"),
    ],
)
def test_serve_refuses_a_weak_secret_key(instance, key, phrase):
    line = refused(serve(hub_env(instance, HUB_SECRET_KEY=key)), phrase)
    assert "HUB_SECRET_KEY" in line and "secrets.token_urlsafe" in line


@pytest.mark.slow
@pytest.mark.parametrize("where", ["under a file", "is a file"])
def test_serve_and_worker_refuse_an_instance_folder_they_cannot_write(tmp_path, where):
    # Tests run as root, whom permission bits do not stop; a path through a regular file
    # cannot be written by anyone.
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    folder = blocker / "instance" if where == "under a file" else blocker
    env = hub_env(folder)
    line = refused(serve(env), f"the instance folder {folder} cannot be written")
    assert "HUB_INSTANCE_PATH" in line
    refused(run_hub("worker", "--once", env=env), "cannot be written")


@pytest.mark.slow
def test_serve_and_worker_refuse_a_database_behind_on_migrations(instance, behind_url):
    env = hub_env(instance, HUB_DATABASE_URL=behind_url)
    expected = ("is at revision 0009 and the hub needs 0010", "run 'slahub db upgrade'")
    refused(serve(env), *expected)
    refused(run_hub("worker", "--once", env=env), *expected)


@pytest.mark.slow
def test_serve_refuses_an_unreachable_database_without_showing_its_password(instance):
    url = "postgresql://slahub:hunter2-secret@127.0.0.1:1/slahub"
    line = refused(serve(hub_env(instance, HUB_DATABASE_URL=url)), "cannot reach the database")
    assert "HUB_DATABASE_URL" in line
    assert "hunter2-secret" not in line and "***" in line


@pytest.mark.slow
def test_serve_refuses_an_empty_database(tmp_path):
    refused(serve(hub_env(tmp_path / "fresh")), "has no schema", "slahub db upgrade")


@pytest.mark.slow
def test_worker_needs_no_secret_key_but_the_same_database_checks(instance):
    # The development default key is fine for a worker (it signs no sessions).
    result = run_hub("worker", "--once", env=hub_env(instance, HUB_SECRET_KEY="<unset>"))
    assert result.returncode == 0, result.stdout
    assert "refusing" not in result.stdout and "stopped" in result.stdout


def test_a_sound_setup_passes_every_check(app, tmp_path):
    app.config["SECRET_KEY"] = GOOD_KEY
    app.instance_path = str(tmp_path / "instance")
    assert preflight.problem(app) is None
    assert list((tmp_path / "instance").iterdir()) == [], "the probe file was removed"


def test_a_database_from_a_newer_hub_is_refused(tmp_path, sqlite_template):
    path = migrated_instance(tmp_path, sqlite_template) / "hub.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0099'")
    app = create_app(base_config(f"sqlite:///{path}"))
    found = preflight.migrations(app)
    assert found is not None and "is at revision 0099" in found
    assert "does not know" in found and "needs 0010" in found
