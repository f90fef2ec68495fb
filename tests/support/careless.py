"""A test plugin that logs what a careless plugin would: its own token, the hub's
secrets, the headers and query of the requests it sees, a failure naming a URL with a
password. The hub's log redaction is what keeps those out of the logs; without it the
log test's search finds them (so that test can fail).

Loaded through PLUGIN_MODULES; its token is ``HUB_CARELESS_TOKEN``.
"""

from __future__ import annotations

import logging
import os

from flask import Blueprint, current_app, jsonify, request

from hub import hookimpl
from hub.config import webhook_secret
from hub.hooktypes import CallView, Delivery, RawRequest

log = logging.getLogger("plugins.careless")
bp = Blueprint("careless", __name__, url_prefix="/careless")


@bp.get("/echo")
def echo():  # noqa: ANN201 - logs the caller's headers (Authorization, Cookie) and query
    log.info("headers %s, query %s", dict(request.headers), request.query_string.decode())
    return jsonify(ok=True)


@hookimpl
def hub_register_routes() -> list[Blueprint]:
    return [bp]


class _Handler:
    def verify(self, raw: RawRequest) -> str:
        log.info("webhook headers %s", raw.headers)  # the signature among them
        return raw.headers.get("x-delivery-id", "careless")

    def interpret(self, raw: RawRequest) -> list:
        return []


@hookimpl
def hub_get_webhook_handler(source: str) -> _Handler | None:
    return _Handler() if source == "careless" else None


@hookimpl
def hub_call_created(call: CallView, delivery: Delivery) -> None:
    token = os.environ.get("HUB_CARELESS_TOKEN", "")
    cfg = current_app.config
    log.info("calling https://api.example/issues?token=%s (Authorization: %s)", token, token)
    log.info(
        "settings %s",
        {name: cfg[name] for name in ("SECRET_KEY", "SMTP_PASSWORD", "METRICS_TOKEN")}
        | {
            "database": cfg["SQLALCHEMY_DATABASE_URI"],
            "hook": webhook_secret(current_app, "monitoring"),
        },
    )
    if delivery.attempt == 1:
        raise RuntimeError(f"POST https://hub:{token}@api.example/issues failed for {token}")
