"""The Jira plugin's settings (admin page, environment, JSON mappings) and its health
report, which reads only the settings and the plugin's state (no network)."""

from __future__ import annotations

import pytest

import plugins.jira
from hub import plugininfo
from hub.pluginmanager import get_pm
from plugins.jira import config
from plugins.jira.client import JiraConfigurationError
from tests.plugins.jira import payloads as p
from tests.plugins.jira.conftest import apply_inbound, post, settings

SECRETS = {"token", "webhook_secret", "url_token"}


def test_settings_are_registered_with_secrets_marked_and_masked(app):
    with app.app_context():
        shown = {row["name"]: row for row in plugininfo.settings(get_pm())["jira"]}
    assert set(shown) == {
        "url", "user", "token", "auth", "timeout", "webhook_secret", "url_token", "account",
        "hub_url", "issue_type", "clients", "applications", "statuses", "transitions",
        "priorities",
    }  # fmt: skip
    assert {name for name, row in shown.items() if row["secret"]} == SECRETS
    assert {shown[name]["value"] for name in SECRETS} == {plugininfo.MASK}
    assert shown["issue_type"]["value"] == "Bug"  # unset: the declared default
    assert all(row["description"] for row in shown.values())


def test_the_environment_wins_and_json_mappings_come_as_text(app, monkeypatch):
    monkeypatch.setenv("HUB_JIRA_TOKEN", "from-env")
    monkeypatch.setenv("HUB_JIRA_APPLICATIONS", '{"amarant-intranet": "AMDEV"}')
    with app.app_context():
        assert config.text("token") == "from-env"
        assert config.mapping("applications") == {"amarant-intranet": "AMDEV"}
        monkeypatch.setenv("HUB_JIRA_CLIENTS", "{not json")
        with pytest.raises(JiraConfigurationError, match="clients is not JSON"):
            config.mapping("clients")
        monkeypatch.setenv("HUB_JIRA_TIMEOUT", "soon")
        with pytest.raises(JiraConfigurationError, match="timeout 'soon' is not a number"):
            config.client()


def test_health_is_ok_when_configured_and_says_what_is_missing(app, monkeypatch):
    with app.app_context():
        report = plugins.jira.hub_report_health()
        assert report.ok and report.version == plugins.jira.__version__
        app.config["PLUGINS"]["jira"].update(url="", token="")
        report = plugins.jira.hub_report_health()
    assert (report.ok, report.detail) == (True, "not configured: url, token")  # off, not broken


class TestWithoutWebhookSecrets:
    @pytest.fixture
    def jira_settings(self, fake) -> dict:  # noqa: ANN001
        return settings(fake, webhook_secret="", url_token="")

    def test_webhooks_are_refused_until_a_secret_or_token_is_set(self, app, client, demo):
        resp = post(client, p.issue_created("AMSD-1"), secret="anything")
        assert resp.status_code == 401
        assert "set webhook_secret or url_token" in resp.json["error"]
        assert apply_inbound(app) == []

    def test_another_source_is_not_jiras(self, app):
        with app.app_context():
            assert get_pm().hook.hub_get_webhook_handler(source="jiraa") is None
