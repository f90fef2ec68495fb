"""The plugins page: loaded plugins, health, settings with secrets masked."""

from __future__ import annotations

import pytest

from hub.plugininfo import MASK
from tests.test_admin_login import log_in, user


@pytest.fixture
def config_extra() -> dict:
    return {"PLUGIN_MODULES": ["tests.support.recorder", "tests.support.extras"]}


def test_plugins_show_health_and_settings_with_secrets_masked(client, demo, monkeypatch):
    monkeypatch.setenv("HUB_TESTS_SUPPORT_EXTRAS_TOKEN", "s3cret-token-value")
    log_in(client, *user(demo, "sla_manager"))
    page = client.get("/plugins").get_data(as_text=True)
    assert "tests.support.extras" in page and "Settings of tests.support.extras" in page
    assert "https://tracker.example" in page
    assert MASK in page and "s3cret-token-value" not in page


@pytest.mark.parametrize("role", ["associate", "client_viewer"])
def test_plugins_are_for_admins_and_sla_managers(client, demo, role):
    log_in(client, *user(demo, role))
    assert client.get("/plugins").status_code == 403
