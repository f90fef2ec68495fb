"""Detection on each fake: the major from headers or markup, the exact version only
where the site shows it (core ``?v=``, CHANGELOG.txt), never guessed."""

from __future__ import annotations

from plugins.drupal.detect import DrupalInfo, detect, settings_libraries
from plugins.drupal.fetch import Fetched, SiteFetcher
from tests.support import fake_drupal_sites as sites
from tests.support.fake_drupal import FakeSite, Page, serve


def detect_on(site: FakeSite) -> tuple[DrupalInfo, list[str]]:
    with serve(site) as server:
        fetcher = SiteFetcher(server.url, timeout=0.5)
        info = detect(fetcher.get("/", follow=True), fetcher)
    return info, site.requests


def test_drupal7_exact_version_from_changelog():
    info, requests = detect_on(sites.drupal7())
    assert (info.major, info.version, info.detected) == (7, "7.103", True)
    assert "X-Generator: Drupal 7" in info.evidence
    assert "/CHANGELOG.txt: Drupal 7.103, 2024-12-04" in info.evidence
    assert info.aggregation is False and info.label == "Drupal 7.103"
    assert requests == ["/", "/CHANGELOG.txt"]


def test_drupal7_jquery_version_is_not_drupals():
    site = sites.drupal7()
    del site.pages["/CHANGELOG.txt"]  # blocked: /misc/jquery.js?v=1.4.4 must not be read
    info, _ = detect_on(site)
    assert (info.major, info.version) == (7, None)
    assert info.label == "Drupal 7, minor unknown"


def test_drupal7_without_headers_from_markup_alone():
    site = sites.drupal7()
    site.headers.clear()
    site.pages["/"].body = site.pages["/"].body.replace("Generator", "Nothing")
    info, _ = detect_on(site)
    assert (info.major, info.version) == (7, "7.103")
    assert "Drupal.settings and /misc/drupal.js" in info.evidence


def test_drupal10_aggregation_off_version_from_core_assets():
    info, requests = detect_on(sites.drupal10("10.2.3"))
    assert (info.major, info.version, info.aggregation) == (10, "10.2.3", False)
    assert "core asset ?v=10.2.3" in info.evidence
    assert "system/base" in info.libraries  # plain list before 10.3
    assert requests == ["/"]  # no CHANGELOG for Drupal 9+


def test_drupal10_aggregation_on_version_unknown():
    info, requests = detect_on(sites.drupal10("10.3.6", aggregation=True))
    assert (info.major, info.version, info.aggregation) == (10, None, True)
    assert info.label == "Drupal 10, minor unknown"
    assert "views/views.module" in info.libraries  # decompressed ajaxPageState (10.3+)
    assert requests == ["/"]


def test_vendor_asset_versions_are_not_drupals():
    site = sites.drupal10("10.2.3")
    page = site.pages["/"]
    page.body = page.body.replace("?v=10.2.3", "?v=1")  # only vendor ?v= left
    info, _ = detect_on(site)
    assert (info.major, info.version) == (10, None)


def test_asset_version_of_another_major_is_ignored():
    site = sites.drupal10("10.2.3")
    site.headers["X-Generator"] = "Drupal 11 (https://www.drupal.org)"
    info, _ = detect_on(site)
    assert (info.major, info.version) == (11, None)


def test_drupal8_old_changelog():
    info, requests = detect_on(sites.drupal8("8.3.7"))
    assert (info.major, info.version) == (8, "8.3.7")
    assert requests == ["/", "/core/CHANGELOG.txt"]


def test_drupal8_generic_changelog_gives_no_version():
    site = sites.drupal8("8.9.20")
    site.pages["/core/CHANGELOG.txt"].body = "Drupal 8.5 and later: see the release notes.\n"
    info, _ = detect_on(site)
    assert (info.major, info.version) == (8, None)


def test_drupal_settings_without_generator_is_drupal_of_unknown_major():
    site = sites.drupal10("10.2.3", aggregation=True)
    site.headers.clear()
    site.pages["/"].body = site.pages["/"].body.replace('name="Generator"', 'name="x"')
    info, requests = detect_on(site)
    assert info.detected and info.major is None and info.version is None
    assert info.label == "Drupal, major unknown"
    assert requests == ["/", "/core/CHANGELOG.txt"]  # could be 8.0–8.4


def test_expires_1978_alone_says_drupal_and_changelog_gives_7():
    body = "<html><head><title>Home</title></head><body>Hi</body></html>"
    changelog = "Drupal 7.98, 2023-06-07\n----\n"
    site = FakeSite(
        pages={"/": Page(200, body), "/CHANGELOG.txt": Page(200, changelog, {}, "text/plain")},
        headers={"Expires": sites.EXPIRES_1978},
    )
    info, _ = detect_on(site)
    assert (info.major, info.version, info.detected) == (7, "7.98", True)


def test_changelog_answered_by_an_html_page_is_ignored():
    site = sites.drupal7(clean_urls=False)
    del site.pages["/CHANGELOG.txt"]  # front page fallback answers it
    info, _ = detect_on(site)
    assert (info.major, info.version) == (7, None)


def test_not_drupal():
    info, requests = detect_on(sites.plain())
    assert not info.detected and info.major is None and info.label == "not Drupal"
    assert requests == ["/"]


def test_unanswered_front_page():
    fetcher = SiteFetcher("http://127.0.0.1:9")
    info = detect(Fetched("http://127.0.0.1:9/", error="connection refused"), fetcher)
    assert not info.detected and "connection refused" in info.evidence
    assert fetcher.requests == 0


def test_as_dict_and_positional_construction():
    info = DrupalInfo(10, "10.2.3", "X-Generator", False)
    assert info.detected
    assert info.as_dict()["version"] == "10.2.3"


def test_settings_libraries_tolerates_rubbish():
    tag = '<script type="application/json" data-drupal-selector="drupal-settings-json">'
    assert settings_libraries(tag + "{not json</script>") == ()
    assert settings_libraries(tag + '{"ajaxPageState": {"libraries": "!!!"}}</script>') == ()
    packed = sites.compress("a/b,c/d")
    assert settings_libraries(
        tag + f'{{"ajaxPageState": {{"libraries": "{packed}"}}}}</script>'
    ) == (
        "a/b",
        "c/d",
    )
