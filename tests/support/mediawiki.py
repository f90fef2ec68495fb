"""A real MediaWiki for the tests: Debian's MediaWiki 1.39, PHP's built-in server, SQLite.

One template wiki is installed per test session (``install.php`` into a temporary
folder, then two bot passwords, then one warm-up request so the localisation cache is
built once); every test gets a copy of that folder served by ``php -S`` on its own
loopback port, ready in well under a second. See /work/shared/peers/mediawiki.md.

Two accounts, because MediaWiki reports no edit conflict when the intervening edit is
by the same user:

* ``Hubbot`` (group ``bot``, not an admin) logs in as ``Hubbot@tests`` with a bot
  password whose grants lack ``protect``: it is the hub.
* ``Admin`` (sysop) acts as ``Admin@person`` through :class:`Person`: it plays the human
  who edits or protects a page behind the hub's back.

Test modules take the fixtures by importing them into their ``conftest.py``::

    from tests.support.mediawiki import mediawiki_template, wiki  # noqa: F401
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import mwclient
import pytest
import requests

from tests.conftest import IN_CI

MW_HOME = Path(os.environ.get("HUB_TEST_MEDIAWIKI_HOME", "/usr/share/mediawiki"))
INSTALL_HELP = (
    "MediaWiki tests need Debian's mediawiki and php: apt-get install -y "
    "--no-install-recommends mediawiki php-cli php-sqlite3 php-mbstring php-intl php-xml"
)
PHP_MODULES = ("pdo_sqlite", "mbstring", "intl", "xml")

BOT_USER = "Hubbot@tests"
BOT_GRANTS = "basic,highvolume,editpage,createeditmovepage"  # no "protect": see Person
PERSON_USER = "Admin@person"
PERSON_GRANTS = BOT_GRANTS + ",protect"
ADMIN_PASSWORD = "Xq7-tests-admin-password"
HUBBOT_PASSWORD = "Xq7-tests-hubbot-password"
BOT_PASSWORD = "hubbotpasswordfortests0123456789"  # createBotPassword wants exactly 32
PERSON_PASSWORD = "personpasswordfortests0123456789"

# Test wikis: no mail, no rate limits (plain users are cut off at ~90 edits a minute), no
# login throttle, no anonymous edits, caches and uploads inside the wiki's folder.
EXTRA_SETTINGS = """
# --- added by tests/support/mediawiki.py ---
$wgCacheDirectory = __DIR__ . "/cache";
$wgUploadDirectory = __DIR__ . "/images";
$wgEnableEmail = false;
$wgEmailAuthentication = false;
$wgEnableUserEmail = false;
$wgRateLimits = [];
$wgPasswordAttemptThrottle = [];
$wgGroupPermissions['*']['edit'] = false;
$wgGroupPermissions['*']['createaccount'] = false;
$wgEnableBotPasswords = true;
$wgShowExceptionDetails = true;
"""


def free_port() -> int:
    """A loopback port nobody listens on now (it goes into ``$wgServer`` before start)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def missing_parts() -> str | None:
    """What is missing to run a MediaWiki here, or None when everything is installed."""
    php = shutil.which("php")
    if php is None:
        return "php is not installed"
    if not (MW_HOME / "maintenance" / "install.php").is_file():
        return f"MediaWiki is not installed at {MW_HOME}"
    found = subprocess.run([php, "-m"], capture_output=True, text=True, check=True).stdout
    lacking = [m for m in PHP_MODULES if m not in found.lower().split()]
    return f"php lacks {', '.join(lacking)}" if lacking else None


