"""run_http_checks, the site-wide checks: stable ids, reachable, TLS, HTTPS redirect and
HSTS, headers, detection, Drupal 7's end of life, debug settings, and the budget."""

from __future__ import annotations

from contextlib import ExitStack

import pytest

from hub.hooktypes import CheckResult
from plugins.drupal.checks import CHECK_IDS, run_http_checks
from plugins.drupal.fetch import SiteFetcher
from tests.support import fake_drupal_sites as sites
from tests.support.fake_drupal import FakeSite, Page, serve
from tests.support.fake_drupal_tls import Pair, certificates

TIMEOUT = 0.5
GENERIC = CHECK_IDS[:7]
SEVERITIES = {"critical", "high", "medium", "low", "info"}


def check(
    site: FakeSite, tls: Pair | None = None, *, http: FakeSite | None = None, **kwargs
) -> tuple[dict[str, CheckResult], SiteFetcher]:
    """Run every check on ``site``; ``http`` is served as its plain-HTTP address."""
    with ExitStack() as stack:
        server = stack.enter_context(serve(site, tls))
        if http is not None:
            if http.behaviour == "redirect" and not http.redirect_to:
                http.redirect_to = server.url
            kwargs["http_url"] = stack.enter_context(serve(http)).url
        fetcher = SiteFetcher(server.url, timeout=TIMEOUT, verify=str(certificates().ca), **kwargs)
        results, _ = run_http_checks(fetcher)
    return {r.id: r for r in results}, fetcher


def verdicts(results: dict[str, CheckResult]) -> dict[str, str]:
    return {key: r.verdict for key, r in results.items()}


def redirector() -> FakeSite:
    return FakeSite(behaviour="redirect")


def test_ids_are_stable_and_every_result_is_well_formed():
    results, fetcher = check(sites.careless(), certificates().valid, http=redirector())
    assert tuple(results) == CHECK_IDS
    for result in results.values():
        assert result.severity in SEVERITIES and result.title
        assert result.verdict in {"pass", "warn", "fail", "error"}
        assert {"url", "detail"} <= set(result.evidence) and len(result.evidence["detail"]) <= 200
    assert fetcher.requests <= 32


def test_hardened_site_passes_everything():
    results, fetcher = check(sites.hardened(), certificates().valid, http=redirector())
    assert {k for k, v in verdicts(results).items() if v != "pass"} == set()
    assert results["drupal.detected"].evidence["detail"].startswith("Drupal 10, minor unknown")
    assert fetcher.requests <= 32


def test_careless_site_fails_every_drupal_check():
    results, _ = check(sites.careless())
    expected_fail = set(CHECK_IDS[8:]) - {"users.registration"}
    assert {k for k, v in verdicts(results).items() if v == "fail"} >= expected_fail
    assert results["users.registration"].verdict == "warn"


def test_non_drupal_site_gets_only_the_generic_checks():
    results, fetcher = check(sites.plain(), certificates().valid, http=redirector())
    assert tuple(results) == GENERIC
    assert results["drupal.detected"].severity == "info"
    assert results["drupal.detected"].evidence["detail"].startswith("not Drupal")
    assert fetcher.requests == 3  # front page, certificate, http://


def test_rebuild_php_is_never_requested():
    for site in (sites.careless(), sites.drupal7(clean_urls=False), sites.hardened()):
        check(site)
        assert not any("rebuild" in path for path in site.requests)


# reachable


def test_reachable_pass_with_time():
    results, _ = check(sites.drupal10())
    result = results["reachable"]
    assert (result.verdict, result.severity, result.evidence["status"]) == ("pass", "critical", 200)
    assert result.evidence["detail"].startswith("200 in ")


def test_reachable_slow_warns():
    site = sites.plain()
    site.delay = 0.3  # more than half the timeout
    results, _ = check(site)
    assert (
        results["reachable"].verdict == "warn" and "slow" in results["reachable"].evidence["detail"]
    )


@pytest.mark.parametrize(
    ("behaviour", "delay", "reason"),
    [
        ("http", 1.0, "timeout"),
        ("reset", 0, "connection"),
        ("garbage", 0, "not an HTTP answer"),
        ("loop", 0, "redirect loop"),
    ],
)
def test_reachable_fails_without_an_answer(behaviour, delay, reason):
    site = sites.drupal10()
    site.behaviour, site.delay = behaviour, delay
    results, _ = check(site)
    assert results["reachable"].verdict == "fail"
    assert reason in results["reachable"].evidence["detail"]
    assert results["drupal.detected"].verdict == "error"
    assert tuple(results) == GENERIC


def test_reachable_fails_on_server_errors():
    results, _ = check(sites.broken(503))
    assert results["reachable"].verdict == "fail" and results["reachable"].evidence["status"] == 503
    assert results["https.hsts"].verdict == "error"


# TLS and HTTPS


def test_tls_valid_and_far_expiry_pass():
    results, _ = check(sites.plain(), certificates().valid)
    assert verdicts(results)["tls.valid"] == "pass"
    assert (
        results["tls.expiry"].verdict == "pass" and results["tls.expiry"].evidence["days_left"] > 80
    )


@pytest.mark.parametrize(("pair", "verdict"), [("soon", "warn"), ("very_soon", "fail")])
def test_tls_expiry_soon(pair, verdict):
    results, _ = check(sites.plain(), getattr(certificates(), pair))
    assert results["tls.valid"].verdict == "pass"
    assert results["tls.expiry"].verdict == verdict and results["tls.expiry"].severity == "high"


