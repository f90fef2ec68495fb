"""The plugin's settings: registered for the admin page, read through ``plugin_setting``.

Each comes from ``HUB_MANTIS_<NAME>`` in the environment (always a string there), else
from ``PLUGINS["mantis"][name]`` in the app config, else the default below.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hub.hooktypes import ConfigurationError, Setting
from hub.pluginmanager import plugin_setting
from plugins.mantis.client import MantisClient

NAME = "mantis"

SETTINGS = (
    Setting("url", "", description="MantisBT's base URL, e.g. https://bugs.example.org"),
    Setting(
        "token",
        "",
        secret=True,
        description="API token of the hub's Mantis account (HUB_MANTIS_TOKEN)",
    ),
    Setting("timeout", 10.0, description="Seconds to wait for each request to MantisBT"),
    Setting("poll_seconds", 60, description="Seconds between two polls of the projects"),
    Setting("page_size", 50, description="Issues per page when polling"),
    Setting(
        "webhook_secret",
        "",
        secret=True,
        description="Shared secret of the MantisBT push plugin (X-Hub-Signature-256)",
    ),
    Setting("hub_url", "", description="The hub's base URL, for links from Mantis issues"),
    Setting(
        "contracts",
        {},
        description='JSON: contract reference → {"client", "project", '
        '"category", "create_issues", "hours_field", "feedback_field"}',
    ),
)
DEFAULTS = {s.name: s.default for s in SETTINGS}


@dataclass(frozen=True)
class Mapping:
    """How one contract maps onto a Mantis project."""

    contract: str
    client: str
    project: str
    category: str = "General"
    create_issues: bool = False
    hours_field: str | None = None
    feedback_field: str | None = None


def get(key: str) -> Any:
    return plugin_setting(NAME, key, DEFAULTS[key])


def configured() -> bool:
    """Whether a URL and token are set (else the plugin stays quiet)."""
    return bool(get("url") and get("token"))


def number(key: str, kind: type = float) -> Any:
    value = get(key)
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise ConfigurationError(f"mantis setting {key}={value!r} is not a number") from None


def contracts() -> dict[str, Mapping]:
    """The ``contracts`` setting, checked; a malformed one is a ConfigurationError."""
    raw = get("contracts")
    if isinstance(raw, str):
        try:
            raw = json.loads(raw) if raw.strip() else {}
        except json.JSONDecodeError as exc:
            raise ConfigurationError(f"mantis setting contracts is not JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigurationError("mantis setting contracts must be a JSON object")
    out = {}
    for reference, entry in raw.items():
        if not isinstance(entry, dict) or not entry.get("client") or not entry.get("project"):
            raise ConfigurationError(
                f"mantis setting contracts[{reference!r}] needs a client and a project"
            )
        out[reference] = Mapping(
            contract=reference,
            client=str(entry["client"]),
            project=str(entry["project"]),
            category=str(entry.get("category") or "General"),
            create_issues=bool(entry.get("create_issues", False)),
            hours_field=entry.get("hours_field") or None,
            feedback_field=entry.get("feedback_field") or None,
        )
    return out


def mapping_for_project(project: dict[str, Any]) -> Mapping | None:
    """The contract mapped to a Mantis project (given as ``{"id", "name"}``), by name or id."""
    name = str(project.get("name", "")).lower()
    pid = str(project.get("id", ""))
    for mapping in contracts().values():
        if mapping.project.lower() == name or mapping.project == pid:
            return mapping
    return None


def client() -> MantisClient:
    """A client from the settings; a missing URL or token is a ConfigurationError."""
    if not configured():
        raise ConfigurationError("mantis needs the url and token settings (HUB_MANTIS_TOKEN)")
    return MantisClient(str(get("url")), str(get("token")), timeout=number("timeout"))
