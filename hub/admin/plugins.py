"""The plugins page: what is loaded, its health, and its settings (secrets masked)."""

from __future__ import annotations

from flask import current_app, render_template

from hub import plugininfo
from hub.admin import NavEntry, add_nav, bp
from hub.admin.access import role_required
from hub.pluginmanager import get_pm

add_nav(NavEntry("Plugins", "admin.plugin_list", roles=("admin", "sla_manager")))


@bp.get("/plugins")
@role_required("admin", "sla_manager")
def plugin_list():  # noqa: ANN201
    pm = get_pm()
    return render_template(
        "admin/plugins.html",
        plugins=plugininfo.health(pm),
        settings=plugininfo.settings(pm),
        enabled=current_app.config["ENABLED_PLUGINS"],
        safe_mode=current_app.config["SAFE_MODE"],
    )
