"""The admin web pages: one blueprint, a base layout, a navigation others can add to.

Pages are server-rendered Jinja with the hub's own CSS (no CDN). Every form carries a
CSRF token (Flask-WTF's CSRFProtect covers every POST outside the API and webhooks,
which authenticate with tokens and signatures instead). Access: :mod:`hub.admin.access`.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Flask, render_template

from hub import __version__
from hub.admin.access import login_manager, role_required
from hub.plugininfo import health
from hub.pluginmanager import get_pm
from hub.vocab import USER_ROLES

bp = Blueprint("admin", __name__)


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
    from hub.admin import calls, login, outbox, plugins  # noqa: F401 - views register on bp

    login_manager.init_app(app)
    login.init_app(app)
    app.register_blueprint(bp)

    @app.context_processor
    def navigation() -> dict:
        from flask_login import current_user

        if not current_user.is_authenticated:
            return {"nav": []}
        role = current_user.role
        return {"nav": [e for e in NAV if not e.roles or role in e.roles]}


@bp.get("/")
@role_required(*USER_ROLES)
def index():  # noqa: ANN201
    return render_template("admin/index.html", version=__version__, plugins=health(get_pm()))
