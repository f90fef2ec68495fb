"""Logging in and out: a CSRF-protected form, rate-limited per client address."""

from __future__ import annotations

from flask import Flask, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import login_required, login_user, logout_user
from flask_wtf import CSRFProtect, FlaskForm
from sqlalchemy import select
from werkzeug.security import check_password_hash
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from hub.admin import bp
from hub.db import db
from hub.models import User

csrf = CSRFProtect()
limiter = Limiter(get_remote_address, default_limits=[])


class LoginForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=100)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    limiter.init_app(app)
    from hub import api, webhooks

    csrf.exempt(api.bp)  # bearer tokens, not cookies
    csrf.exempt(webhooks.bp)  # signatures, not cookies


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():  # noqa: ANN201
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.username == form.username.data))
        if user and user.active and check_password_hash(user.password_hash, form.password.data):
            login_user(user)
            target = request.args.get("next", "")
            # Only a path on this site: never an open redirect.
            if not target.startswith("/") or target.startswith("//"):
                target = url_for("admin.index")
            return redirect(target)
        form.password.errors.append(_("Unknown user name or wrong password."))
    return render_template("admin/login.html", form=form), 200 if not form.errors else 401


@bp.post("/logout")
@login_required
def logout():  # noqa: ANN201
    logout_user()
    flash(_("You are logged out."))
    return redirect(url_for("admin.login"))
