"""Every read-only HTTP check of one site, in a fixed order with stable ids.

Every site gets the generic checks (``reachable``, ``tls.valid``, ``tls.expiry``,
``https.redirect``, ``https.hsts``, ``headers.hardening``) and ``drupal.detected``;
a Drupal site then gets Drupal's own (``drupal.d7_eol``, ``headers.core``,
``debug.*``, ``update_php.locked``, ``installer.locked``, ``files.*``,
``listing.directories``, ``admin.closed``, ``users.*``). About 30 requests for a
Drupal site, 3 for another; ``rebuild.php`` is never asked for (the fetcher refuses).
Checks whose requests could not be made (budget spent, timeouts) say ``error``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from hub.hooktypes import CheckResult
from plugins.drupal import checks_access as access
from plugins.drupal import checks_files as files
from plugins.drupal import checks_site as site
from plugins.drupal.checks_common import result
from plugins.drupal.detect import DrupalInfo, detect
from plugins.drupal.fetch import Fetched, SiteFetcher

__all__ = ["CHECK_IDS", "run_http_checks"]

CHECK_IDS = (
    "reachable",
    "tls.valid",
    "tls.expiry",
    "https.redirect",
    "https.hsts",
    "headers.hardening",
    "drupal.detected",
    "drupal.d7_eol",
    "headers.core",
    "debug.cacheability",
    "debug.twig",
    "update_php.locked",
    "installer.locked",
    "files.sensitive",
    "files.exposed",
    "files.vendor",
    "listing.directories",
    "admin.closed",
    "users.registration",
    "users.enumeration",
)


def run_http_checks(fetcher: SiteFetcher) -> tuple[list[CheckResult], DrupalInfo]:
    """Check the site behind ``fetcher``; return the results and what was found out
    about Drupal. A site configured as http:// that redirects to https on the same
    host is checked at its https address from then on."""
    started_http = not fetcher.https
    home = fetcher.get("/", follow=True)
    if started_http and home.ok and _same_host_https(home, fetcher):
        fetcher.rebase(_origin_with_path(home.final_url, fetcher))
    results = [site.reachable(home, fetcher), *site.tls(fetcher)]
    results.append(site.https_redirect(home, fetcher, started_http))
    answered = home.ok and (home.status or 0) < 500
    info = detect(home, fetcher) if answered else _unread(home)
    results.append(site.hsts(home, fetcher) if answered else _skipped("https.hsts", home))
    results.append(
        site.hardening_headers(home) if answered else _skipped("headers.hardening", home)
    )
    results.append(site.detected(home, info))
    if info.detected:
        results.extend(_drupal_checks(fetcher, home, info))
    return results, info


def _drupal_checks(fetcher: SiteFetcher, home: Fetched, info: DrupalInfo) -> list[CheckResult]:
    """Drupal's own checks, cheapest and gravest first (the budget may run out)."""
    return [
        site.d7_end_of_life(home, info),
        site.core_headers(home),
        site.cacheability_debug(home),
        site.twig_debug(home),
        access.update_php(fetcher, home),
        access.installer(fetcher, home, info),
        files.files_sensitive(fetcher, info),
        files.files_exposed(fetcher, info),
        files.files_vendor(fetcher),
        files.directory_listings(fetcher, info),
        access.admin_closed(fetcher, home, info),
        access.registration(fetcher, home, info),
        access.enumeration(fetcher, home, info),
    ]


def _same_host_https(home: Fetched, fetcher: SiteFetcher) -> bool:
    final = urlsplit(home.final_url)
    return final.scheme == "https" and final.hostname == urlsplit(fetcher.base_url).hostname


def _origin_with_path(final_url: str, fetcher: SiteFetcher) -> str:
    """The https address of the site: the redirect's origin with the configured path."""
    final = urlsplit(final_url)
    return f"https://{final.netloc}{urlsplit(fetcher.base_url).path}"


def _unread(home: Fetched) -> DrupalInfo:
    reason = home.error or f"front page answered HTTP {home.status}"
    return DrupalInfo(None, None, f"front page not read: {reason}", None)


def _skipped(check_id: str, home: Fetched) -> CheckResult:
    titles = {"https.hsts": "HSTS header", "headers.hardening": "Hardening headers"}
    severities = {"https.hsts": "medium", "headers.hardening": "low"}
    reason = home.error or f"front page answered HTTP {home.status}"
    return result(check_id, titles[check_id], severities[check_id], "error", home, reason)
