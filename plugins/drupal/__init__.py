"""Site checks of the applications' sites: generic HTTP checks for every site, and for
Drupal sites whether core is supported and secure (drupal.org's feeds).

The core hands over the sites that are due (``hub_report_site_checks``); the plugin
checks them concurrently (:mod:`plugins.drupal.runner`), read-only, within a request and
time budget per site, and returns a report per site; the core stores them, opens
incidents and keeps certification. What the last run did is kept in the plugin's state
for health (no network there).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from hub import hookimpl, pluginstate
from hub.hooktypes import Health, Setting, Site, SiteReport
from plugins.drupal import runner, settings

__version__ = "1.0.0"
LAST_RUN = "last_run"


@hookimpl
def hub_register_settings() -> list[Setting]:
    return list(settings.SETTINGS)


@hookimpl
def hub_report_site_checks(sites: list[Site]) -> list[SiteReport] | None:
    """Every site, whatever its product line; Drupal's own checks where Drupal is found."""
    if not sites:
        return None
    feeds = settings.feed_cache()
    feed_requests = feeds.requests
    started = time.monotonic()
    reports = runner.check_sites(
        sites,
        workers=settings.integer("workers"),
        timeout=settings.number("timeout"),
        budget=settings.integer("budget"),
        seconds=settings.number("site_seconds"),
        feeds=feeds,
        user_agent=settings.text("user_agent"),
        verify=settings.text("ca_bundle") or True,
    )
    pluginstate.put(settings.NAME, LAST_RUN, _summary(reports, feeds, feed_requests, started))
    return reports


def _summary(reports: list[SiteReport], feeds: Any, feed_requests: int, started: float) -> dict:
    return {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "sites": len(reports),
        "errors": sum(any(r.verdict == "error" for r in rep.results) for rep in reports),
        "drupal": sum(bool(rep.drupal) for rep in reports),
        "requests": sum(rep.requests for rep in reports),
        "feed_requests": feeds.requests - feed_requests,
        "seconds": round(time.monotonic() - started, 2),
        "feeds": feeds.state(),
    }


@hookimpl
def hub_report_health() -> Health:
    """From what the last run recorded; no network."""
    last = pluginstate.get(settings.NAME, LAST_RUN)
    if not last:
        return Health(ok=True, version=__version__, detail="no site checked yet")
    failing = [f"{f['url']}: {f['error']}" for f in last["feeds"] if f.get("error")]
    detail = (
        f"last run {last['at']}: {last['sites']} sites ({last['drupal']} Drupal, "
        f"{last['errors']} with errors), {last['requests']} requests in {last['seconds']} s; "
        f"feeds fetched {last['feed_requests']} times"
    )
    if failing:
        detail += "; feed failing: " + "; ".join(failing)
    return Health(ok=not failing, version=__version__, detail=detail)
