"""The request id: one value that follows a piece of work from the request that caused it
(a webhook, an API call, an admin form) to the worker that applies or delivers it, so the
logs of all three can be read together.

A request takes the caller's ``X-Request-Id`` when it is a sane token (a proxy's or a
sender's id), else a new one; the answer carries it back in the same header. Work stored
for later (an inbound event, an outbox delivery) keeps the id in a column and the worker
binds it again with :func:`bound` while it handles that row.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask import Flask, Response, g, request

HEADER = "X-Request-Id"
_SANE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_current: ContextVar[str | None] = ContextVar("slahub_request_id", default=None)


def current() -> str | None:
    """The id of the work being done now, or None outside any request or bound work."""
    return _current.get()


def new() -> str:
    """A fresh id (32 hex digits)."""
    return uuid.uuid4().hex


@contextmanager
def bound(value: str | None) -> Iterator[str]:
    """Do the work inside with ``value`` as the current id (a new one when None)."""
    value = value if value and _SANE.match(value) else new()
    token = _current.set(value)
    try:
        yield value
    finally:
        _current.reset(token)


def seconds_so_far() -> float | None:
    """How long the current request has been running (None outside a request's hooks);
    the request log line and the latency metric both read it."""
    started = g.get("request_started")
    return time.perf_counter() - started if started is not None else None


def init_app(app: Flask) -> None:
    """Give every request an id (and its start time) and echo the id in the answer."""

    @app.before_request
    def _assign() -> None:
        g.request_started = time.perf_counter()
        offered = request.headers.get(HEADER, "")
        value = offered if _SANE.match(offered) else new()
        g.request_id = value
        g._request_id_token = _current.set(value)

    @app.after_request
    def _echo(response: Response) -> Response:
        value = g.get("request_id")
        if value:
            response.headers[HEADER] = value
        return response

    @app.teardown_request
    def _unbind(_exc: BaseException | None) -> None:
        token = g.pop("_request_id_token", None)
        if token is not None:
            _current.reset(token)
