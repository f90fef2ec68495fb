"""The soak's outside world on loopback: fake MantisBT and Jira, a real MediaWiki, fake
Drupal sites and a local drupal.org feed server (see benchmarks/soak.py).

MantisBT and Jira are the tests' fakes (tests/support/fake_mantis.py, fake_jira.py)
served here on a fixed port each, so that an outage can close the listening socket
and open it again on the same port: the hub's deliveries meet "connection refused" in
between, as with a tracker that is down. The wiki is the tests' real MediaWiki (PHP's
built-in server, tests/support/mediawiki.py); its outage stops and restarts ``php -S``
on the same port.
"""

from __future__ import annotations

import contextlib
import re
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from werkzeug.serving import make_server

from plugins.mantis.mapping import MARK
from tests.plugins.drupal.fixtures.feedserver import FeedServer
from tests.support import fake_drupal, fake_drupal_sites
from tests.support.fake_jira import FakeJira
from tests.support.fake_jira import _Handler as JiraHandler
from tests.support.fake_mantis import FakeMantis
from tests.support.fake_mantis import _QuietHandler as MantisHandler

SOAK_MARKER = re.compile(r"\[soak:([0-9a-f]{12})\]")
HUB_ACCOUNT_ID = 2  # FakeMantis's "slahub" user (token "hub-token")


class Restartable:
    """One fake's HTTP server on a port kept across stops: ``down()`` closes the
    listening socket (new connections are refused), ``up()`` listens again."""

    def __init__(self, name: str, make: Callable[[int], Any]) -> None:
        self.name, self._make = name, make
        self.port = 0
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def up(self) -> None:
        for _ in range(50):  # the old socket may linger a moment in the kernel
            try:
                self._server = self._make(self.port)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"{self.name}: cannot listen on port {self.port} again")
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()

    def down(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(5)


class WikiOutage:
    """The real MediaWiki behind the same ``up()``/``down()`` as the fakes."""

    def __init__(self, wiki: Any) -> None:
        self.name, self.wiki = "wiki", wiki

    def up(self) -> None:
        self.wiki.start(timeout=60)

    def down(self) -> None:
        self.wiki.stop()


class Fakes:
    """Everything the hub talks to, started by :meth:`start`, stopped by :meth:`stop`."""

    def __init__(self) -> None:
        self.mantis = FakeMantis()
        self.jira = FakeJira()
        self.folder = Path(tempfile.mkdtemp(prefix="slahub-soak-fakes-"))
        self._exit = contextlib.ExitStack()
        self.sites: dict[str, str] = {}  # application key → its fake site's URL
        self.wiki: Any = None
        handler = type("Handler", (JiraHandler,), {"fake": self.jira})

        def jira_server(port: int) -> ThreadingHTTPServer:
            server = ThreadingHTTPServer(("127.0.0.1", port), handler)
            server.daemon_threads = True
            return server

        def mantis_server(port: int) -> Any:
            return make_server(
                "127.0.0.1", port, self.mantis, threaded=True, request_handler=MantisHandler
            )

        self.mantis_http = Restartable("mantis", mantis_server)
        self.jira_http = Restartable("jira", jira_server)

    def start(self, applications: list[str]) -> None:
        """Start the fakes; each application gets a Drupal site of another kind."""
        from tests.support.mediawiki import copy_wiki, install_template, missing_parts

        self.mantis_http.up()
        self.mantis.url = f"http://127.0.0.1:{self.mantis_http.port}"
        self.jira_http.up()
        self.jira.url = f"http://127.0.0.1:{self.jira_http.port}"
        self.feeds = self._exit.enter_context(FeedServer())
        kinds = [
            fake_drupal_sites.careless,
            fake_drupal_sites.hardened,
            fake_drupal_sites.drupal7,
            fake_drupal_sites.drupal10,
        ]
        for n, key in enumerate(applications):
            server = self._exit.enter_context(fake_drupal.serve(kinds[n % len(kinds)]()))
            self.sites[key] = server.url
        missing = missing_parts()
        if missing:
            raise RuntimeError(
                f"the soak uses a real MediaWiki: {missing} (apt-get install mediawiki "
                "php-cli php-sqlite3 php-mbstring php-intl php-xml)"
            )
        self.wiki = copy_wiki(install_template(self.folder / "template"), self.folder / "wiki")
        self.wiki.start(timeout=60)
        self.outages = [self.mantis_http, self.jira_http, WikiOutage(self.wiki)]

    def stop(self) -> None:
        for part in (self.mantis_http, self.jira_http):
            part.down()
        if self.wiki is not None:
            self.wiki.stop()
        self._exit.close()

    # --- what the hub wrote, read back for the checks ----------------------------

    def mantis_duplicates(self) -> dict[str, Any]:
        """Issues the hub created per call and notes per delivery: each must be 1."""
        with self.mantis.lock:
            issues = list(self.mantis.issues.values())
            by_call: Counter[str] = Counter()
            by_delivery: Counter[str] = Counter()
            by_marker: Counter[tuple[int, str]] = Counter()
            for issue in issues:
                if issue["reporter"]["id"] == HUB_ACCOUNT_ID:
                    for m in MARK.finditer(issue["description"] or ""):
                        by_call[m.group(1)] += 1
                for note in issue["notes"]:
                    if note["reporter"]["id"] != HUB_ACCOUNT_ID:
                        continue
                    for m in MARK.finditer(note["text"]):
                        by_delivery[m.group(2)] += 1
                    for m in SOAK_MARKER.finditer(note["text"]):
                        by_marker[(issue["id"], m.group(1))] += 1
        return {
            "issues made by the hub": sum(by_call.values()),
            "notes posted by the hub": sum(by_delivery.values()),
            "calls with >1 issue": sorted(k for k, v in by_call.items() if v > 1),
            "deliveries with >1 note": sorted(k for k, v in by_delivery.items() if v > 1),
            "notes posted twice": sorted(str(k) for k, v in by_marker.items() if v > 1),
            "hub notes (distinct)": len({m for _, m in by_marker}),
        }

    def jira_duplicates(self) -> dict[str, Any]:
        """Issues the hub created per call (by label) and comments per note: each 1."""
        with self.jira.lock:
            issues = list(self.jira.issues.values())
            comments = {key: list(found) for key, found in self.jira.comments.items()}
        by_call: Counter[str] = Counter()
        for issue in issues:
            for label in issue["fields"]["labels"]:
                if label.startswith("slahub-call-"):
                    by_call[label] += 1
        by_marker: Counter[tuple[str, str]] = Counter()
        for key, found in comments.items():
            for comment in found:
                for m in SOAK_MARKER.finditer(str(comment["body"])):
                    by_marker[(key, m.group(1))] += 1
        return {
            "issues made by the hub": sum(by_call.values()),
            "comments posted by the hub": sum(len(c) for c in comments.values()),
            "calls with >1 issue": sorted(k for k, v in by_call.items() if v > 1),
            "notes commented twice": sorted(str(k) for k, v in by_marker.items() if v > 1),
        }

    def wiki_edits(self) -> dict[str, Any]:
        """Pages the hub's bot edited and its edits (the plugin saves a page only when its
        text changed, so a delivery run twice adds no revision)."""
        answer = self.wiki.person.site.get(
            "query", list="usercontribs", ucuser="Hubbot", uclimit="max"
        )
        edits = answer["query"]["usercontribs"]
        return {"pages edited by the hub": len({e["title"] for e in edits}), "edits": len(edits)}