def _php(folder: Path, *args: str) -> None:
    """Run a MediaWiki maintenance script against the wiki in ``folder``."""
    env = {**os.environ, "MW_CONFIG_FILE": str(folder / "LocalSettings.php")}
    done = subprocess.run(
        ["php", str(MW_HOME / "maintenance" / args[0]), *args[1:]],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    if done.returncode:
        raise RuntimeError(f"php {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")


def _set_server(folder: Path, port: int) -> None:
    """Point the copy's ``$wgServer`` at its port; a cookie prefix per port keeps one
    HTTP session from mixing two wikis' cookies (they share a database name)."""
    settings = folder / "LocalSettings.php"
    text = re.sub(
        r"^\$wgServer = .*$",
        f'$wgServer = "http://127.0.0.1:{port}";\n$wgCookiePrefix = "wiki{port}";',
        settings.read_text(),
        count=1,
        flags=re.M,
    )
    settings.write_text(text)


def install_template(folder: Path) -> Path:
    """Install a wiki into the new, empty ``folder`` with both accounts, and warm it."""
    folder.mkdir(parents=True)
    port = free_port()
    _php(
        folder, "install.php", "--quiet", "--dbtype", "sqlite",
        "--dbpath", str(folder / "data"), "--dbname", "wiki", "--confpath", str(folder),
        "--server", f"http://127.0.0.1:{port}", "--scriptpath", "", "--skins", "Vector",
        "--pass", ADMIN_PASSWORD, "TestWiki", "Admin",
    )  # fmt: skip
    settings = folder / "LocalSettings.php"
    text = re.sub(  # in place: the cache settings below the line read it
        r"^\$wgSQLiteDataDir = .*$", '$wgSQLiteDataDir = __DIR__ . "/data";',
        settings.read_text(), count=1, flags=re.M,
    )  # fmt: skip
    settings.write_text(text + EXTRA_SETTINGS)
    (folder / "cache").mkdir()
    (folder / "images").mkdir()
    _php(folder, "createAndPromote.php", "--bot", "Hubbot", HUBBOT_PASSWORD)
    for user, appid, grants, password in (
        ("Hubbot", "tests", BOT_GRANTS, BOT_PASSWORD),
        ("Admin", "person", PERSON_GRANTS, PERSON_PASSWORD),
    ):
        _php(folder, "createBotPassword.php", "--appid", appid, "--grants", grants, user, password)
    warm = Wiki(folder, port)
    warm.start()
    try:  # builds the localisation cache once, for every copy
        warm.person.edit("Warm up", "warm")
    finally:
        warm.stop()
    return folder


class Person:
    """A human at the wiki (``Admin``, a sysop), through the API with its own session."""

    def __init__(self, wiki: Wiki) -> None:
        self.wiki = wiki
        self._site: mwclient.Site | None = None

    @property
    def site(self) -> mwclient.Site:
        if self._site is None:
            site = mwclient.Site(
                self.wiki.host, path=self.wiki.path, scheme=self.wiki.scheme,
                max_retries=0, retry_timeout=0, connection_options={"timeout": 10},
            )  # fmt: skip
            site.login(PERSON_USER, PERSON_PASSWORD)
            self._site = site
        return self._site

    def text(self, title: str) -> str | None:
        """The page's current text, or None when it does not exist."""
        page = self.site.pages[title]
        return page.text(cache=False) if page.exists else None

    def edit(self, title: str, text: str, summary: str = "a person's edit") -> dict[str, Any]:
        """Save ``text`` unconditionally (no base revision: it never conflicts)."""
        return self.site.pages[title].edit(text, summary=summary, bot=False)

    def protect(self, title: str, level: str = "sysop") -> None:
        """Protect the page (existing: edit and move; missing: creation) at ``level``."""
        exists = self.site.pages[title].exists
        protections = f"edit={level}|move={level}" if exists else f"create={level}"
        self.site.post(
            "protect", title=title, protections=protections, expiry="infinite",
            reason="tests", token=self.site.get_token("csrf"),
        )  # fmt: skip

    def revisions(self, title: str) -> list[int]:
        """The page's revision ids, newest first (``[]`` when it does not exist)."""
        result = self.site.get("query", prop="revisions", titles=title, rvprop="ids", rvlimit="max")
        page = next(iter(result["query"]["pages"].values()))
        return [rev["revid"] for rev in page.get("revisions", ())]


class Wiki:
    """One running test wiki: where it is, how the hub logs in, and a :class:`Person`.

    ``stop()`` and ``start()`` take the server down and bring it back on the same port
    (the data stays), to simulate an outage; ``pause()``/``resume()`` freeze it so that
    requests hang until the client's timeout.
    """

    scheme = "http"
    path = "/"
    bot_user = BOT_USER
    bot_password = BOT_PASSWORD

    def __init__(self, folder: Path, port: int) -> None:
        self.folder = folder
        self.port = port
        self.host = f"127.0.0.1:{port}"
        self.url = f"http://{self.host}"
        self.api_url = f"{self.url}/api.php"
        self.person = Person(self)
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def page_url(self, title: str) -> str:
        return f"{self.url}/index.php?title={title.replace(' ', '_')}"

    def configure(self, php: str) -> None:
        """Append PHP to the wiki's LocalSettings.php; ``php -S`` reads it on every
        request, so it applies at once (e.g. ``$wgReadOnly = "maintenance";``)."""
        with (self.folder / "LocalSettings.php").open("a") as settings:
            settings.write("\n" + php + "\n")

    def start(self, timeout: float = 20.0) -> None:
        """Serve the wiki and wait until its API answers."""
        if self._process is not None:
            return
        env = {**os.environ, "MW_CONFIG_FILE": str(self.folder / "LocalSettings.php")}
        self._log = (self.folder / "server.log").open("ab")
        self._process = subprocess.Popen(
            ["php", "-d", "opcache.enable_cli=1", "-S", self.host, "-t", str(MW_HOME)],
            env=env, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while True:
            try:
                answer = requests.get(
                    self.api_url, params={"action": "query", "format": "json"}, timeout=5
                )
                if answer.status_code == 200:
                    return
            except requests.ConnectionError:
                pass  # not listening yet
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                log = (self.folder / "server.log").read_text(errors="replace")
                raise RuntimeError(f"MediaWiki at {self.url} did not start:\n{log[-2000:]}")
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop the server (its whole process group); the data stays for ``start()``."""
        process, self._process = self._process, None
        if process is not None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                os.killpg(process.pid, signal.SIGCONT)  # in case it was paused
            except ProcessLookupError:
                pass  # already gone
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
        if self._log is not None:
            self._log.close()
            self._log = None

    def pause(self) -> None:
        """Freeze the server: connections are accepted but never answered."""
        assert self._process is not None, "the wiki is not running"
        os.killpg(self._process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self._process is not None, "the wiki is not running"
        os.killpg(self._process.pid, signal.SIGCONT)


def copy_wiki(template: Path, folder: Path) -> Wiki:
    """A copy of the template wiki in ``folder`` on a free port (not yet started)."""
    shutil.copytree(template, folder)
    (folder / "server.log").unlink(missing_ok=True)
    port = free_port()
    _set_server(folder, port)
    return Wiki(folder, port)


@pytest.fixture(scope="session")
def mediawiki_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of the session's installed template wiki (skips if MediaWiki is
    missing; fails in CI)."""
    missing = missing_parts()
    if missing:
        if IN_CI:
            pytest.fail(f"CI=true but {missing}. {INSTALL_HELP}")
        pytest.skip(f"{missing}. {INSTALL_HELP}")
    return install_template(tmp_path_factory.mktemp("mediawiki") / "template")


@pytest.fixture
def wiki(mediawiki_template: Path, tmp_path: Path) -> Iterator[Wiki]:
    """A fresh, running wiki for one test, stopped afterwards."""
    running = copy_wiki(mediawiki_template, tmp_path / "wiki")
    running.start()
    try:
        yield running
    finally:
        running.stop()
