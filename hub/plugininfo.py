"""What the admin page and readiness checks show of the plugins: health and settings."""

from __future__ import annotations

from dataclasses import dataclass, replace
from importlib.metadata import entry_points
from typing import Any

import pluggy

from hub import NAME
from hub.outbox import last_errors
from hub.pluginmanager import call_one, implementers, plugin_setting, plugin_version

MASK = "••••••"


@dataclass(frozen=True)
class PluginStatus:
    name: str
    version: str
    ok: bool
    detail: str
    enabled: bool = True
    last_error: str | None = None


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


def overview(pm: pluggy.PluginManager) -> list[PluginStatus]:
    """Loaded plugins with their health and last delivery error, then installed ones that
    are not enabled (so that the admin sees what could be switched on)."""
    errors = last_errors()
    rows = [replace(s, last_error=errors.get(s.name)) for s in health(pm)]
    loaded = {s.name for s in rows}
    for ep in sorted(entry_points(group=NAME), key=lambda ep: ep.name):
        if ep.name not in loaded:
            version = ep.dist.version if ep.dist else ""
            detail = "installed, not enabled"
            rows.append(PluginStatus(ep.name, version, True, detail, False, errors.get(ep.name)))
    return rows


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
