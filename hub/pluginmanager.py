"""One pluggy plugin manager per app: built-in plugins, entry points, extra modules."""

from __future__ import annotations

import functools
import importlib
import os
import re
from importlib.metadata import entry_points
from typing import Any

import pluggy
from flask import Flask, current_app

from hub import NAME, hookspecs
from hub.errors import PluginLoadError

#: The core's own behaviour, written as plugins so that it can be overridden (trylast).
DEFAULT_PLUGINS = (
    "hub.builtin.generic_webhooks",
    "hub.builtin.core_jobs",
    "hub.builtin.mailer",
    "hub.builtin.roster_jobs",
)


def _names(value: Any) -> list[str]:
    """A list setting may come from the environment as ``"a,b"``."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return list(value or ())


def build(app: Flask) -> pluggy.PluginManager:
    """Load the built-in plugins, then (unless in safe mode) the enabled external ones.

    A plugin that is enabled but missing or fails to import stops start-up with its name.
    """
    pm = pluggy.PluginManager(NAME)
    pm.add_hookspecs(hookspecs)
    for module_name in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(module_name), name=module_name.rsplit(".", 1)[1])
    if app.config["SAFE_MODE"]:
        app.logger.warning("safe mode: no external plugin loaded")
        return pm
    available = {ep.name: ep for ep in entry_points(group=NAME)}
    for name in _names(app.config["ENABLED_PLUGINS"]):
        if name not in available:
            raise PluginLoadError(
                f"plugin {name!r} is enabled but not installed (no {NAME!r} entry point); "
                f"installed: {', '.join(sorted(available)) or 'none'}"
            )
        try:
            plugin = available[name].load()
        except Exception as exc:  # noqa: BLE001 - reported with the plugin's name, then stop
            raise PluginLoadError(f"plugin {name!r} failed to load: {exc!r}") from exc
        pm.register(plugin, name=name)
    for path in _names(app.config["PLUGIN_MODULES"]):
        try:
            plugin = importlib.import_module(path)
        except Exception as exc:  # noqa: BLE001 - as above
            raise PluginLoadError(f"plugin module {path!r} failed to load: {exc!r}") from exc
        pm.register(plugin, name=path)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginLoadError(f"plugin implements an unknown hook: {exc}") from exc
    return pm


def get_pm(app: Flask | None = None) -> pluggy.PluginManager:
    return (app or current_app).extensions[NAME]


def implementers(pm: pluggy.PluginManager, hook: str) -> list[str]:
    """Names of the plugins that implement ``hook``, in call order."""
    impls = getattr(pm.hook, hook).get_hookimpls()
    return [impl.plugin_name for impl in reversed(impls)]


def call_one(pm: pluggy.PluginManager, hook: str, plugin: str, **kwargs: Any) -> Any:
    """Call one plugin's implementation of ``hook``; returns its result or None.

    Raises LookupError when that plugin is not loaded or does not implement the hook.
    """
    if plugin not in implementers(pm, hook):
        raise LookupError(f"plugin {plugin!r} with {hook} is not loaded")
    others = [p for name, p in pm.list_name_plugin() if name != plugin]
    results = pm.subset_hook_caller(hook, remove_plugins=others)(**kwargs)
    return results[0] if results else None


def plugin_setting(name: str, key: str, default: Any = None) -> Any:
    """A plugin's setting: ``HUB_<PLUGIN>_<KEY>`` in the environment, then ``PLUGINS``."""
    env = os.environ.get(_env_name(name, key))
    if env is not None:
        return env
    return current_app.config["PLUGINS"].get(name, {}).get(key, default)


@functools.lru_cache(maxsize=1024)
def _env_name(name: str, key: str) -> str:
    """``HUB_<PLUGIN>_<KEY>``, made once per setting (webhook requests read settings)."""
    return re.sub(r"[^A-Z0-9]", "_", f"HUB_{name}_{key}".upper())


def plugin_version(pm: pluggy.PluginManager, name: str) -> str:
    """The version a plugin module declares (``__version__``), else the hub's."""
    from hub import __version__

    return getattr(pm.get_plugin(name), "__version__", __version__)
