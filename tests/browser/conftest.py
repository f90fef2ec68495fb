"""Real-browser tests: the hub served on a loopback port, Debian's Chromium via Playwright.

Playwright drives ``/usr/bin/chromium`` (package ``chromium``; ``.ci/run`` installs it)
through ``executable_path``: no browser download. Each scenario saves a full-page
screenshot under ``test-artifacts/`` for a person to look at. The browser tests run on
SQLite only: the pages, not the database, are under test here.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.conftest import IN_CI

CHROMIUM = os.environ.get("HUB_TEST_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(params=["sqlite"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    path = tmp_path / "hub.sqlite3"
    shutil.copy(request.getfixturevalue("sqlite_template"), path)
    yield f"sqlite:///{path}"


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The app on a free loopback port, in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def chromium():  # noqa: ANN201
    if not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} not found: apt-get install chromium (or set HUB_TEST_CHROMIUM)"
        if IN_CI:
            pytest.fail("CI=true but " + message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, request: pytest.FixtureRequest):  # noqa: ANN001,ANN201
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    name = request.node.name.replace("[", "-").replace("]", "")
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    context.close()


def check_accessibility_basics(page) -> None:  # noqa: ANN001
    """Every page a title and one h1; every visible form field a label."""
    assert page.title().strip(), f"{page.url} has no title"
    assert page.locator("h1").count() == 1, f"{page.url} needs exactly one h1"
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input, select, textarea')]
            .filter(el => el.type !== 'hidden' && el.type !== 'submit')
            .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
            .map(el => el.name || el.id || el.outerHTML)"""
    )
    assert unlabelled == [], f"fields without a label on {page.url}: {unlabelled}"


@pytest.fixture
def phone(chromium):  # noqa: ANN001,ANN201
    """A page in a 375 px wide mobile viewport."""
    context = chromium.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    yield context.new_page()
    context.close()


def overflow(page) -> int:  # noqa: ANN001
    """How many pixels the page is wider than its viewport (0 or less: it fits)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
