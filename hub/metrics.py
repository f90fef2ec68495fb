"""``GET /metrics``: the hub in Prometheus' text format, through prometheus-client.

Two kinds of metrics:

- counted by this process as requests pass: HTTP requests by route (the URL rule, so no
  ids end up in labels) and status, their latency, and webhook requests by source and
  outcome. Under gunicorn with several worker processes each counts its own; with
  ``PROMETHEUS_MULTIPROC_DIR`` set in the server's environment (before it starts: the
  library decides at import), prometheus-client keeps them in files in that folder and a
  scrape adds up every process's (its multiprocess mode);
- read from the database at each scrape (:mod:`hub.dbmetrics`): what all processes and
  workers share.

The endpoint is for a monitoring system, not the public: it answers only clients in
``METRICS_ALLOW`` (403) and, when ``METRICS_TOKEN`` is set, only with that bearer token
(401).
"""

from __future__ import annotations

import hmac
import ipaddress
import os

from flask import Blueprint, Flask, Response, current_app, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)

from hub import requestid
from hub.dbmetrics import DatabaseCollector

bp = Blueprint("metrics", __name__)
# No ``*_created`` series beside each counter: they double the output and nothing here
# reads them (Prometheus detects counter resets itself).
disable_created_metrics()

HTTP_REQUESTS = Counter(
    "hub_http_requests",
    "HTTP requests answered, by route (URL rule), method and status.",
    ["route", "method", "status"],
)
HTTP_SECONDS = Histogram(
    "hub_http_request_duration_seconds",
    "Seconds from a request's arrival to its answer, by route (URL rule) and method.",
    ["route", "method"],
)
WEBHOOKS = Counter(
    "hub_webhook_requests",
    "Webhook requests by source and outcome (accepted, duplicate, refused_auth, "
    "refused_payload, refused_size, refused_other, unknown_source, error).",
    ["source", "outcome"],
)

_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
#: The webhook endpoint's answers by status: what became of the request.
_WEBHOOK_OUTCOMES = {
    202: "accepted",
    200: "duplicate",
    401: "refused_auth",
    403: "refused_auth",
    400: "refused_payload",
    422: "refused_payload",
    413: "refused_size",
    404: "unknown_source",
}


def networks(value: object) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """``METRICS_ALLOW`` as networks; a list, or a comma list from the environment."""
    items = value.split(",") if isinstance(value, str) else list(value or ())
    out = []
    for item in (str(i).strip() for i in items):
        if not item:
            continue
        try:
            out.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"METRICS_ALLOW: {item!r} is not a network (CIDR)") from None
    return out


def init_app(app: Flask) -> None:
    """Count every request and serve ``/metrics``. A bad ``METRICS_ALLOW`` stops start-up."""
    app.extensions["hub.metrics.allow"] = networks(app.config["METRICS_ALLOW"])
    app.after_request(_count)
    app.register_blueprint(bp)


def _count(response: Response) -> Response:
    rule = request.url_rule
    route = rule.rule if rule is not None else "(unmatched)"
    method = request.method if request.method in _METHODS else "OTHER"
    HTTP_REQUESTS.labels(route, method, str(response.status_code)).inc()
    seconds = requestid.seconds_so_far()
    if seconds is not None:
        HTTP_SECONDS.labels(route, method).observe(seconds)
    if request.endpoint == "webhooks.receive":
        _count_webhook(response.status_code)
    return response


def _count_webhook(status: int) -> None:
    outcome = _WEBHOOK_OUTCOMES.get(status)
    if outcome is None:
        outcome = "error" if status >= 500 else "refused_other"
    # An unknown source is a name anyone can make up: not a label value.
    source = "(unknown)" if outcome == "unknown_source" else request.view_args["source"]
    WEBHOOKS.labels(source, outcome).inc()


def _refusal(status: int, message: str) -> Response:
    response = Response(message + "\n", status=status, mimetype="text/plain")
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
    return response


def refused() -> Response | None:
    """Why this request may not read the metrics, or None when it may."""
    allow = current_app.extensions["hub.metrics.allow"]
    if allow:
        try:
            address = ipaddress.ip_address(request.remote_addr or "")
        except ValueError:
            address = None
        if address is None or not any(address in net for net in allow):
            return _refusal(403, f"{request.remote_addr} is not in METRICS_ALLOW")
    token = str(current_app.config.get("METRICS_TOKEN") or "")
    if token:
        given = request.headers.get("Authorization", "")
        if not given.startswith("Bearer "):
            return _refusal(401, "a bearer token is required (Authorization: Bearer …)")
        if not hmac.compare_digest(given[len("Bearer ") :].encode(), token.encode()):
            return _refusal(401, "the bearer token is wrong")
    return None


class _Scrape:
    """The process metrics and the database's, as one thing to collect."""

    def __init__(self, *sources: object) -> None:
        self.sources = sources

    def collect(self):  # noqa: ANN201 - prometheus-client's collector protocol
        for source in self.sources:
            yield from source.collect()  # type: ignore[attr-defined]


def process_metrics() -> object:
    """This process's registry, or every server process's in multiprocess mode."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


@bp.get("/metrics")
def metrics():  # noqa: ANN201 - a Flask view
    refusal = refused()
    if refusal is not None:
        return refusal
    body = generate_latest(_Scrape(process_metrics(), DatabaseCollector()))  # type: ignore[arg-type]
    return Response(body, content_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})
