"""The admin web pages: one blueprint, a base layout, a navigation others can add to.

Pages are server-rendered Jinja with the hub's own CSS (no CDN). Every form carries a
CSRF token (Flask-WTF's CSRFProtect covers every POST outside the API and webhooks,
which authenticate with tokens and signatures instead). Access: :mod:`hub.admin.access`.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass

from flask import Blueprint, Flask, render_template
from flask_login import current_user

from hub import __version__, dashboard, plugininfo
from hub.admin.access import login_manager, role_required
from hub.api import check_url
from hub.db import utcnow
from hub.outbox import trouble as outbox_trouble
from hub.pluginmanager import get_pm
from hub.vocab import LINE_TITLES, LINES, PRIORITIES, USER_ROLES

bp = Blueprint("admin", __name__)
#: Ids past the database's INTEGER and NUL characters get a 404/400 page, not a driver error.
bp.before_request(check_url)


@dataclass(frozen=True)
class NavEntry:
    """A link in the navigation: shown to the roles named (all logged-in users if empty)."""

    label: str
    endpoint: str
    roles: tuple[str, ...] = ()


#: The core's entries; later modules append theirs with :func:`add_nav`.
NAV: list[NavEntry] = [NavEntry("Dashboard", "admin.index")]


def add_nav(entry: NavEntry) -> None:
    """Add an entry to the navigation (once; a second add of the same entry is ignored)."""
    if entry not in NAV:
        NAV.append(entry)


def init_app(app: Flask) -> None:
    # Every module of this package registers its views on ``bp`` when imported: a new
    # screen is a new module here, nothing else to wire.
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    from hub.admin import login

    login_manager.init_app(app)
    login.init_app(app)
    app.register_blueprint(bp)
    app.add_template_filter(minutes)

    @app.context_processor
    def navigation() -> dict:
        from flask_login import current_user

        if not current_user.is_authenticated:
            return {"nav": []}
        role = current_user.role
        return {"nav": [e for e in NAV if not e.roles or role in e.roles]}


def minutes(value: int | float | None) -> str:
    """A duration in minutes as people say it: "45 min", "4 h", "2 d 1 h 30 min"."""
    if value is None:
        return "—"
    sign, value = ("−" if value < 0 else ""), abs(int(value))
    days, rest = divmod(value, 1440)
    hours, mins = divmod(rest, 60)
    parts = [f"{n} {unit}" for n, unit in ((days, "d"), (hours, "h"), (mins, "min")) if n]
    return sign + (" ".join(parts) or "0 min")


@bp.get("/")
@role_required(*USER_ROLES)
def index():  # noqa: ANN201
    """The dashboard: open calls by line and priority with their clocks, the duty, and
    (for staff) the outbox's trouble and the plugins' health."""
    now = utcnow()
    own = current_user.client_id if current_user.role == "client_viewer" else None
    rows = dashboard.open_calls(now, client_id=own)
    staff = current_user.role != "client_viewer"
    trouble, failing = outbox_trouble() if staff else ({}, [])
    return render_template(
        "admin/index.html",
        version=__version__,
        now=now,
        lines=LINES,
        line_titles=LINE_TITLES,
        priorities=PRIORITIES,
        grid=dashboard.grid(client_id=own),
        worst=dashboard.cell_states(rows),
        rows=rows,
        duty=dashboard.duty(now),
        staff=staff,
        trouble=trouble,
        failing=failing,
        plugins=plugininfo.overview(get_pm()) if staff else [],
    )
