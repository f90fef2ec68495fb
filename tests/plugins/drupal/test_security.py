"""plugins/drupal/security.py: core's verdicts from the fixture feeds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from plugins.drupal.feeds import Feed, FeedError, parse_psa, parse_release_history
from plugins.drupal.security import (
    UNKNOWN,
    advisory_applies,
    parse_version,
    security_checks,
    sort_key,
)
from tests.plugins.drupal.fixtures.feedserver import fixture

TODAY = date(2025, 8, 20)
URL = "https://updates.drupal.org/release-history/drupal/current"
PSA = "https://updates.drupal.org/psa.json"


@dataclass
class Info:
    major: int | None
    version: str | None


class Feeds:
    """Serves parsed fixtures as the cache would; ``error`` makes a feed fail."""

    def __init__(self, history="drupal-current.xml", psa="psa.json", stale=False, error=None):
        self.history, self.psa, self.stale, self.error = history, psa, stale, error or {}

    def release_history(self, project="drupal"):
        if "history" in self.error:
            raise FeedError(self.error["history"])
        value = parse_release_history(fixture(self.history))
        return Feed(URL, value, "2025-08-20T00:00:00+00:00", self.stale, "note" * self.stale)

    def advisories(self):
        if "psa" in self.error:
            raise FeedError(self.error["psa"])
        return Feed(PSA, parse_psa(fixture(self.psa)), "2025-08-20T00:00:00+00:00")


def run(major, version, feeds=None, today=TODAY):
    results = security_checks(Info(major, version), feeds or Feeds(), today)
    return {r.id: r for r in results}


def verdicts(major, version, **kw):
    return {k: r.verdict for k, r in run(major, version, **kw).items()}


def test_not_drupal_gets_no_security_checks() -> None:
    assert security_checks(Info(None, None), Feeds(), TODAY) == []


def test_drupal_without_a_visible_major_cannot_be_judged() -> None:
    info = Info(None, None)
    info.detected = True
    results = security_checks(info, Feeds(), TODAY)
    assert len(results) == 5 and {r.verdict for r in results} == {"warn"}


def test_newest_release_of_a_supported_branch_passes() -> None:
    results = run(11, "11.2.3")
    assert {k: r.verdict for k, r in results.items()} == {
        "core.supported": "pass",
        "core.secure": "pass",  # the unpublished 11.2.4 does not count
        "core.coverage": "pass",
        "core.outdated": "pass",  # 11.3.0-beta1 is a pre-release
        "core.psa": "warn",  # the core PSA applies to every core site
    }
    assert {r.severity for r in results.values()} >= {"critical", "high", "medium", "low"}
    assert results["core.supported"].evidence["url"] == URL
    assert results["core.supported"].evidence["branch"] == "11.2."
    assert results["core.psa"].evidence["advisories"] == ["https://www.drupal.org/psa-2025-08-18"]


def test_release_tagged_insecure_is_a_critical_fail_naming_the_releases() -> None:
    secure = run(11, "11.2.2")["core.secure"]
    assert (secure.verdict, secure.severity) == ("fail", "critical")
    assert "11.2.2 is marked Insecure" in secure.evidence["detail"]
    assert "11.2.3" in secure.evidence["detail"]


def test_newer_security_release_in_the_branch_makes_an_untagged_release_insecure() -> None:
    secure = run(11, "11.2.1")["core.secure"]
    assert secure.verdict == "fail" and secure.evidence["releases"] == ["11.2.3"]
    # 10.4.9 is newest in 10.4.: the 10.5 security releases are another branch
    assert verdicts(10, "10.4.9")["core.secure"] == "pass"
    assert verdicts(10, "10.4.9")["core.outdated"] == "warn"  # 10.5.2 exists


def test_listed_in_an_advisory_fails_the_psa_check() -> None:
    psa = run(10, "10.5.0")["core.psa"]
    assert psa.verdict == "fail" and "SA-CORE-2025-005" in psa.evidence["detail"]
    assert verdicts(10, "10.5.2", feeds=Feeds(psa="psa-sa-only.json"))["core.psa"] == "pass"
    assert verdicts(10, "10.5.2", feeds=Feeds(psa="psa-empty.json"))["core.psa"] == "pass"


def test_unsupported_branch_fails_supported() -> None:
    v = run(10, "10.3.14")
    assert v["core.supported"].verdict == "fail" and v["core.supported"].severity == "high"
    assert "10.3." in v["core.supported"].evidence["detail"]
    assert v["core.secure"].verdict == "pass"
    assert "no security releases" in v["core.secure"].evidence["detail"]
    assert verdicts(9, "9.5.11")["core.supported"] == "fail"


def test_pre_releases_and_dev_builds_are_not_covered() -> None:
    v = verdicts(11, "11.2.0-rc1")
    assert v["core.coverage"] == "fail" and v["core.supported"] == "pass"
    assert v["core.secure"] == "fail"  # 11.2.3 is a newer security release of 11.2.
    dev = run(11, "11.2.x-dev")
    assert dev["core.coverage"].verdict == "fail"
    assert (
        dev["core.secure"].verdict == "warn"
        and "dev build" in dev["core.secure"].evidence["detail"]
    )
    assert dev["core.psa"].verdict == "fail"  # a dev build matches 11.2.* advisories


def test_version_missing_from_the_feed_cannot_be_judged() -> None:
    v = run(11, "11.2.99")
    assert v["core.secure"].verdict == "warn" and v["core.coverage"].verdict == "warn"


@pytest.mark.parametrize("major", [10, 11])
def test_minor_unknown_is_never_guessed(major: int) -> None:
    v = run(major, None)
    assert v["core.supported"].verdict == "warn"
    for check in ("core.secure", "core.coverage", "core.outdated"):
        assert (v[check].verdict, v[check].evidence["detail"]) == ("warn", UNKNOWN)
    assert v["core.psa"].verdict == "warn" and UNKNOWN in v["core.psa"].evidence["detail"]


def test_minor_unknown_of_an_unsupported_major_still_fails_supported() -> None:
    assert verdicts(9, None)["core.supported"] == "fail"
    assert verdicts(9, None, feeds=Feeds(psa="psa-empty.json"))["core.psa"] == "pass"


def test_drupal_7_is_end_of_life_after_2025_01_05() -> None:
    before = verdicts(7, "7.103", feeds=Feeds("drupal-7.xml"), today=date(2024, 12, 20))
    assert before == {
        "core.supported": "pass",
        "core.secure": "pass",
        "core.coverage": "pass",
        "core.outdated": "pass",
        "core.psa": "warn",
    }
    after = run(7, "7.103", feeds=Feeds("drupal-7.xml"), today=date(2025, 1, 5))
    assert after["core.supported"].verdict == "fail"
    assert "2025-01-05" in after["core.supported"].evidence["detail"]
    assert verdicts(7, "7.101", feeds=Feeds("drupal-7.xml"))["core.secure"] == "fail"
    assert verdicts(7, None, feeds=Feeds("drupal-7.xml"))["core.supported"] == "fail"
    # the current feed no longer lists 7.
    assert verdicts(7, "7.103", today=date(2024, 12, 20))["core.supported"] == "fail"


def test_unfetchable_feeds_give_error_verdicts_with_the_reason() -> None:
    feeds = Feeds(error={"history": "https://x/feed: HTTP 503", "psa": "https://x/psa: HTTP 500"})
    v = run(10, "10.5.2", feeds=feeds)
    assert {r.verdict for r in v.values()} == {"error"}
    assert v["core.secure"].evidence["detail"] == "https://x/feed: HTTP 503"
    assert v["core.psa"].evidence["detail"] == "https://x/psa: HTTP 500"
    d7 = run(7, "7.103", feeds=feeds)  # needs no feed to know
    assert d7["core.supported"].verdict == "fail"


def test_a_stale_copy_is_used_and_said() -> None:
    v = run(11, "11.2.3", feeds=Feeds(stale=True))
    assert v["core.secure"].verdict == "pass" and v["core.secure"].evidence["stale"]


def test_versions_parse_and_order() -> None:
    assert parse_version("10.4.5") == (10, 4, 5, None)
    assert parse_version("11.2.x-dev") == (11, 2, None, "dev")
    assert parse_version("11.x-dev") == (11, None, None, "dev")
    assert parse_version("7.103") == (7, None, 103, None)
    assert parse_version("not a version") is None
    ordered = ["11.2.0-alpha1", "11.2.0-beta2", "11.2.0-rc1", "11.2.0", "11.2.1", "11.10.0"]
    assert sorted(reversed(ordered), key=sort_key) == ordered
    assert sort_key("7.99") < sort_key("7.103")


def test_advisory_applicability_is_cores() -> None:
    sa, psa, contrib = parse_psa(fixture("psa.json"))
    assert advisory_applies(psa, "10.5.2")
    assert advisory_applies(sa, "11.2.1") and not advisory_applies(sa, "11.2.3")
    assert advisory_applies(sa, "11.x-dev") and advisory_applies(sa, "10.4.x-dev")
    assert not advisory_applies(sa, "10.3.x-dev")