def test_tls_expired_certificate():
    results, _ = check(sites.plain(), certificates().expired)
    assert results["tls.valid"].verdict == "fail"
    assert "certificate has expired" in results["tls.valid"].evidence["detail"]
    assert results["tls.expiry"].verdict == "fail"
    assert results["tls.expiry"].evidence["detail"].startswith("expired on 2020-02-01")
    assert results["reachable"].verdict == "fail"  # nobody's browser would show it


def test_tls_self_signed_certificate():
    results, _ = check(sites.plain(), certificates().self_signed)
    assert results["tls.valid"].verdict == "fail"
    assert "self-signed" in results["tls.valid"].evidence["detail"]
    assert results["tls.expiry"].verdict == "pass"  # in date, only untrusted


def test_plain_http_site_has_no_tls():
    results, _ = check(sites.plain())
    assert results["tls.valid"].verdict == "fail" and results["tls.expiry"].verdict == "error"
    assert results["https.redirect"].verdict == "fail"
    assert results["https.hsts"].verdict == "fail"


def test_https_redirect_pass():
    results, _ = check(sites.plain(), certificates().valid, http=redirector())
    assert results["https.redirect"].verdict == "pass"
    assert results["https.redirect"].evidence["detail"].startswith("Location: https://127.0.0.1")


def test_https_redirect_fails_when_http_serves_the_site():
    results, _ = check(sites.plain(), certificates().valid, http=sites.plain())
    assert results["https.redirect"].verdict == "fail"
    assert results["https.redirect"].evidence["status"] == 200


def test_http_address_redirecting_to_https_is_checked_at_https():
    with serve(sites.hardened(), certificates().valid) as https_server:
        http = FakeSite(behaviour="redirect", redirect_to=https_server.url)
        with serve(http) as http_server:
            fetcher = SiteFetcher(http_server.url, timeout=TIMEOUT, verify=str(certificates().ca))
            results, info = run_http_checks(fetcher)
    found = {r.id: r for r in results}
    assert found["https.redirect"].verdict == "pass"
    assert found["tls.valid"].verdict == "pass" and found["https.hsts"].verdict == "pass"
    assert fetcher.base_url == https_server.url and info.major == 10
    assert found["update_php.locked"].evidence["url"].startswith("https://")


def test_hsts_short_max_age_warns():
    site = sites.hardened()
    site.headers["Strict-Transport-Security"] = "max-age=300"
    results, _ = check(site, certificates().valid)
    assert results["https.hsts"].verdict == "warn"
    assert results["https.hsts"].evidence["detail"] == "Strict-Transport-Security: max-age=300"


def test_hsts_missing_fails():
    results, _ = check(sites.drupal10(), certificates().valid)
    assert results["https.hsts"].verdict == "fail"


# headers, detection, D7, debug


def test_hardening_headers_warn_when_missing():
    site = sites.hardened()
    del site.headers["Permissions-Policy"]
    results, _ = check(site)
    result = results["headers.hardening"]
    assert (result.verdict, result.severity) == ("warn", "low")
    assert result.evidence["detail"] == "missing: Permissions-Policy"


def test_core_headers():
    results, _ = check(sites.drupal10())
    assert results["headers.core"].verdict == "pass"
    site = sites.drupal10()
    site.headers["X-Frame-Options"] = "DENY"
    del site.headers["X-Content-Type-Options"]
    results, _ = check(site)
    assert results["headers.core"].verdict == "fail"
    assert results["headers.core"].evidence["detail"] == "X-Content-Type-Options: missing"


def test_detected_and_d7_end_of_life():
    results, _ = check(sites.drupal7())
    assert results["drupal.detected"].evidence["version"] == "7.103"
    assert results["drupal.d7_eol"].verdict == "fail"
    assert results["drupal.d7_eol"].severity == "critical"
    results, _ = check(sites.drupal10())
    assert results["drupal.detected"].evidence["major"] == 10
    assert results["drupal.d7_eol"].verdict == "pass"


def test_debug_cacheability_headers():
    site = sites.drupal10()
    site.headers["X-Drupal-Cache-Max-Age"] = "-1 (Permanent)"
    results, _ = check(site)
    assert results["debug.cacheability"].verdict == "fail"
    assert (
        results["debug.cacheability"].evidence["detail"] == "X-Drupal-Cache-Max-Age: -1 (Permanent)"
    )
    assert check(sites.drupal10())[0]["debug.cacheability"].verdict == "pass"


def test_twig_debug():
    site = sites.drupal10()
    site.pages["/"] = Page(
        200, site.pages["/"].body.replace("<body>", "<body><!-- THEME DEBUG -->")
    )
    assert check(site)[0]["debug.twig"].verdict == "fail"
    assert check(sites.drupal10())[0]["debug.twig"].verdict == "pass"


def test_budget_spent_turns_late_checks_into_errors():
    site = sites.careless()
    results, fetcher = check(site, budget=8)
    assert fetcher.requests == 8 and len(site.requests) == 8
    assert results["users.enumeration"].verdict == "error"
    assert "budget" in results["users.enumeration"].evidence["detail"]
    assert results["update_php.locked"].verdict == "fail"  # the gravest ran first
