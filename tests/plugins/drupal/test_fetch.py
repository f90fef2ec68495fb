"""SiteFetcher: answers of any status, failures as ``error`` (timeout, refused, reset,
garbage, TLS, redirect loops), the request budget, the body limit, the rebuild.php
refusal, and the TLS probe's validity and expiry."""

from __future__ import annotations

import ssl
from datetime import UTC, datetime

import pytest

from plugins.drupal.fetch import DEFAULT_USER_AGENT, SiteFetcher, der_not_after
from tests.support import fake_drupal_sites as sites
from tests.support.fake_drupal import Page, closed_port, serve
from tests.support.fake_drupal_tls import certificates

TIMEOUT = 0.5


def fetcher(url: str, **kwargs) -> SiteFetcher:
    return SiteFetcher(url, timeout=TIMEOUT, verify=str(certificates().ca), **kwargs)


def test_get_returns_status_headers_body_and_logs_the_request():
    with serve(sites.drupal10()) as server:
        answer = fetcher(server.url).get("/")
        missing = fetcher(server.url).get("/nowhere")
    assert answer.ok and answer.status == 200 and answer.error is None
    assert answer.header("x-generator") == "Drupal 10 (https://www.drupal.org)"  # any case
    assert "drupal-settings-json" in answer.body
    assert answer.final_url == server.url + "/" and answer.elapsed > 0
    assert missing.ok and missing.status == 404  # a 404 is an answer, not an error
    assert server.site.requests == ["/", "/nowhere"]


def test_user_agent_is_the_hubs():
    site = sites.plain()
    with serve(site) as server:
        f = fetcher(server.url)
        f.get("/")
    assert f.session.headers["User-Agent"] == DEFAULT_USER_AGENT


def test_redirects_are_not_followed_unless_asked():
    site = sites.plain()
    site.pages["/old"] = Page(301, "", {"Location": "/"})
    with serve(site) as server:
        f = fetcher(server.url)
        plain = f.get("/old")
        followed = f.get("/old", follow=True)
    assert plain.status == 301 and plain.header("Location") == "/"
    assert followed.status == 200 and followed.final_url == server.url + "/"
    assert followed.history == ((301, server.url + "/old"),)
    assert f.requests == 3  # the redirect counts


def test_redirect_loop_is_an_error():
    site = sites.plain()
    site.behaviour = "loop"
    with serve(site) as server:
        answer = fetcher(server.url).get("/", follow=True)
    assert answer.status is None and "redirect loop" in (answer.error or "")
    assert len(answer.history) >= 2


def test_rebuild_php_is_refused_directly_and_through_a_redirect():
    site = sites.drupal10()
    site.pages["/sneaky"] = Page(302, "", {"Location": "/core/rebuild.php"})
    with serve(site) as server:
        f = fetcher(server.url)
        with pytest.raises(ValueError, match="rebuild.php"):
            f.get("/core/rebuild.php")
        with pytest.raises(ValueError):
            f.get(server.url + "/core/REBUILD.PHP")
        answer = f.get("/sneaky", follow=True)
    assert "not followed" in (answer.error or "")
    assert not any("rebuild" in path.lower() for path in site.requests)


def test_budget_is_kept():
    with serve(sites.plain()) as server:
        f = fetcher(server.url, budget=2)
        first, second, third = f.get("/"), f.get("/"), f.get("/")
        cert = f.certificate()
    assert first.ok and second.ok
    assert third.error == "request budget of 2 spent" and f.requests == 2
    assert len(server.site.requests) == 2
    assert not cert.valid


def test_slow_site_times_out():
    site = sites.plain()
    site.delay = 1.0
    with serve(site) as server:
        answer = fetcher(server.url).get("/")
    assert answer.error == f"timeout after {TIMEOUT:g} s"
    assert answer.elapsed < 0.9


def test_connection_refused():
    with closed_port() as url:
        answer = fetcher(url).get("/")
    assert answer.error == "connection refused" and answer.status is None


def test_connection_reset():
    site = sites.plain()
    site.behaviour = "reset"
    with serve(site) as server:
        answer = fetcher(server.url).get("/")
    assert answer.error in ("connection reset", "connection closed without an answer")


def test_garbage_is_not_http():
    site = sites.plain()
    site.behaviour = "garbage"
    with serve(site) as server:
        answer = fetcher(server.url).get("/")
    assert (answer.error or "").startswith("not an HTTP answer")
    assert answer.error.isprintable()


def test_body_is_read_up_to_max_body():
    site = sites.plain()
    site.pages["/big"] = Page(200, "x" * 100_000, {}, "text/plain")
    with serve(site) as server:
        answer = fetcher(server.url, max_body=1000).get("/big")
    assert answer.truncated and len(answer.content) == 1000 and answer.body == "x" * 1000


def test_head_requests():
    with serve(sites.drupal10()) as server:
        answer = fetcher(server.url).get("/", method="HEAD")
    assert answer.status == 200 and answer.body == "" and answer.header("X-Generator")


def test_tls_error_on_an_untrusted_site():
    with serve(sites.plain(), tls=certificates().self_signed) as server:
        answer = fetcher(server.url).get("/")
    assert answer.error == "TLS error: self-signed certificate"


def test_base_url_must_be_http_or_https():
    with pytest.raises(ValueError):
        SiteFetcher("ftp://example.org")
    f = SiteFetcher("https://example.org/drupal/")
    assert f.url_for("/user/1") == "https://example.org/drupal/user/1"
    assert f.http_url == "http://example.org/drupal"


def test_certificate_valid_with_expiry():
    with serve(sites.plain(), tls=certificates().valid) as server:
        f = fetcher(server.url)
        valid, not_after, error = f.certificate()
    assert valid and error is None and f.requests == 1
    assert not_after is not None and (not_after - datetime.now(UTC)).days in (88, 89, 90)


@pytest.mark.parametrize(
    ("pair", "reason"),
    [("expired", "certificate has expired"), ("self_signed", "self-signed certificate")],
)
def test_certificate_invalid_still_gives_its_expiry(pair, reason):
    with serve(sites.plain(), tls=getattr(certificates(), pair)) as server:
        status = fetcher(server.url).certificate()
    assert not status.valid and status.checked and reason in (status.error or "")
    assert status.not_after is not None
    if pair == "expired":
        assert status.not_after == datetime(2020, 2, 1, tzinfo=UTC)


def test_certificate_of_a_plain_http_site_or_a_closed_port():
    with serve(sites.plain()) as server:
        status = fetcher(server.url).certificate()
    assert not status.valid and not status.checked and "plain HTTP" in (status.error or "")
    with closed_port() as url:
        status = fetcher(url.replace("http://", "https://")).certificate()
    assert not status.checked and "connection refused" in (status.error or "")


def test_der_not_after_reads_pem_certificates_and_rejects_rubbish():
    pem = certificates().expired.cert.read_text()
    assert der_not_after(ssl.PEM_cert_to_DER_cert(pem)) == datetime(2020, 2, 1, tzinfo=UTC)
    assert der_not_after(b"\x30\x82\x01") is None
    assert der_not_after(b"") is None
