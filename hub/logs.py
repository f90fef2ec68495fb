"""The hub's logs: one JSON object per line (or readable text), each with its request id,
secrets redacted, and one line per request.

``LOG_FORMAT = "json"`` (the default, for production: a log collector reads the fields)
writes ``{"time", "level", "logger", "message", "request_id", ...}`` with any ``extra=``
fields beside them; ``"text"`` is for a developer's terminal (``make run``). Both the web
processes and ``slahub worker`` set up logging here, through :func:`hub.create_app`.

JSON through python-json-logger: it already handles extra fields, exceptions and values
``json`` cannot encode; the hub only adds the time in UTC, the field names and order.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Any

from flask import Flask, request
from flask.logging import default_handler
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

from hub import requestid
from hub.redact import RedactFilter, Redactor, secrets_of

FORMATS = ("json", "text")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
#: Loggers of the servers the hub runs in; their handlers get the same filters.
SERVER_LOGGERS = ("gunicorn.error", "gunicorn.access")

access = logging.getLogger("hub.access")


class RequestIdFilter(logging.Filter):
    """Stamp each record with the request id of the work it belongs to (or None)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = requestid.current()
        return True


class JsonFormatter(_JsonFormatter):
    """``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message``, ``request_id``, then
    the record's extra fields (and ``exc_info`` for an exception)."""

    def __init__(self) -> None:
        super().__init__(
            "{levelname}{name}{message}{request_id}",
            style="{",
            rename_fields={"levelname": "level", "name": "logger"},
        )

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        log_data["time"] = datetime.fromtimestamp(record.created, UTC).isoformat(
            timespec="milliseconds"
        )
        super().add_fields(log_data, record, message_dict)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the moment (test runners swap it)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self):  # noqa: ANN201 - the current sys.stderr
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


class _DropWerkzeugAccess(logging.Filter):
    """The development server's own request lines repeat ours, with the raw query string."""

    def filter(self, record: logging.LogRecord) -> bool:
        return " - - [" not in str(record.msg)


def formatter(kind: str) -> logging.Formatter:
    """The formatter for ``LOG_FORMAT``; an unknown one stops start-up naming it."""
    if kind == "json":
        return JsonFormatter()
    if kind == "text":
        return logging.Formatter(TEXT_FORMAT)
    raise ValueError(f"LOG_FORMAT must be one of {', '.join(FORMATS)}, not {kind!r}")


def setup(app: Flask) -> None:
    """Send the process's logs through one handler on the root logger, in ``LOG_FORMAT`` at
    ``LOG_LEVEL``, with request ids and secrets redacted; log one line per request.

    Idempotent: a second app in the same process (tests) replaces the handler's
    formatter and secrets rather than adding a handler.
    """
    kind = str(app.config["LOG_FORMAT"]).lower()
    level = str(app.config["LOG_LEVEL"]).upper()
    if not isinstance(logging.getLevelName(level), int):
        raise ValueError(f"LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not {level!r}")
    redactor = Redactor(secrets_of(app))
    app.extensions["slahub.redact"] = redactor
    root = logging.getLogger()
    handler = next((h for h in root.handlers if isinstance(h, _StderrHandler)), None)
    if handler is None:
        handler = _StderrHandler()
        root.addHandler(handler)
    _equip(handler, formatter(kind), redactor)
    root.setLevel(level)
    logging.captureWarnings(True)  # a library's warning is a log line too, not raw stderr
    # Flask gives the app's logger ("hub", parent of every hub.* logger) its own stderr
    # handler when it finds none: everything would be written twice.
    logging.getLogger(app.name).removeHandler(default_handler)
    werkzeug = logging.getLogger("werkzeug")
    if not any(isinstance(f, _DropWerkzeugAccess) for f in werkzeug.filters):
        werkzeug.addFilter(_DropWerkzeugAccess())
    for name in SERVER_LOGGERS:
        for server_handler in logging.getLogger(name).handlers:
            _equip(server_handler, formatter(kind), redactor)
    _log_requests(app)


def _equip(handler: logging.Handler, fmt: logging.Formatter, redactor: Redactor) -> None:
    for old in [f for f in handler.filters if isinstance(f, RequestIdFilter | RedactFilter)]:
        handler.removeFilter(old)
    handler.addFilter(RequestIdFilter())
    handler.addFilter(RedactFilter(redactor))
    handler.setFormatter(fmt)


def redact(app: Flask, text: str) -> str:
    """``text`` (a message the hub wrote, for an error page) with the app's configured
    secrets and any password inside a URL replaced."""
    redactor = app.extensions.get("slahub.redact") or Redactor()
    return redactor.configured(text)


def _log_requests(app: Flask) -> None:
    """One INFO line per request: method, route, status, milliseconds (and the request id).

    The route is the URL rule (``/webhooks/<source>``), not the path with its query
    string: nothing the caller sent is logged raw — no headers, no body, no query.
    """

    @app.after_request
    def _line(response):  # noqa: ANN001, ANN202 - a Flask after_request hook
        seconds = requestid.seconds_so_far()
        ms = round(seconds * 1000, 1) if seconds is not None else None
        route = request.url_rule.rule if request.url_rule is not None else "(no route)"
        access.info(
            "%s %s %s %s ms",
            request.method,
            route,
            response.status_code,
            ms,
            extra={
                "method": request.method,
                "route": route,
                "status": response.status_code,
                "duration_ms": ms,
            },
        )
        return response
