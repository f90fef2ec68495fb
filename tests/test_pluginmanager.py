"""Plugin loading: entry points filtered by setting, loud failures, safe mode."""

from __future__ import annotations

import sys
import types

import pytest

from hub import create_app
from hub.errors import PluginLoadError
from hub.pluginmanager import get_pm
from tests.conftest import base_config


def names(app) -> set[str]:  # noqa: ANN001
    return {name for name, _ in get_pm(app).list_name_plugin()}


def test_bundled_plugins_load_from_their_entry_points(tmp_path):
    app = create_app(
        base_config(
            f"sqlite:///{tmp_path}/x.db", ENABLED_PLUGINS=["mantis", "jira", "mediawiki", "drupal"]
        )
    )
    assert {"mantis", "jira", "mediawiki", "drupal", "generic_webhooks", "core_jobs"} <= names(app)


def test_enabled_plugins_filter_the_entry_points(tmp_path):
    app = create_app(base_config(f"sqlite:///{tmp_path}/x.db", ENABLED_PLUGINS="jira"))
    assert "jira" in names(app) and "mantis" not in names(app)


def test_a_missing_plugin_stops_start_up_naming_it(tmp_path):
    with pytest.raises(PluginLoadError, match="plugin 'zammad' is enabled but not installed"):
        create_app(base_config(f"sqlite:///{tmp_path}/x.db", ENABLED_PLUGINS=["zammad"]))


def test_a_plugin_that_fails_to_import_stops_start_up_naming_it(tmp_path):
    with pytest.raises(
        PluginLoadError, match="plugin module 'tests.support.does_not_exist' failed"
    ):
        create_app(
            base_config(
                f"sqlite:///{tmp_path}/x.db", PLUGIN_MODULES=["tests.support.does_not_exist"]
            )
        )


def test_a_plugin_with_a_misspelt_hook_stops_start_up(tmp_path, monkeypatch):
    from hub import hookimpl

    module = types.ModuleType("tests_misspelt_plugin")

    @hookimpl
    def hub_call_creatd(call):  # noqa: ANN001,ANN202 - the typo is the point
        return None

    module.hub_call_creatd = hub_call_creatd
    monkeypatch.setitem(sys.modules, "tests_misspelt_plugin", module)
    with pytest.raises(PluginLoadError, match="unknown hook"):
        create_app(
            base_config(f"sqlite:///{tmp_path}/x.db", PLUGIN_MODULES=["tests_misspelt_plugin"])
        )


def test_safe_mode_loads_no_external_plugin(tmp_path):
    app = create_app(
        base_config(
            f"sqlite:///{tmp_path}/x.db", SAFE_MODE=True, ENABLED_PLUGINS=["mantis", "zammad"]
        )
    )
    assert names(app) == {"generic_webhooks", "core_jobs", "mailer", "roster_jobs"}


def test_each_app_has_its_own_plugin_manager(tmp_path):
    one = create_app(base_config(f"sqlite:///{tmp_path}/1.db"))
    two = create_app(base_config(f"sqlite:///{tmp_path}/2.db", SAFE_MODE=True))
    assert get_pm(one) is not get_pm(two)
    assert "tests.support.recorder" in names(one) and "tests.support.recorder" not in names(two)
