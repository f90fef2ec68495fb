"""The application factory."""

from __future__ import annotations

import os
from html import escape

from flask import Flask, current_app, jsonify, make_response, render_template, request
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

from hub import NAME, config, i18n, logs, pluginmanager, requestid
from hub.db import db, migrate
from hub.errors import HubError
from hub.revisions import MIGRATIONS


def create_app(test_config: dict | None = None) -> Flask:
    """Build the hub: config, database, plugins, blueprints and error pages.

    :param test_config: settings that replace the instance ``config.py`` (tests).
    """
    instance = os.environ.get("HUB_INSTANCE_PATH") or os.path.join(os.getcwd(), "instance")
    app = Flask("hub", instance_path=os.path.abspath(instance), instance_relative_config=True)
    config.load(app, test_config)
    requestid.init_app(app)
    i18n.init_app(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS, render_as_batch=True)
    app.extensions[NAME] = pluginmanager.build(app)
    logs.setup(app)  # after the plugins: their secret settings are redacted too

    from hub import admin, api, health, metrics, proxy, webhooks

    app.register_blueprint(api.bp)
    app.register_blueprint(webhooks.bp)
    admin.init_app(app)
    for blueprints in app.extensions[NAME].hook.hub_register_routes():
        for blueprint in blueprints or ():
            app.register_blueprint(blueprint)
    _error_pages(app)
    app.register_blueprint(health.bp)  # /readyz
    metrics.init_app(app)  # /metrics and the request counters
    proxy.init_app(app)  # X-Forwarded-* from a trusted reverse proxy (PROXY_FIX_*)

    @app.get("/healthz")
    def healthz():  # noqa: ANN202 - the process answers: nothing else is checked
        return jsonify(status="ok")

    return app


def _wants_json() -> bool:
    return (
        request.path.startswith(("/api/", "/webhooks/"))
        or request.accept_mimetypes.best == "application/json"
    )


BARE_PAGE = (
    '<!doctype html><html lang="en"><meta charset="utf-8"><title>Try again shortly · SLA Hub'
    "</title><h1>Try again shortly</h1><p>{message}</p></html>"
)


def _answer(status: int, message: str, title: str | None = None):  # noqa: ANN202
    """The error as JSON for the API and webhooks, as a page of the hub for a browser."""
    message = logs.redact(current_app, message)  # e.g. a database URL with its password
    if _wants_json():
        response = jsonify(error=message, field=None)
    elif status == 503:
        # Rendering a template loads the logged-in user from the database that just failed.
        response = make_response(BARE_PAGE.format(message=escape(message)))
    else:
        page = render_template("admin/error.html", status=status, title=title, message=message)
        response = make_response(page)
    response.status_code = status
    return response


def _error_pages(app: Flask) -> None:
    @app.errorhandler(HubError)
    def hub_error(exc: HubError):  # noqa: ANN202
        db.session.rollback()
        if not _wants_json():
            field = f"{exc.field}: " if exc.field else ""
            return _answer(exc.status, f"{field}{exc.message}")
        answer = {k: logs.redact(current_app, v) if isinstance(v, str) else v
                  for k, v in exc.to_json().items()}  # fmt: skip
        return jsonify(answer), exc.status

    @app.errorhandler(IntegrityError)
    def integrity_error(exc: IntegrityError):  # noqa: ANN202
        # Two requests raced for the same unique key; the loser's change is rolled back whole.
        db.session.rollback()
        app.logger.info("refused a conflicting write: %s", exc.orig)
        return _answer(409, "conflicts with a concurrent change; nothing was saved")

    @app.errorhandler(OperationalError)
    def database_unavailable(exc: OperationalError):  # noqa: ANN202
        # The database is down, unreachable or (SQLite) locked past the lock timeout: the
        # request's change is rolled back whole; the client may try again.
        db.session.rollback()
        app.logger.warning("database unavailable: %s", exc.orig)
        response = _answer(503, "the database is unavailable; nothing was saved")
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):  # noqa: ANN202
        db.session.rollback()
        if exc.code is None or exc.code < 400:  # a redirect raised as an exception
            return exc
        message = exc.description or exc.name
        if exc.code == 413:
            message = f"request body is larger than {app.config['MAX_CONTENT_LENGTH']} bytes"
        response = _answer(exc.code, message, title=exc.name)
        if exc.code == 405 and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response
