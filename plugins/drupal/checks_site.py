"""Checks of the site as a whole, mostly from the front page already fetched: reachable,
TLS, HTTPS redirect and HSTS, what Drupal it is, Drupal 7's end of life, core's and
the extra hardening headers, and development settings left on (INTEGRATIONS.md §4.5
#1, #5–#10)."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from hub.hooktypes import CheckResult
from plugins.drupal.checks_common import result
from plugins.drupal.detect import DrupalInfo
from plugins.drupal.fetch import Fetched, SiteFetcher

EXPIRY_WARN_DAYS = 21
EXPIRY_FAIL_DAYS = 7
HSTS_MIN_AGE = 15552000  # six months, what HSTS preload lists and scanners ask for
HARDENING = ("Content-Security-Policy", "Referrer-Policy", "Permissions-Policy")
CACHE_DEBUG = ("X-Drupal-Cache-Tags", "X-Drupal-Cache-Contexts", "X-Drupal-Cache-Max-Age")
TWIG_DEBUG = ("<!-- THEME DEBUG -->", "<!-- FILE NAME SUGGESTIONS:")


def reachable(home: Fetched, fetcher: SiteFetcher) -> CheckResult:
    """The front page answers, without a server error, in under half the timeout."""
    title, check = "Site answers", "reachable"
    if not home.ok:
        return result(check, title, "critical", "fail", home)
    timing = f"{home.status} in {home.elapsed:.2f} s"
    if home.status is not None and home.status >= 400:
        verdict = "warn" if home.status == 401 else "fail"
        return result(check, title, "critical", verdict, home, f"{timing}: HTTP {home.status}")
    if home.elapsed > fetcher.timeout / 2:
        return result(check, title, "critical", "warn", home, f"slow: {timing}")
    return result(check, title, "critical", "pass", home, timing, seconds=round(home.elapsed, 3))


def tls(fetcher: SiteFetcher, now: datetime | None = None) -> list[CheckResult]:
    """``tls.valid`` (trusted, in date, right host) and ``tls.expiry`` (days left)."""
    status = fetcher.certificate()
    url = fetcher.base_url
    valid_title, expiry_title = "TLS certificate valid", "TLS certificate not expiring"
    if not fetcher.https:
        return [
            result("tls.valid", valid_title, "critical", "fail", None, status.error or "", url=url),
            result("tls.expiry", expiry_title, "high", "error", None, "no HTTPS", url=url),
        ]
    if not status.checked:
        detail = status.error or ""
        return [
            result("tls.valid", valid_title, "critical", "error", None, detail, url=url),
            result("tls.expiry", expiry_title, "high", "error", None, detail, url=url),
        ]
    valid = result(
        "tls.valid",
        valid_title,
        "critical",
        "pass" if status.valid else "fail",
        None,
        status.error or "certificate trusted and valid for the host",
        url=url,
    )
    if status.not_after is None:
        unread = f"expiry not readable ({status.error})"
        return [valid, result("tls.expiry", expiry_title, "high", "error", None, unread, url=url)]
    days = ((status.not_after - (now or datetime.now(UTC))).total_seconds()) / 86400
    verdict = "fail" if days < EXPIRY_FAIL_DAYS else "warn" if days < EXPIRY_WARN_DAYS else "pass"
    when = status.not_after.strftime("%Y-%m-%d %H:%M UTC")
    detail = f"expired on {when}" if days < 0 else f"expires {when} ({int(days)} days left)"
    expiry = result(
        "tls.expiry", expiry_title, "high", verdict, None, detail, url=url, days_left=int(days)
    )
    return [valid, expiry]


def https_redirect(home: Fetched, fetcher: SiteFetcher, started_http: bool) -> CheckResult:
    """Plain HTTP sends visitors to HTTPS. ``started_http``: the site was configured with
    an http:// address, and ``home`` is where following it ended."""
    title, check = "HTTP redirects to HTTPS", "https.redirect"
    if started_http:
        if home.ok and home.final_url.startswith("https://"):
            return result(check, title, "high", "pass", home, f"redirected to {home.final_url}")
        return result(check, title, "high", "fail", home, "served over plain HTTP")
    answer = fetcher.get(fetcher.http_url + "/")
    if answer.error == "connection refused":
        return result(check, title, "high", "pass", answer, "plain HTTP not served")
    if not answer.ok:
        return result(check, title, "high", "error", answer)
    location = answer.header("Location")
    if answer.status in (301, 302, 303, 307, 308) and location.startswith("https://"):
        same_host = urlsplit(location).hostname == urlsplit(fetcher.base_url).hostname
        verdict = "pass" if same_host else "warn"
        return result(check, title, "high", verdict, answer, f"Location: {location}")
    detail = f"Location: {location}" if location else f"HTTP {answer.status} over plain HTTP"
    return result(check, title, "high", "fail", answer, detail)


