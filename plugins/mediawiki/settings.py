"""The wiki plugin's settings: declared once (shown on the admin page), read through the
hub's :func:`hub.pluginmanager.plugin_setting` (``HUB_MEDIAWIKI_<NAME>``, then
``PLUGINS["mediawiki"]``)."""

from __future__ import annotations

import functools
from typing import Any

from hub.hooktypes import Setting
from hub.pluginmanager import plugin_setting
from plugins.mediawiki.client import WikiClient

NAME = "mediawiki"

SETTINGS = (
    Setting(
        "url",
        "",
        description="the wiki's script folder, where api.php is (e.g. https://wiki.example.org/w/)",
    ),  # fmt: skip
    Setting("user", "", description="the bot's login name, User@botname (Special:BotPasswords)"),
    Setting(
        "bot_password", "", secret=True, description="the bot password; HUB_MEDIAWIKI_BOT_PASSWORD"
    ),
    Setting("namespace", "Service", description="title prefix of the hub's pages (Service:…)"),
    Setting("category", "SLA Hub", description="the category every generated page is in"),
    Setting("timeout", 10.0, description="seconds per wiki request"),
)
_DEFAULTS = {s.name: s.default for s in SETTINGS}


def get(key: str) -> Any:
    return plugin_setting(NAME, key, _DEFAULTS[key])


def text(key: str) -> str:
    return str(get(key) or "").strip()


def configured() -> bool:
    return all(text(key) for key in ("url", "user", "bot_password"))


def client() -> WikiClient:
    """The wiki client of the current settings, kept between deliveries (one login, not
    one per page: a sync reads hundreds of pages)."""
    return _client(text("url"), text("user"), text("bot_password"), float(get("timeout")))


@functools.lru_cache(maxsize=4)
def _client(url: str, user: str, password: str, timeout: float) -> WikiClient:
    return WikiClient(url, user=user, bot_password=password, timeout=timeout)
