"""plugins/drupal/runner.py and the plugin's hooks: many local sites checked at once.

The pool's own behaviour (bound, order, crashes, overruns) is shown with a stand-in for
the per-site work; the rest runs the real fetcher and checks against local sites (a
Drupal 10 and 11, a plain site, one that never answers, one that resets) and a local
drupal.org feed server.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import date

import pytest
from flask import Flask

from hub.hooktypes import CheckResult, Site, SiteReport
from hub.pluginmanager import call_one, get_pm
from plugins.drupal.feeds import FeedCache
from plugins.drupal.runner import check_sites
from tests.plugins.drupal.fixtures.feedserver import FeedServer
from tests.plugins.drupal.fixtures.sites import SiteServer

HISTORY = "/release-history/drupal/current"
TODAY = date(2025, 8, 20)


def sites(n: int) -> list[Site]:
    return [Site(f"app{i}", f"http://127.0.0.1:9/{i}", "drupal") for i in range(n)]


def ok(site: Site) -> SiteReport:
    result = CheckResult("x", "x", "low", "pass")
    return SiteReport(site.key, site.url, "now", (result,))


# --- The pool, with a stand-in for each site's work -------------------------------------


def test_pool_is_bounded_and_reports_keep_the_sites_order() -> None:
    running, peak, lock = 0, 0, threading.Lock()

    def check(site: Site) -> SiteReport:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.05)
        with lock:
            running -= 1
        return ok(site)

    todo = sites(12)
    reports = check_sites(todo, workers=3, feeds=FeedCache(), user_agent="t", check_one=check)
    assert [r.key for r in reports] == [s.key for s in todo]
    assert peak == 3


def test_a_crashing_site_gets_an_error_report_and_the_others_go_on() -> None:
    def check(site: Site) -> SiteReport:
        if site.key == "app1":
            raise RuntimeError("parser exploded")
        return ok(site)

    reports = check_sites(sites(3), workers=2, feeds=FeedCache(), user_agent="t", check_one=check)
    assert [r.results[0].verdict for r in reports] == ["pass", "error", "pass"]
    error = reports[1].results[0]
    assert error.id == "site.checks"
    assert error.evidence["detail"] == "RuntimeError: parser exploded"


def test_a_site_over_its_time_is_reported_and_not_waited_for() -> None:
    release = threading.Event()

    def check(site: Site) -> SiteReport:
        if site.key == "app0":
            release.wait(10)
        return ok(site)

    started = time.monotonic()
    try:
        reports = check_sites(
            sites(4),
            workers=2,
            timeout=0.1,
            seconds=0.2,
            feeds=FeedCache(),
            user_agent="t",
            check_one=check,
        )
    finally:
        release.set()
    assert time.monotonic() - started < 3
    assert "over time" in reports[0].results[0].evidence["detail"]
    assert [r.results[0].verdict for r in reports[1:]] == ["pass"] * 3


def test_no_sites_no_work() -> None:
    assert check_sites([], feeds=FeedCache(), user_agent="t") == []


# --- The real checks over local sites -----------------------------------------------


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


@pytest.fixture
def local_sites() -> Iterator[dict[str, SiteServer]]:
    servers = {
        "d10": SiteServer("drupal", version="10.4.8"),
        "d11": SiteServer("drupal", version="11.2.3"),
        "plain": SiteServer("plain"),
        "hang": SiteServer("hang"),
        "reset": SiteServer("reset"),
        "slow": SiteServer("drupal", version="10.5.2", delay=0.3),
    }
    for server in servers.values():
        server.start()
    yield servers
    for server in servers.values():
        server.stop()


def site_list(servers: dict[str, SiteServer]) -> list[Site]:
    return [Site(key, s.url, "drupal") for key, s in servers.items()]


def cache(server: FeedServer, ttl: float = 3600) -> FeedCache:
    return FeedCache(
        release_history_url=server.release_history_url, psa_url=server.psa_url, ttl=ttl
    )


def by_id(report: SiteReport) -> dict[str, CheckResult]:
    return {r.id: r for r in report.results}


def test_real_checks_over_local_sites(feed_server: FeedServer, local_sites) -> None:  # noqa: ANN001
    feeds = cache(feed_server)
    started = time.monotonic()
    reports = check_sites(
        site_list(local_sites),
        workers=4,
        timeout=0.5,
        budget=40,
        seconds=2.0,
        feeds=feeds,
        user_agent="hub-test",
        today=TODAY,
    )
    elapsed = time.monotonic() - started
    got = {r.key: r for r in reports}
    assert list(got) == list(local_sites)
    # Drupal detected, its version read, and the security checks decided from the feed.
    d10, d11 = by_id(got["d10"]), by_id(got["d11"])
    assert got["d10"].drupal["major"] == 10 and got["d11"].drupal["major"] == 11
    assert d10["core.secure"].verdict == "fail"  # 10.4.8 is marked Insecure
    assert got["d11"].drupal["version"] == "11.2.3" and d11["core.secure"].verdict == "pass"
    assert d10["core.secure"].evidence["url"] == feed_server.release_history_url.format(
        project="drupal"
    )
    # Not Drupal: generic checks only. Broken sites: reported, the others unharmed.
    assert not got["plain"].drupal and not any(
        r.id.startswith("core.") for r in got["plain"].results
    )
    for key in ("hang", "reset"):
        assert got[key].results and not got[key].drupal
        assert not any(r.id.startswith("core.") for r in got[key].results)
    # Budgets: requests counted and bounded, the hanging site stopped by its time.
    assert all(0 < r.requests <= 40 for r in reports)
    assert got["hang"].seconds < 2.0 + 3 * 0.5 + 1.5
    slow = got["slow"]  # answers every request after 0.3 s: its 2 s are spent first
    assert slow.requests < 10 and slow.seconds < 2.0 + 0.5 + 0.5
    assert any("time budget of 2 s spent" in str(r.evidence) for r in slow.results)
    assert elapsed < 6
    # One fetch of each feed for all the sites.
    assert feed_server.requests[HISTORY] == 1 and feed_server.requests["/psa.json"] == 1


def test_feeds_fetched_once_for_many_sites_and_revalidated_with_304(
    feed_server: FeedServer,
) -> None:
    servers = [SiteServer("drupal", version="10.5.2").start() for _ in range(12)]
    try:
        todo = [Site(f"s{i}", s.url, "drupal") for i, s in enumerate(servers)]
        now = [0.0]
        feeds = FeedCache(
            release_history_url=feed_server.release_history_url,
            psa_url=feed_server.psa_url,
            ttl=60,
            clock=lambda: now[0],
        )
        kw = dict(workers=6, timeout=2.0, feeds=feeds, user_agent="t", today=TODAY)
        first = check_sites(todo, **kw)
        assert feed_server.requests[HISTORY] == 1 and feed_server.requests["/psa.json"] == 1
        now[0] += 61  # the TTL has passed: one conditional request per feed
        second = check_sites(todo, **kw)
    finally:
        for server in servers:
            server.stop()
    assert feed_server.requests[HISTORY] == 2 and feed_server.requests["/psa.json"] == 2
    assert feed_server.not_modified[HISTORY] == 1 and feed_server.not_modified["/psa.json"] == 1
    assert [by_id(r)["core.supported"].verdict for r in first + second] == ["pass"] * 24
    assert all(by_id(r)["core.secure"].verdict == "pass" for r in second)


# --- The plugin's hooks -------------------------------------------------------------


@pytest.fixture
def config_extra(feed_server: FeedServer) -> dict:
    return {
        "ENABLED_PLUGINS": ["drupal"],
        "PLUGINS": {
            "drupal": {
                "release_history_url": feed_server.release_history_url,
                "psa_url": feed_server.psa_url,
                "timeout": 1,
                "site_seconds": 3,
                "workers": 4,
            }
        },
    }


def test_hook_reports_every_site_and_health_tells_the_last_run(
    app: Flask, feed_server: FeedServer, local_sites
) -> None:  # noqa: ANN001
    pm = get_pm(app)
    with app.app_context():
        health = call_one(pm, "hub_report_health", "drupal")
        assert health.ok and "no site checked yet" in health.detail
        names = {s.name for s in call_one(pm, "hub_register_settings", "drupal")}
        assert {"workers", "timeout", "budget", "release_history_url", "psa_url"} <= names
        assert {"feed_ttl_seconds", "ca_bundle", "user_agent"} <= names
        todo = [Site("d10", local_sites["d10"].url, "drupal"),
                Site("plain", local_sites["plain"].url, "joomla")]  # fmt: skip
        reports = call_one(pm, "hub_report_site_checks", "drupal", sites=todo)
        assert [r.key for r in reports] == ["d10", "plain"]
        assert any(r.id == "core.secure" for r in reports[0].results)
        health = call_one(pm, "hub_report_health", "drupal")
    assert health.ok, health.detail
    assert "2 sites (1 Drupal" in health.detail and "feeds fetched 2 times" in health.detail
