"""Configuration: precedence, and the README's settings table kept true."""

from __future__ import annotations

import re
from pathlib import Path

from hub import create_app
from hub.config import DEFAULTS, normalise_db_url
from tests.conftest import base_config

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_every_setting_is_in_the_readme_and_nothing_else():
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", README, flags=re.M))
    assert documented == set(DEFAULTS)


def test_environment_overrides_test_config(tmp_path, monkeypatch):
    monkeypatch.setenv("HUB_OUTBOX_MAX_ATTEMPTS", "3")
    monkeypatch.setenv("HUB_ENABLED_PLUGINS", '["jira"]')
    app = create_app(base_config(f"sqlite:///{tmp_path}/x.db", OUTBOX_MAX_ATTEMPTS=5))
    assert app.config["OUTBOX_MAX_ATTEMPTS"] == 3
    assert app.config["ENABLED_PLUGINS"] == ["jira"]


def test_default_database_is_sqlite_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HUB_INSTANCE_PATH", str(tmp_path / "inst"))
    app = create_app({"TESTING": True, "ENABLED_PLUGINS": []})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/inst/hub.sqlite3"


def test_postgresql_urls_use_psycopg3():
    assert normalise_db_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_db_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_db_url("sqlite:///x") == "sqlite:///x"
