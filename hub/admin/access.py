"""Who may see an admin page: Flask-Login sessions and a role check per view."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import render_template
from flask_login import LoginManager, current_user

from hub.db import db
from hub.models import User

login_manager = LoginManager()
login_manager.login_view = "admin.login"
login_manager.login_message = "Log in to see that page."
login_manager.session_protection = "strong"

ROLE_NAMES = {
    "admin": "admin",
    "sla_manager": "SLA manager",
    "associate": "associate",
    "client_viewer": "client viewer",
}


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.active else None


def role_required(*roles: str) -> Callable:
    """Let in logged-in users with one of ``roles``; others get a 403 page naming them."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                needed = " or ".join(ROLE_NAMES[r] for r in roles)
                return render_template("admin/403.html", needed=needed), 403
            return view(*args, **kwargs)

        return wrapped

    return decorate
