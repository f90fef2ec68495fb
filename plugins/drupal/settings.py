"""The Drupal plugin's settings: declared once (shown on the admin page), read through
the hub's :func:`hub.pluginmanager.plugin_setting` (``HUB_DRUPAL_<NAME>``, then
``PLUGINS["drupal"]``); values from the environment arrive as text and are converted
here."""

from __future__ import annotations

import functools
from typing import Any

from hub.hooktypes import Setting
from hub.pluginmanager import plugin_setting
from plugins.drupal.feeds import PSA_URL, RELEASE_HISTORY_URL, USER_AGENT, FeedCache

NAME = "drupal"

SETTINGS = (
    # 32, not 16: a run takes at least 1/workers of the serial time, and the target is
    # 5% (benchmarks/sites.py). Each site still gets one request at a time.
    Setting("workers", 32, description="sites checked at the same time (threads)"),
    Setting("timeout", 10.0, description="seconds per request, to a site or to drupal.org"),
    Setting("budget", 40, description="most requests made to one site in one run"),
    Setting(
        "site_seconds",
        120.0,
        description="most seconds spent on one site in one run; no new request after that",
    ),
    Setting("user_agent", USER_AGENT, description="User-Agent of every request"),
    Setting(
        "ca_bundle",
        "",
        description="a CA bundle (PEM file) to trust beside the "
        "system's, for sites with a private certificate authority (an intranet)",
    ),  # fmt: skip
    Setting(
        "release_history_url",
        RELEASE_HISTORY_URL,
        description="drupal.org's release-history feed; {project} is the project's name",
    ),
    Setting("psa_url", PSA_URL, description="drupal.org's security advisories feed (psa.json)"),
    Setting(
        "feed_ttl_seconds",
        3600,
        description="seconds a fetched feed is used before it is revalidated (If-None-Match)",
    ),
)
_DEFAULTS = {s.name: s.default for s in SETTINGS}


def get(key: str) -> Any:
    return plugin_setting(NAME, key, _DEFAULTS[key])


def number(key: str) -> float:
    return float(get(key))


def integer(key: str) -> int:
    return int(float(get(key)))


def text(key: str) -> str:
    return str(get(key) or _DEFAULTS[key]).strip()


def feed_cache() -> FeedCache:
    """The feed cache of the current settings, kept for the life of the process so that
    every run within a feed's TTL reuses its copy."""
    return _feed_cache(
        text("release_history_url"),
        text("psa_url"),
        number("feed_ttl_seconds"),
        number("timeout"),
        text("user_agent"),
    )


@functools.lru_cache(maxsize=4)
def _feed_cache(history: str, psa: str, ttl: float, timeout: float, agent: str) -> FeedCache:
    return FeedCache(
        release_history_url=history, psa_url=psa, ttl=ttl, timeout=timeout, user_agent=agent
    )
