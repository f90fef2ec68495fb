"""Fake web sites on 127.0.0.1 (HTTP or HTTPS, one thread per connection) for the
Drupal site checks.

A :class:`FakeSite` says what a site answers: ``pages`` by path (``"/?q=admin"`` is
looked up before ``"/"``), ``headers`` added to every answer, what unknown paths get
(a 404 page, or the front page when the site has no clean URLs), and how it misbehaves
(``delay`` before answering, ``behaviour``: ``"http"``, ``"garbage"`` bytes that are
not HTTP, ``"reset"`` the connection, ``"loop"`` of redirects, ``"redirect"`` every
path to ``redirect_to``). Ready-made sites live in :mod:`tests.support.fake_drupal_sites`.

:func:`serve` runs one and yields a :class:`Server` with ``url``; ``tls`` takes a
certificate :class:`~tests.support.fake_drupal_tls.Pair`. Every request path is logged
in ``site.requests``.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.support.fake_drupal_tls import Pair


@dataclass
class Page:
    """One answer: status, body (text or bytes) and its own headers."""

    status: int = 200
    body: str | bytes = ""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "text/html; charset=UTF-8"


@dataclass
class FakeSite:
    """What a fake site answers; mutable so a test can change one thing."""

    pages: dict[str, Page] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    not_found: Page = field(default_factory=lambda: Page(404, "<h1>Page not found</h1>"))
    front_page_fallback: bool = False  # no clean URLs: unknown paths get "/" with 200
    delay: float = 0.0
    behaviour: str = "http"  # http | garbage | reset | loop | redirect
    redirect_to: str = ""
    requests: list[str] = field(default_factory=list)

    def page_for(self, target: str) -> Page:
        """The page for a request target (path and query)."""
        if target in self.pages:
            return self.pages[target]
        path = target.split("?", 1)[0]
        if path in self.pages:
            return self.pages[path]
        if self.front_page_fallback and "/" in self.pages:
            return self.pages["/"]
        return self.not_found


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    server: _Server

    def setup(self) -> None:
        # TLS is negotiated here, in the connection's own thread, so a client that
        # rejects the certificate never blocks the accepting loop.
        if self.server.tls is not None:
            self.request.settimeout(5)
            self.request = self.server.tls.wrap_socket(self.request, server_side=True)
        super().setup()

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._answer(head=False)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(head=True)

    def _answer(self, head: bool) -> None:
        site = self.server.site
        site.requests.append(self.path)
        if site.delay:
            time.sleep(site.delay)
        if site.behaviour == "garbage":
            self.wfile.write(b"\x16\x03\x01\x00garbage that is not HTTP\r\n\r\n")
            self.close_connection = True
            return
        if site.behaviour == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        if site.behaviour == "loop":
            target = "/loop-b" if self.path == "/loop-a" else "/loop-a"
            page = Page(302, "", {"Location": target})
        elif site.behaviour == "redirect":
            page = Page(301, "", {"Location": site.redirect_to + self.path})
        else:
            page = site.page_for(self.path)
        body = page.body.encode() if isinstance(page.body, str) else page.body
        self.send_response(page.status)
        for name, value in {"Content-Type": page.content_type, **site.headers,
                            **page.headers}.items():  # fmt: skip
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def finish(self) -> None:
        with contextlib.suppress(OSError, ValueError):  # the socket was reset on purpose
            super().finish()
        if self.server.tls is not None:  # the server only closes the socket it accepted
            with contextlib.suppress(OSError):
                self.request.close()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Quiet: the tests read ``site.requests`` instead."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a slow answer still sleeping must not hold up the test

    def __init__(self, site: FakeSite, tls: ssl.SSLContext | None) -> None:
        self.site = site
        self.tls = tls
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        """Quiet: refused handshakes and resets are what some tests are about."""


@dataclass
class Server:
    """A running fake site: ``url`` (no trailing slash) and its ``site``."""

    url: str
    site: FakeSite
    port: int


@contextmanager
def serve(site: FakeSite, tls: Pair | None = None) -> Iterator[Server]:
    """Serve ``site`` on a random loopback port for the ``with`` block."""
    context = None
    if tls is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(tls.cert, tls.key)
    server = _Server(site, context)
    port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    scheme = "https" if tls else "http"
    try:
        yield Server(f"{scheme}://127.0.0.1:{port}", site, port)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=2)


@contextmanager
def closed_port() -> Iterator[str]:
    """A loopback URL where nothing listens (connection refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    yield f"http://127.0.0.1:{port}"
