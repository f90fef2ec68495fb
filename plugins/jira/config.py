"""The Jira plugin's settings: declared once (shown on the admin page), read through the
hub's :func:`hub.pluginmanager.plugin_setting` (``HUB_JIRA_<NAME>``, then
``PLUGINS["jira"]``), with the defaults declared here."""

from __future__ import annotations

import functools
import json
from typing import Any

from hub.hooktypes import Setting
from hub.pluginmanager import plugin_setting
from plugins.jira.client import JiraClient, JiraConfigurationError, Settings

NAME = "jira"

SETTINGS = (
    Setting("url", "", description="Jira's base URL, e.g. https://acme.atlassian.net"),
    Setting("user", "", description="the hub's Jira account for basic auth (Cloud: its e-mail)"),
    Setting(
        "token",
        "",
        secret=True,
        description="API token (basic) or personal access token (bearer); HUB_JIRA_TOKEN",
    ),
    Setting("auth", "basic", description="basic (user + API token) or bearer (Server/DC PAT)"),
    Setting("timeout", 10.0, description="seconds per Jira request"),
    Setting(
        "webhook_secret",
        "",
        secret=True,
        description="HMAC-SHA256 secret of the Jira webhook (X-Hub-Signature)",
    ),
    Setting(
        "url_token",
        "",
        secret=True,
        description="for Jira servers that cannot sign: POST /webhooks/jira?token=<url_token>",
    ),
    Setting(
        "account",
        "",
        description="the hub's own Jira account (name, key, accountId or e-mail): "
        "its events are the hub's echoes and are ignored",
    ),
    Setting("hub_url", "", description="the hub's base URL, for links from Jira to a call"),
    Setting("issue_type", "Bug", description="issue type of 3rd-line issues"),
    Setting(
        "clients",
        {},
        description='JSON: service-desk project key → client key, or → {"client": ..., '
        '"application": ...}; issues created there become calls',
    ),
    Setting(
        "applications",
        {},
        description="JSON: application key → developers' Jira project key (3rd line)",
    ),
    Setting(
        "statuses",
        {},
        description="JSON: Jira status name → hub status, for service-desk issues "
        "(default by status category: in progress → in_progress, "
        "done → resolved; 'Waiting for customer' → waiting_for_client)",
    ),
    Setting(
        "transitions",
        {},
        description="JSON: hub status → the Jira transition that mirrors it on a client's "
        "service-desk issue (default: in_progress Start Progress, resolved Resolve Issue, "
        "reopened Reopen Issue, closed Close Issue)",
    ),
    Setting(
        "priorities",
        {},
        description="JSON: Jira priority name → P1..P4 (default: Highest/Blocker P1, "
        "High/Critical P2, Medium/Major P3, Low/Lowest/Minor/Trivial P4)",
    ),
)
_DEFAULTS = {s.name: s.default for s in SETTINGS}


def get(key: str) -> Any:
    """A setting's current value (the declared default when unset)."""
    return plugin_setting(NAME, key, _DEFAULTS[key])


def text(key: str) -> str:
    return str(get(key) or "").strip()


def mapping(key: str) -> dict[str, Any]:
    """A JSON mapping setting (a dict in the config file, a JSON string in the environment)."""
    value = get(key) or {}
    if isinstance(value, str):
        value = _parsed(key, value)
    if not isinstance(value, dict):
        raise JiraConfigurationError(f"Jira setting {key} must be a JSON object")
    return value


@functools.lru_cache(maxsize=64)
def _parsed(key: str, text: str) -> Any:
    """A JSON setting from the environment, parsed once per text (read on every webhook);
    callers get it read-only."""
    try:
        return json.loads(text)
    except ValueError as exc:
        raise JiraConfigurationError(f"Jira setting {key} is not JSON: {exc}") from None


def client() -> JiraClient:
    """A client from the current settings (raises JiraConfigurationError when incomplete)."""
    try:
        timeout = float(get("timeout"))
    except (TypeError, ValueError):
        raise JiraConfigurationError(f"Jira timeout {get('timeout')!r} is not a number") from None
    return JiraClient(
        Settings(
            url=text("url"),
            token=text("token"),
            user=text("user"),
            auth=text("auth").lower(),
            timeout=timeout,
        )
    )
