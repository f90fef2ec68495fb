"""The application factory."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask, jsonify, request
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

from hub import NAME, config, pluginmanager
from hub.db import db, migrate
from hub.errors import HubError

MIGRATIONS = str(Path(__file__).parent / "migrations")


def create_app(test_config: dict | None = None) -> Flask:
    """Build the hub: config, database, plugins, blueprints and error pages.

    :param test_config: settings that replace the instance ``config.py`` (tests).
    """
    instance = os.environ.get("HUB_INSTANCE_PATH") or os.path.join(os.getcwd(), "instance")
    app = Flask("hub", instance_path=os.path.abspath(instance), instance_relative_config=True)
    config.load(app, test_config)
    if not app.debug:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s"
        )
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS, render_as_batch=True)
    app.extensions[NAME] = pluginmanager.build(app)

    from hub import admin, api, webhooks

    app.register_blueprint(api.bp)
    app.register_blueprint(webhooks.bp)
    admin.init_app(app)
    for blueprints in app.extensions[NAME].hook.hub_register_routes():
        for blueprint in blueprints or ():
            app.register_blueprint(blueprint)
    _error_pages(app)

    @app.get("/healthz")
    def healthz():  # noqa: ANN202 - the process answers: nothing else is checked
        return jsonify(status="ok")

    return app


def _wants_json() -> bool:
    return (
        request.path.startswith(("/api/", "/webhooks/"))
        or request.accept_mimetypes.best == "application/json"
    )


def _error_pages(app: Flask) -> None:
    @app.errorhandler(HubError)
    def hub_error(exc: HubError):  # noqa: ANN202
        db.session.rollback()
        return jsonify(exc.to_json()), exc.status

    @app.errorhandler(IntegrityError)
    def integrity_error(exc: IntegrityError):  # noqa: ANN202
        # Two requests raced for the same unique key; the loser's change is rolled back whole.
        db.session.rollback()
        app.logger.info("refused a conflicting write: %s", exc.orig)
        message = "conflicts with a concurrent change; nothing was saved"
        return jsonify(error=message, field=None), 409

    @app.errorhandler(OperationalError)
    def database_unavailable(exc: OperationalError):  # noqa: ANN202
        # The database is down, unreachable or (SQLite) locked past the lock timeout: the
        # request's change is rolled back whole; the client may try again.
        db.session.rollback()
        app.logger.warning("database unavailable: %s", exc.orig)
        response = jsonify(error="the database is unavailable; nothing was saved", field=None)
        response.status_code = 503
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):  # noqa: ANN202
        db.session.rollback()
        if not _wants_json():
            return exc
        message = exc.description or exc.name
        if exc.code == 413:
            message = f"request body is larger than {app.config['MAX_CONTENT_LENGTH']} bytes"
        response = jsonify(error=message, field=None)
        response.status_code = exc.code or 500
        if exc.code == 405 and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response
