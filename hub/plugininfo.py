"""What the admin page and readiness checks show of the plugins: health and settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pluggy

from hub.pluginmanager import call_one, implementers, plugin_setting, plugin_version

MASK = "••••••"


@dataclass(frozen=True)
class PluginStatus:
    name: str
    version: str
    ok: bool
    detail: str


def health(pm: pluggy.PluginManager) -> list[PluginStatus]:
    """Every loaded plugin's health; one that raises is shown failing, with the error."""
    reporting = set(implementers(pm, "hub_report_health"))
    out = []
    for name, _plugin in pm.list_name_plugin():
        version = plugin_version(pm, name)
        if name not in reporting:
            out.append(PluginStatus(name, version, True, "reports no health"))
            continue
        try:
            report = call_one(pm, "hub_report_health", name)
        except Exception as exc:  # noqa: BLE001 - boundary: a broken plugin is shown, not raised
            out.append(PluginStatus(name, version, False, f"health check raised {exc!r}"))
            continue
        if report is None:
            out.append(PluginStatus(name, version, True, "no report"))
        else:
            out.append(PluginStatus(name, report.version, report.ok, report.detail))
    return out


def settings(pm: pluggy.PluginManager) -> dict[str, list[dict[str, Any]]]:
    """Each plugin's registered settings with their current values, secrets masked."""
    out: dict[str, list[dict[str, Any]]] = {}
    for name in implementers(pm, "hub_register_settings"):
        rows = []
        for setting in call_one(pm, "hub_register_settings", name) or ():
            value = plugin_setting(name, setting.name, setting.default)
            if setting.secret and value:
                value = MASK
            rows.append(
                {
                    "name": setting.name,
                    "value": value,
                    "secret": setting.secret,
                    "description": setting.description,
                }
            )
        out[name] = rows
    return out
