"""Configuration: defaults, then the instance file, then test overrides, then ``HUB_*``.

Each setting is documented here once; the README's configuration table is checked
against this module by a test.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

from flask import Flask

DEFAULTS: dict[str, Any] = {
    # Database URL; empty means SQLite in the instance folder (hub.sqlite3).
    "DATABASE_URL": "",
    # Secret key for sessions and CSRF; must be set in production.
    "SECRET_KEY": "dev-only-change-me",
    # Session cookie: HttpOnly, SameSite=Lax; set SESSION_COOKIE_SECURE behind HTTPS.
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,
    # Login attempts per client address (Flask-Limiter syntax) and where counts are kept
    # (memory:// is per process: use redis://... when several processes serve the hub).
    "LOGIN_RATE_LIMIT": "10 per minute",
    "RATELIMIT_STORAGE_URI": "memory://",
    # How passwords are hashed (werkzeug method string); tests use a cheap one.
    "PASSWORD_HASH_METHOD": "scrypt",
    # Largest request body the hub accepts, in bytes.
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    # External plugins to load from the ``slahub`` entry-point group.
    "ENABLED_PLUGINS": ["mantis", "jira", "mediawiki", "drupal"],
    # Extra plugin modules by dotted path (site-local plugins, test plugins).
    "PLUGIN_MODULES": [],
    # Load no external plugin at all (the core's built-in ones still run).
    "SAFE_MODE": False,
    # Per-plugin settings: {"mantis": {"url": ...}}; secrets come from HUB_<PLUGIN>_<KEY>.
    "PLUGINS": {},
    # Secret per generic webhook source: {"monitoring": "..."}; or HUB_WEBHOOK_SECRET_<SOURCE>.
    "WEBHOOK_SECRETS": {},
    # Outbox: attempts before a delivery is dead, backoff base and cap in seconds.
    "OUTBOX_MAX_ATTEMPTS": 8,
    "OUTBOX_BACKOFF_BASE": 2.0,
    "OUTBOX_BACKOFF_CAP": 3600.0,
    # How long a worker owns a claimed delivery or job before another may take it.
    "OUTBOX_LEASE_SECONDS": 300,
    # How many deliveries a worker claims at once, and how long it sleeps when idle.
    "WORKER_BATCH": 20,
    "WORKER_IDLE_SECONDS": 0.5,
    "WORKER_NAP_SECONDS": 0.05,
    # The SLA sweep (warnings, breaches, escalation levels): seconds between rounds; it
    # also runs at the next alert's due time when that comes sooner.
    "SLA_SWEEP_SECONDS": 60,
    "SITE_CHECK_SECONDS": 60,
    # E-mail for SLA alerts and escalations; empty SMTP_HOST: no e-mail is sent.
    "SMTP_HOST": "",
    "SMTP_PORT": 25,
    "SMTP_STARTTLS": False,
    "SMTP_USERNAME": "",
    "SMTP_PASSWORD": "",
    "SMTP_FROM": "slahub@localhost",
    "SMTP_TIMEOUT": 10.0,
    # Languages of the admin page, e-mail and wiki pages (hub/translations), and the one
    # used when neither the reader (user, client) nor the browser names one of them.
    "LANGUAGES": ["en", "nl"],
    "DEFAULT_LANGUAGE": "en",
    # Production server (slahub serve, gunicorn): address, worker processes, and seconds
    # a request may take before its worker is restarted.
    "SERVE_BIND": "127.0.0.1:8000",
    "SERVE_WORKERS": 2,
    "SERVE_TIMEOUT": 30,
    # Behind a reverse proxy: how many proxies' X-Forwarded-For/-Proto/-Host to trust
    # (werkzeug ProxyFix); 0 ignores the header. Set 1 behind one nginx.
    "PROXY_FIX_X_FOR": 0,
    "PROXY_FIX_X_PROTO": 0,
    "PROXY_FIX_X_HOST": 0,
    # /readyz: the newest worker heartbeat may be this old (workers beat every 10 s, but
    # not while one runs a long job); at most this many outbox deliveries or inbound
    # events due and waiting; at most this many dead deliveries (these wait for a person,
    # not for this process: a few must not take every web process out of a balancer).
    "READY_HEARTBEAT_SECONDS": 120,
    "READY_MAX_BACKLOG": 1000,
    "READY_MAX_DEAD": 100,
    # /metrics: a bearer token (set it through HUB_METRICS_TOKEN; empty: none asked) and
    # the client networks allowed (CIDRs; empty: any). Both apply when both are set.
    "METRICS_TOKEN": "",
    "METRICS_ALLOW": ["127.0.0.1/32", "::1/128"],
    # Logs: "json" (one object per line, for a log collector) or "text" (a terminal;
    # make run uses it), and the lowest level written (DEBUG, INFO, WARNING, ERROR).
    "LOG_FORMAT": "json",
    "LOG_LEVEL": "INFO",
    # API paging.
    "API_PAGE_SIZE": 50,
    "API_MAX_PAGE_SIZE": 500,
}


def load(app: Flask, test_config: dict | None) -> None:
    """Fill ``app.config``: defaults → instance ``config.py`` → test overrides → ``HUB_*``."""
    app.config.from_mapping(DEFAULTS)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.from_mapping(test_config)
    # HUB_DATABASE_URL, HUB_SAFE_MODE=true, HUB_ENABLED_PLUGINS='["jira"]' ... (values
    # are parsed as JSON when they can be, else kept as strings).
    app.config.from_prefixed_env("HUB")
    if not app.config["DATABASE_URL"]:
        # A folder that cannot be made is reported in one line by hub.preflight (serve,
        # worker); the development server fails on its first query instead.
        with contextlib.suppress(OSError):
            os.makedirs(app.instance_path, exist_ok=True)
        path = os.path.join(app.instance_path, "hub.sqlite3")
        app.config["DATABASE_URL"] = f"sqlite:///{path}"
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_db_url(app.config["DATABASE_URL"])


def normalise_db_url(url: str) -> str:
    """Use psycopg 3 for ``postgresql://`` URLs (SQLAlchemy's default is psycopg2)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def webhook_secret(app: Flask, source: str) -> str | None:
    """The shared secret of a generic webhook source, from the environment or config."""
    env = os.environ.get(f"HUB_WEBHOOK_SECRET_{source.upper().replace('-', '_')}")
    return env or app.config["WEBHOOK_SECRETS"].get(source)
