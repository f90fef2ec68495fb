"""Shared fixtures: a migrated database on SQLite and (when configured) PostgreSQL.

Every test that uses ``app`` runs once per backend. PostgreSQL runs when
``HUB_TEST_POSTGRES_URL`` is set; each test session makes its own database there and
drops it afterwards. In CI (``CI=true``) a missing or unreachable PostgreSQL fails the run.
"""

from __future__ import annotations

import copy
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import text

from hub import create_app
from hub.config import normalise_db_url
from hub.db import db

# Settings from the developer's shell must not leak into the tests.
for _name in [n for n in os.environ if n.startswith("HUB_") and not n.startswith("HUB_TEST_")]:
    del os.environ[_name]

PG_URL = os.environ.get("HUB_TEST_POSTGRES_URL")
IN_CI = os.environ.get("CI", "").lower() == "true"
PG_HELP = (
    "PostgreSQL tests need HUB_TEST_POSTGRES_URL, e.g. "
    "HUB_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/test make test"
)
SECRET = "generic-webhook-secret"


def base_config(url: str, **extra: object) -> dict:
    return {
        "TESTING": True,
        "DATABASE_URL": url,
        "SECRET_KEY": "test-secret-key",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "ENABLED_PLUGINS": [],
        "PLUGIN_MODULES": ["tests.support.recorder"],
        "WEBHOOK_SECRETS": {"monitoring": SECRET},
        "OUTBOX_BACKOFF_BASE": 0.01,
        "OUTBOX_BACKOFF_CAP": 0.05,
        **extra,
    }


def _migrate(url: str) -> None:
    app = create_app(base_config(url))
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "hub.sqlite3"
    _migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    if not PG_URL:
        if IN_CI:
            pytest.fail("CI=true but HUB_TEST_POSTGRES_URL is not set: " + PG_HELP)
        pytest.skip(PG_HELP)
    name = f"slahub_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(PG_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(f"cannot connect to HUB_TEST_POSTGRES_URL={PG_URL}: {exc}")
    admin.execute(f'CREATE DATABASE "{name}"')
    url = PG_URL.rsplit("/", 1)[0] + "/" + name
    _migrate(url)
    yield url
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database for one test, on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "hub.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("postgres_database")
    yield url
    _truncate(url)


def _truncate(url: str) -> None:
    import sqlalchemy

    engine = sqlalchemy.create_engine(normalise_db_url(url))
    with engine.begin() as conn:
        tables = [t.name for t in db.metadata.sorted_tables]
        conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def record_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "records.jsonl"
    monkeypatch.setenv("HUB_TEST_RECORD_FILE", str(path))
    return path


@pytest.fixture
def config_extra() -> dict:
    """Override in a test module to change the app's settings."""
    return {}


@pytest.fixture
def app(db_url: str, record_file: Path, config_extra: dict) -> Iterator[Flask]:
    app = create_app(base_config(db_url, **config_extra))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask):  # noqa: ANN201
    return app.test_client()


def _load_demo() -> dict:
    """Load the demo into the app context's database; its logins and API tokens."""
    from hub import auth
    from hub import demo as demo_data

    loaded = demo_data.load_if_empty()
    tokens = {"admin": loaded["token"]}
    for username in ("bas", "anja", "amarant"):
        tokens[username] = auth.create_token(username, "test")
    db.session.commit()
    return {"tokens": tokens, "users": loaded["users"]}


@pytest.fixture(scope="session")
def sqlite_demo(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple:
    """A SQLite database with the demo loaded, made once: copying it is much quicker
    than loading the demo for every test."""
    path = tmp_path_factory.mktemp("demo") / "hub.sqlite3"
    shutil.copy(sqlite_template, path)
    app = create_app(base_config(f"sqlite:///{path}"))
    with app.app_context():
        loaded = _load_demo()
        db.session.remove()
        db.engine.dispose()
    return path, loaded


@pytest.fixture
def demo(app: Flask, db_url: str, config_extra: dict, request: pytest.FixtureRequest) -> dict:
    """The Amarant demo data plus an API token per role: ``demo["tokens"]["admin"]``."""
    if db_url.startswith("sqlite:///") and not config_extra:
        template, loaded = request.getfixturevalue("sqlite_demo")
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        target = Path(db_url.removeprefix("sqlite:///"))
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        shutil.copy(template, target)
        return copy.deepcopy(loaded)
    with app.app_context():
        return _load_demo()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def ctx(app: Flask, demo: dict) -> Iterator[Flask]:
    """An app context with the demo data loaded."""
    with app.app_context():
        yield app
        db.session.rollback()
