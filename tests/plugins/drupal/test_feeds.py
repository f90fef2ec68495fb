"""plugins/drupal/feeds.py: parsing drupal.org's feeds, and the shared feed cache."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from plugins.drupal.feeds import (
    FeedCache,
    FeedError,
    parse_psa,
    parse_release_history,
)
from tests.plugins.drupal.fixtures.feedserver import FeedServer, fixture

HISTORY = "/release-history/drupal/current"


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as s:
        yield s


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def cache_for(server: FeedServer, **kw: object) -> FeedCache:
    return FeedCache(release_history_url=server.release_history_url, psa_url=server.psa_url, **kw)


def test_release_history_is_parsed_as_core_does() -> None:
    project = parse_release_history(fixture("drupal-current.xml"))
    assert (project.title, project.short_name, project.type) == (
        "Drupal core",
        "drupal",
        "project_core",
    )
    assert project.supported_branches == ("10.4.", "10.5.", "11.1.", "11.2.")
    assert project.published
    rel = project.release("11.2.3")
    assert (rel.major, rel.minor, rel.patch, rel.extra) == (11, 2, 3, None)
    assert rel.is_security_update and not rel.is_insecure and rel.security_covered
    assert rel.date == 1753900000 and rel.published
    assert project.release("11.2.2").is_insecure
    assert project.release("11.2.4").status == "unpublished"
    beta = project.release("11.3.0-beta1")
    assert beta.extra == "beta1" and beta.prerelease and not beta.security_covered
    dev = project.release("11.x-dev")
    assert (dev.major, dev.minor, dev.extra) == (11, None, "dev")
    d7 = project.release("7.103")
    assert (d7.major, d7.minor, d7.patch) == (7, None, 103)


def test_unknown_project_and_bad_xml_are_feed_errors() -> None:
    with pytest.raises(FeedError, match="No release history was found"):
        parse_release_history(fixture("unknown-project.xml"), "u")
    with pytest.raises(FeedError, match="not XML"):
        parse_release_history(b"<html", "u")
    with pytest.raises(FeedError, match="unexpected root"):
        parse_release_history(b"<html/>", "u")


def test_psa_feed_is_parsed() -> None:
    items = parse_psa(fixture("psa.json"))
    assert [a.project for a in items] == ["drupal", "drupal", "views_bulk_operations"]
    sa, psa, contrib = items
    assert not sa.is_psa and "11.2.1" in sa.insecure
    assert psa.is_psa and psa.insecure == () and psa.type == "core"
    assert contrib.type == "module" and contrib.pub_date.startswith("Wed, 06 Aug 2025")
    assert parse_psa(b"[]") == []
    with pytest.raises(FeedError, match="JSON array"):
        parse_psa(b'{"a": 1}')
    with pytest.raises(FeedError, match="not JSON"):
        parse_psa(b"<html>")


def test_cache_fetches_once_per_ttl_then_revalidates_with_304(server: FeedServer) -> None:
    clock = Clock()
    cache = cache_for(server, ttl=60, clock=clock, user_agent="hub-test/1")
    first = cache.release_history()
    assert cache.release_history() is first and cache.advisories().value
    assert server.requests[HISTORY] == 1
    assert server.headers[0]["User-Agent"] == "hub-test/1"
    clock.now += 61
    again = cache.release_history()
    assert server.requests[HISTORY] == 2 and server.not_modified[HISTORY] == 1
    assert again is first  # a 304 keeps the copy
    conditional = server.headers[-1]
    assert conditional["If-None-Match"].startswith('"')
    assert conditional["If-Modified-Since"] == "Wed, 30 Jul 2025 18:00:00 GMT"
    assert cache.requests == 3 and cache.not_modified == 1


def test_changed_feed_is_fetched_anew(server: FeedServer) -> None:
    clock = Clock()
    cache = cache_for(server, ttl=60, clock=clock)
    assert cache.release_history().value.supported_branches[0] == "10.4."
    server.routes[HISTORY] = fixture("drupal-7.xml")
    clock.now += 61
    assert cache.release_history().value.supported_branches == ("7.",)


def test_many_threads_share_one_fetch(server: FeedServer) -> None:
    cache = cache_for(server)
    barrier = threading.Barrier(20)
    seen = []

    def ask() -> None:
        barrier.wait()
        seen.append(cache.release_history())
        cache.advisories()

    threads = [threading.Thread(target=ask) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(feed) for feed in seen}) == 1
    assert server.requests[HISTORY] == 1 and server.requests["/psa.json"] == 1


def test_failure_serves_last_good_copy_and_says_so(server: FeedServer) -> None:
    clock = Clock()
    cache = cache_for(server, ttl=60, error_ttl=10, clock=clock)
    good = cache.release_history()
    server.status = 503
    clock.now += 61
    stale = cache.release_history()
    assert stale.stale and stale.value is good.value
    assert "HTTP 503" in stale.note and good.fetched_at in stale.note
    assert cache.release_history().stale and server.requests[HISTORY] == 2  # remembered
    assert cache.state()[0]["error"].endswith("HTTP 503")
    server.status = None
    clock.now += 11
    assert not cache.release_history().stale and cache.state()[0]["error"] is None


def test_no_copy_at_all_raises_with_the_reason(server: FeedServer) -> None:
    cache = cache_for(server)
    with pytest.raises(FeedError, match="No release history was found"):
        cache.release_history("nosuchproject")
    server.status = 500
    with pytest.raises(FeedError, match="HTTP 500"):
        cache.advisories()


def test_unreachable_feed_times_out_into_a_feed_error() -> None:
    with FeedServer() as s:
        url = s.url
    cache = FeedCache(release_history_url=url + "/{project}", psa_url=url, timeout=1)
    with pytest.raises(FeedError, match="ConnectionError"):
        cache.release_history()
