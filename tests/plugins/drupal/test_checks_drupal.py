"""run_http_checks, Drupal's own checks: update.php, the installer, files judged by
content (not status), vendor, directory listings, admin routes, registration, user
enumeration — each passing, failing, and unable to tell where that can happen."""

from __future__ import annotations

import pytest

from hub.hooktypes import CheckResult
from plugins.drupal.checks import run_http_checks
from plugins.drupal.fetch import SiteFetcher
from tests.support import fake_drupal_sites as sites
from tests.support.fake_drupal import FakeSite, Page, serve


def check(site: FakeSite) -> dict[str, CheckResult]:
    with serve(site) as server:
        results, _ = run_http_checks(SiteFetcher(server.url, timeout=0.5))
    return {r.id: r for r in results}


def changed(site: FakeSite, path: str, page: Page) -> FakeSite:
    """``site`` with the page at ``path`` replaced."""
    site.pages[path] = page
    return site


# update.php


def test_update_php_forbidden_passes():
    result = check(sites.drupal10())["update_php.locked"]
    assert (result.verdict, result.severity, result.evidence["status"]) == ("pass", "critical", 403)


def test_update_php_open_fails():
    result = check(sites.careless())["update_php.locked"]
    assert result.verdict == "fail" and "Drupal database update" in result.evidence["detail"]


def test_update_php_server_error_is_an_error():
    site = sites.drupal10()
    site.pages["/update.php"] = Page(500, "PHP Fatal error")
    assert check(site)["update_php.locked"].verdict == "error"


def test_update_php_answered_by_the_front_page_cannot_tell():
    site = sites.drupal10()
    site.pages["/update.php"] = site.pages["/"]
    result = check(site)["update_php.locked"]
    assert result.verdict == "error" and "cannot tell" in result.evidence["detail"]


# installer


def test_installer_already_installed_passes_with_200():
    result = check(sites.drupal10())["installer.locked"]
    assert (result.verdict, result.evidence["status"]) == ("pass", 200)
    assert result.evidence["url"].endswith("/core/install.php")


def test_installer_d7_path():
    result = check(sites.drupal7())["installer.locked"]
    assert result.verdict == "pass" and result.evidence["url"].endswith("/install.php")
    assert "/core/" not in result.evidence["url"]


def test_installer_form_fails():
    result = check(sites.careless())["installer.locked"]
    assert (result.verdict, result.severity) == ("fail", "critical")
    assert (
        "install-select-language-form" in result.evidence["detail"]
        or "Choose language" in (result.evidence["detail"])
    )


# files


def test_settings_php_with_an_empty_body_is_not_a_leak():
    site = sites.drupal10()
    assert site.pages["/sites/default/settings.php"] == Page(200, "")
    result = check(site)["files.sensitive"]
    assert result.verdict == "pass" and result.severity == "critical"


def test_settings_php_source_is_a_leak():
    site = sites.drupal10()
    site.pages["/sites/default/settings.php"] = Page(200, sites.SETTINGS_SOURCE, {}, "text/plain")
    result = check(site)["files.sensitive"]
    assert result.verdict == "fail" and result.evidence["url"].endswith(
        "/sites/default/settings.php"
    )
    assert result.evidence["status"] == 200


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/sites/default/settings.php.bak", sites.SETTINGS_SOURCE),
        ("/sites/default/.settings.php.swp", b"b0VIM 8.2\x00\x00binary"),
        ("/sites/default/files/.ht.sqlite", sites.SQLITE),
        ("/.env", "DB_PASSWORD=x\n"),
        ("/.git/HEAD", "ref: refs/heads/main\n"),
    ],
)
def test_each_secret_file_is_found(path, body):
    site = sites.drupal10()
    site.pages[path] = Page(200, body, {}, "application/octet-stream")
    result = check(site)["files.sensitive"]
    assert result.verdict == "fail" and result.evidence["url"].endswith(path)
    assert len(result.evidence["found"]) == 1


@pytest.mark.parametrize(
    "path",
    ["/composer.json", "/composer.lock", "/package.json", "/web.config", "/core/core.services.yml",
     "/core/modules/system/system.module", "/core/includes/bootstrap.inc", "/.htaccess"],
)  # fmt: skip
def test_each_code_file_is_found(path):
    careless = sites.careless()
    site = sites.drupal10()
    site.pages[path] = careless.pages[path]
    result = check(site)["files.exposed"]
    assert (result.verdict, result.severity) == ("fail", "medium")
    assert result.evidence["url"].endswith(path)