def hsts(home: Fetched, fetcher: SiteFetcher) -> CheckResult:
    """``Strict-Transport-Security`` with a max-age of at least six months."""
    title, check = "HSTS header", "https.hsts"
    if not fetcher.https:
        return result(check, title, "medium", "fail", home, "no HTTPS, so no HSTS")
    value = home.header("Strict-Transport-Security")
    if not value:
        return result(check, title, "medium", "fail", home, "Strict-Transport-Security missing")
    age = 0
    for part in value.split(";"):
        name, _, number = part.strip().partition("=")
        if name.lower() == "max-age" and number.strip().strip('"').isdigit():
            age = int(number.strip().strip('"'))
    verdict = "pass" if age >= HSTS_MIN_AGE else "warn"
    return result(check, title, "medium", verdict, home, f"Strict-Transport-Security: {value}")


def detected(home: Fetched, info: DrupalInfo) -> CheckResult:
    """What the site says about Drupal (information, not judgement)."""
    title, check = "Drupal detected", "drupal.detected"
    if not home.ok or (home.status or 0) >= 500:
        return result(check, title, "info", "error", home, info.evidence)
    return result(
        check,
        title,
        "info",
        "pass",
        home,
        f"{info.label}: {info.evidence}",
        major=info.major,
        version=info.version,
    )


def d7_end_of_life(home: Fetched, info: DrupalInfo) -> CheckResult:
    """Drupal 7 has had no security support since 2025-01-05: any D7 site fails."""
    title, check = "Not Drupal 7 (end of life)", "drupal.d7_eol"
    if info.major == 7:
        detail = f"{info.label}: end of life since 2025-01-05, no more security fixes"
        return result(check, title, "critical", "fail", home, detail)
    return result(check, title, "critical", "pass", home, info.label)


def core_headers(home: Fetched) -> CheckResult:
    """Core sends ``X-Content-Type-Options: nosniff`` and ``X-Frame-Options:
    SAMEORIGIN`` on every page; missing means a proxy or the server stripped them."""
    title, check = "Core security headers intact", "headers.core"
    nosniff = home.header("X-Content-Type-Options")
    frames = home.header("X-Frame-Options")
    problems = []
    if nosniff.strip().lower() != "nosniff":
        problems.append(f"X-Content-Type-Options: {nosniff or 'missing'}")
    if frames.strip().upper() not in ("SAMEORIGIN", "DENY"):
        problems.append(f"X-Frame-Options: {frames or 'missing'}")
    if problems:
        return result(check, title, "medium", "fail", home, "; ".join(problems))
    detail = f"X-Content-Type-Options: {nosniff}; X-Frame-Options: {frames}"
    return result(check, title, "medium", "pass", home, detail)


def hardening_headers(home: Fetched) -> CheckResult:
    """CSP, Referrer-Policy and Permissions-Policy: not sent by core (seckit or the web
    server adds them), so missing ones only warn."""
    title, check = "Hardening headers", "headers.hardening"
    missing = [name for name in HARDENING if not home.header(name)]
    if missing:
        return result(check, title, "low", "warn", home, "missing: " + ", ".join(missing))
    present = "; ".join(f"{name}: {home.header(name)}" for name in HARDENING)
    return result(check, title, "low", "pass", home, present)


def cacheability_debug(home: Fetched) -> CheckResult:
    """``X-Drupal-Cache-Tags``/``-Contexts``/``-Max-Age`` mean
    ``http.response.debug_cacheability_headers`` is on: a development setting."""
    title, check = "Cacheability debug headers off", "debug.cacheability"
    found = [f"{name}: {home.header(name)}" for name in CACHE_DEBUG if home.header(name)]
    if found:
        return result(check, title, "medium", "fail", home, found[0], found=found)
    return result(check, title, "medium", "pass", home, "no X-Drupal-Cache-* debug headers")


def twig_debug(home: Fetched) -> CheckResult:
    """Twig debug comments in the page: a development setting that leaks template paths."""
    title, check = "Twig debug off", "debug.twig"
    for marker in TWIG_DEBUG:
        if marker in home.body:
            return result(check, title, "medium", "fail", home, marker)
    return result(check, title, "medium", "pass", home, "no THEME DEBUG comments")
