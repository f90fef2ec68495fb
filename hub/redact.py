"""Keeping secrets out of logs and error pages.

Two nets, because either alone leaks: the *configured* secrets (the secret key, webhook
secrets, plugin tokens and passwords, the SMTP password, the database password, ...)
are replaced wherever they appear; and *patterns* catch what the hub cannot know in
advance — a caller's bearer token, an API token or password sent in a form or a URL, a
webhook signature, a password inside a URL. Both replace with ``[redacted]``.

:class:`RedactFilter` applies them to every log record that reaches the hub's handlers
(message, arguments, exception and stack text, extra fields); error pages call
:func:`redact` on the message they show.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

from flask import Flask
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

REDACTED = "[redacted]"
#: Shorter values are not taken as secrets: replacing "on" or "1" everywhere would make
#: the logs unreadable, and a secret that short protects nothing anyway.
MIN_SECRET_LENGTH = 6
#: Setting and variable names whose values are secrets (SECRET_KEY, SMTP_PASSWORD,
#: METRICS_TOKEN, HUB_MANTIS_TOKEN, HUB_MEDIAWIKI_BOT_PASSWORD, HUB_WEBHOOK_SECRET_X, ...).
SECRET_NAME = re.compile(r"SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL|API_?KEY", re.IGNORECASE)
#: ... except these, which only name a method.
NOT_SECRET = frozenset({"PASSWORD_HASH_METHOD", "HUB_PASSWORD_HASH_METHOD"})

_VALUE = r"(?!\[redacted\])[^\s\"'&,;}\]]+"
#: (pattern, replacement) for secrets the hub cannot know in advance.
PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Header lines and dict reprs: "Authorization: Bearer x", 'x-hub-signature-256': 'sha256=…'
    (
        re.compile(
            r"(?i)((?:proxy-)?authorization|(?:set-)?cookie|x-[\w-]*(?:signature|token|secret"
            r"|api-key|auth)[\w-]*)([\"']?\s*[:=]\s*[\"']?)[^\"'\r\n]+"
        ),
        rf"\1\2{REDACTED}",
    ),
    # Credentials on their own: "Bearer x", "Basic x", "sha256=<hex>".
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), rf"\1 {REDACTED}"),
    (re.compile(r"(?i)\b(sha1|sha256|sha512)=[0-9a-f]{16,}"), rf"\1={REDACTED}"),
    # password=… in a query string or form body, "password": "…" in JSON or a repr.
    (
        re.compile(r"(?i)\b([\w-]*(?:password|passwd|secret|token|api_?key|csrf)[\w-]*=)" + _VALUE),
        rf"\1{REDACTED}",
    ),
    (
        re.compile(
            r"(?i)([\"'][\w-]*(?:password|passwd|secret|token|api_?key)[\w-]*[\"']\s*:\s*)"
            r"[\"'][^\"']*[\"']"
        ),
        rf"\1'{REDACTED}'",
    ),
)
#: The password in scheme://user:password@host (also applied to error pages).
URL_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s:/@]*:)[^\s@/]+@")


class Redactor:
    """Replaces known secret values and secret-looking patterns in text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        values = {s for s in secrets if isinstance(s, str) and len(s) >= MIN_SECRET_LENGTH}
        # Longest first, so that a secret containing another is replaced whole.
        ordered = sorted(values, key=len, reverse=True)
        self._known = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def __call__(self, text: str) -> str:
        text = self.configured(text)
        for pattern, replacement in PATTERNS:
            text = pattern.sub(replacement, text)
        return text

    def configured(self, text: str) -> str:
        """Only the configured secrets and passwords in URLs: for messages the hub wrote
        itself, shown to the caller (an error page), where a pattern would mangle honest
        words such as "Authorization: Bearer <token>" in a 401."""
        if self._known is not None:
            text = self._known.sub(REDACTED, text)
        return URL_PASSWORD.sub(rf"\1{REDACTED}@", text)

    def value(self, value: Any) -> Any:
        """Redact a string, or the strings inside a dict, list or tuple; others as they are."""
        if isinstance(value, str):
            return self(value)
        if isinstance(value, Mapping):
            return {k: self.value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self.value(v) for v in value)
        return value


#: The attributes every LogRecord has; anything else came in through ``extra=``.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class RedactFilter(logging.Filter):
    """A handler filter: every record leaves with its secrets replaced.

    The message is formatted here (``msg % args``) so that a secret passed as an
    argument is caught too; the exception and stack are formatted to text here for the
    same reason, and the record keeps only that text.
    """

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        redact = self.redactor
        if isinstance(record.msg, Mapping):
            record.msg = redact.value(record.msg)
        else:
            record.msg, record.args = redact(record.getMessage()), None
        if record.exc_info:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text, record.exc_info = redact(text), None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for name, value in list(vars(record).items()):
            if name not in _STANDARD:
                setattr(record, name, redact.value(value))
        return True


def secrets_of(app: Flask, environ: Mapping[str, str] | None = None) -> set[str]:
    """Every secret value the hub is configured with.

    Settings and ``HUB_*`` variables whose names say secret, token or password (all
    values of a dict setting such as ``WEBHOOK_SECRETS``), the same inside ``PLUGINS``,
    the plugin settings registered as secret, and the database password.
    """
    environ = os.environ if environ is None else environ
    found: set[str] = set()
    for name, value in app.config.items():
        if SECRET_NAME.search(name) and name not in NOT_SECRET:
            found.update(_strings(value))
    for name, value in environ.items():
        if name.startswith("HUB_") and SECRET_NAME.search(name) and name not in NOT_SECRET:
            found.add(value)
    for settings in (app.config.get("PLUGINS") or {}).values():
        if isinstance(settings, Mapping):
            for key, value in settings.items():
                if SECRET_NAME.search(key):
                    found.update(_strings(value))
    found.update(_plugin_secrets(app))
    for name in ("DATABASE_URL", "SQLALCHEMY_DATABASE_URI"):
        found.update(_url_password(app.config.get(name)))
    return {s for s in found if len(s) >= MIN_SECRET_LENGTH}


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list | tuple | set):
        return [s for v in value for s in _strings(v)]
    return []


def _url_password(url: Any) -> list[str]:
    if not isinstance(url, str) or not url:
        return []
    try:
        password = make_url(url).password
    except (ArgumentError, ValueError):
        return []
    return [str(password)] if password else []


def _plugin_secrets(app: Flask) -> list[str]:
    """Values of the plugin settings registered with ``secret=True``."""
    from hub import NAME
    from hub.pluginmanager import call_one, implementers, plugin_setting

    pm = app.extensions.get(NAME)
    if pm is None:
        return []
    found: list[str] = []
    with app.app_context():
        for plugin in implementers(pm, "hub_register_settings"):
            for setting in call_one(pm, "hub_register_settings", plugin) or ():
                if setting.secret:
                    found.extend(_strings(plugin_setting(plugin, setting.name, setting.default)))
    return found
