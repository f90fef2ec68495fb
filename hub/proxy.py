"""Trusting a reverse proxy's X-Forwarded-* headers, and only when told to.

Behind nginx the hub sees nginx's address and plain HTTP. werkzeug's ProxyFix takes the
client's address, scheme and host from the headers the proxy sets, so login rate
limiting counts per real client and external URLs say https. Trusting the headers
without a proxy in front would let any caller pick its own address, hence off by default.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

# ProxyFix's argument → the hub's setting.
SETTINGS = {
    "x_for": "PROXY_FIX_X_FOR",
    "x_proto": "PROXY_FIX_X_PROTO",
    "x_host": "PROXY_FIX_X_HOST",
}


def init_app(app: Flask) -> None:
    """Wrap the WSGI app in ProxyFix when any PROXY_FIX_* count is above 0."""
    counts = {arg: int(app.config[name]) for arg, name in SETTINGS.items()}
    if any(counts.values()):
        app.wsgi_app = ProxyFix(app.wsgi_app, **counts)
