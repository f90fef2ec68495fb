"""The admin page's blueprint. Issue 3 grows it into the full screens; today it is the
landing page that says what runs."""

from __future__ import annotations

from flask import Blueprint, render_template

from hub import __version__
from hub.plugininfo import health
from hub.pluginmanager import get_pm

bp = Blueprint("admin", __name__)


@bp.get("/")
def index():  # noqa: ANN201
    return render_template("index.html", version=__version__, plugins=health(get_pm()))
