"""The tracker bridges and the service wiki on the admin page: their settings (secrets
masked, mappings shown) and their health, as an SLA manager sees them."""

from __future__ import annotations

import json

import pytest

from hub.plugininfo import MASK
from tests.test_admin_login import log_in, user

MANTIS_TOKEN = "mantis-token-not-to-be-shown"
JIRA_TOKEN = "jira-token-not-to-be-shown"
WIKI_PASSWORD = "wiki-bot-password-not-to-be-shown"


@pytest.fixture
def config_extra() -> dict:
    return {
        "ENABLED_PLUGINS": ["mantis", "jira", "mediawiki", "drupal"],
        "PLUGINS": {
            "mantis": {
                "url": "https://mantis.example.org",
                "contracts": json.dumps(
                    {"amarant-sla-2026": {"client": "amarant", "project": "Amarant intranet"}}
                ),
            },  # fmt: skip
            "jira": {"url": "https://jira.example.org", "clients": {"AMSD": "amarant"}},
            "mediawiki": {"url": "https://wiki.example.org/w/", "user": "Hub@sla"},
        },
    }


def test_the_bridges_settings_and_health_are_on_the_plugins_page(client, demo, monkeypatch):
    monkeypatch.setenv("HUB_MANTIS_TOKEN", MANTIS_TOKEN)
    monkeypatch.setenv("HUB_JIRA_TOKEN", JIRA_TOKEN)
    monkeypatch.setenv("HUB_MEDIAWIKI_BOT_PASSWORD", WIKI_PASSWORD)
    log_in(client, *user(demo, "sla_manager"))
    page = client.get("/plugins").get_data(as_text=True)
    for name in ("mantis", "jira", "mediawiki", "drupal"):
        assert f"Settings of {name}" in page
    assert "https://mantis.example.org" in page and "Amarant intranet" in page
    assert "https://jira.example.org" in page and "AMSD" in page
    assert MASK in page
    assert "https://wiki.example.org/w/" in page and "writes to" in page  # its health
    assert MANTIS_TOKEN not in page and JIRA_TOKEN not in page and WIKI_PASSWORD not in page
    for setting in ("poll_seconds", "webhook_secret", "url_token", "applications", "account",
                    "bot_password", "namespace", "release_history_url", "ca_bundle"):  # fmt: skip
        assert setting in page