def test_d7_code_files_have_no_core_prefix():
    site = sites.drupal7()
    site.pages["/includes/bootstrap.inc"] = Page(200, "<?php\n// D7\n", {}, "text/plain")
    result = check(site)["files.exposed"]
    assert result.verdict == "fail" and result.evidence["url"].endswith("/includes/bootstrap.inc")
    assert not any(path.startswith("/core/") for path in site.requests)


def test_careless_site_lists_every_leak():
    results = check(sites.careless())
    assert len(results["files.sensitive"].evidence["found"]) == 5  # source, ~, sqlite, env, git
    assert len(results["files.exposed"].evidence["found"]) == 8


def test_vendor_installed_json():
    assert check(sites.careless())["files.vendor"].verdict == "fail"
    assert check(sites.drupal10())["files.vendor"].verdict == "pass"


def test_directory_listing():
    result = check(sites.careless())["listing.directories"]
    assert result.verdict == "fail" and "Index of /sites/default/files" in result.evidence["detail"]
    result = check(sites.drupal10())["listing.directories"]
    assert result.verdict == "pass" and "/core/ 403" in result.evidence["detail"]


def test_front_page_for_every_path_is_no_false_alarm():
    """A site without clean URLs answers every path with its front page and 200."""
    site = sites.drupal7(clean_urls=False)
    for path in ("/.htaccess", "/.git/HEAD", "/sites/default/files/", "/misc/", "/modules/",
                 "/modules/system/system.module", "/includes/bootstrap.inc"):  # fmt: skip
        del site.pages[path]
    results = check(site)
    assert results["files.sensitive"].verdict == "pass"
    assert results["files.exposed"].verdict == "pass"
    assert results["listing.directories"].verdict == "pass"
    assert results["files.vendor"].verdict == "pass"


# admin routes, registration, enumeration


def test_admin_closed_passes_on_403():
    result = check(sites.drupal10())["admin.closed"]
    assert (result.verdict, result.severity) == ("pass", "high")


def test_admin_open_fails():
    result = check(sites.careless())["admin.closed"]
    assert (
        result.verdict == "fail"
        and result.evidence["detail"] == "HTTP 200: Administration | Example"
    )


def test_admin_redirect_to_login_passes():
    site = changed(sites.drupal10(), "/admin", Page(302, "", {"Location": "/user/login"}))
    assert check(site)["admin.closed"].verdict == "pass"


def test_d7_without_clean_urls_is_asked_with_q():
    site = sites.drupal7(clean_urls=False)
    results = check(site)
    assert results["admin.closed"].verdict == "pass"
    assert results["admin.closed"].evidence["url"].endswith("/?q=admin")
    assert results["users.registration"].verdict == "warn"
    assert results["users.enumeration"].verdict == "pass"
    assert "/?q=admin/reports/status" in site.requests


def test_front_page_for_admin_routes_cannot_tell():
    site = sites.drupal10()
    site.front_page_fallback = True
    for path in ("/admin", "/admin/reports/status", "/user/register", "/user/1"):
        del site.pages[path]
    results = check(site)
    for key in ("admin.closed", "users.registration", "users.enumeration"):
        assert results[key].verdict == "error", key
        assert "cannot tell" in results[key].evidence["detail"]


def test_registration():
    result = check(sites.drupal10())["users.registration"]
    assert (result.verdict, result.severity) == ("warn", "low")
    assert "user-register-form" in result.evidence["detail"]
    assert check(sites.hardened())["users.registration"].verdict == "pass"


def test_user_enumeration():
    result = check(sites.careless())["users.enumeration"]
    assert (result.verdict, result.severity) == ("fail", "medium")
    assert result.evidence["detail"] == "profile of user 1 shown: admin"
    assert check(sites.drupal10())["users.enumeration"].verdict == "pass"


def test_user_page_without_profile_markup_warns():
    page = Page(200, "<html><head><title>root | Example</title></head><body>Hi</body></html>")
    result = check(changed(sites.drupal10(), "/user/1", page))["users.enumeration"]
    assert result.verdict == "warn" and "root" in result.evidence["detail"]


def test_access_checks_error_when_the_server_fails():
    site = sites.drupal10()
    for path in ("/admin", "/user/register", "/user/1"):
        site.pages[path] = Page(502, "Bad gateway")
    results = check(site)
    for key in ("admin.closed", "users.registration", "users.enumeration"):
        assert results[key].verdict == "error", key
