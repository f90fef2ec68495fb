"""Read-only HTTP access to one site for the site checks; knows nothing of Flask.

A :class:`SiteFetcher` wraps one ``requests`` session per site so that every check
shares the same limits: a timeout on every request, a body read only up to
``max_body``, a request budget (a check run must never hammer a client's site), and
redirects followed only when asked (a check usually wants to see the redirect itself).
Failures that say something about the site — timeouts, refused or reset connections,
TLS errors, an answer that is not HTTP, redirect loops — come back as a
:class:`Fetched` with ``error`` set instead of being raised, because for a site check
they are findings, not bugs.

``rebuild.php`` is never requested, not even through a redirect: when
``$settings['rebuild_access']`` is on, a GET really rebuilds every cache (§4.5 #14).
"""

from __future__ import annotations

import http.client
import os
import socket
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import NamedTuple
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from requests.structures import CaseInsensitiveDict

DEFAULT_USER_AGENT = "SLA-Hub-site-check/1.0 (+https://github.com/slahub; read-only checks)"
FORBIDDEN = "rebuild.php"
MAX_REDIRECTS = 10
CHUNK = 16 * 1024


@dataclass(frozen=True)
class Fetched:
    """One answer (or the reason there was none). ``url`` is what was asked for,
    ``final_url`` where the answer came from after redirects, ``history`` the
    ``(status, url)`` of each redirect followed; ``error`` is None for any HTTP answer,
    whatever its status."""

    url: str
    status: int | None = None
    headers: Mapping[str, str] = field(default_factory=CaseInsensitiveDict)
    body: str = ""
    content: bytes = b""
    elapsed: float = 0.0
    final_url: str = ""
    history: tuple[tuple[int, str], ...] = ()
    error: str | None = None
    truncated: bool = False

    @property
    def ok(self) -> bool:
        """True when an HTTP answer came back (of any status)."""
        return self.error is None and self.status is not None

    def header(self, name: str) -> str:
        """A header's value, ``""`` when absent (names are case-insensitive)."""
        return self.headers.get(name, "") or ""


class CertStatus(NamedTuple):
    """The TLS probe's result: ``valid`` (trusted, in date, right host), ``not_after``
    (also for an untrusted certificate when it could be read) and ``error``."""

    valid: bool
    not_after: datetime | None
    error: str | None

    @property
    def checked(self) -> bool:
        """False when no certificate could be seen at all (no HTTPS, no connection)."""
        return self.valid or self.not_after is not None or self.error is None


class SiteFetcher:
    """Requests against one site (``base_url``, possibly with a sub-directory), within a
    budget of ``budget`` requests. ``verify`` is True, False or a CA bundle path, as in
    ``requests``. ``http_url`` is where plain HTTP is served (default: the same host on
    port 80), used to check the redirect to HTTPS."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 10.0,
        budget: int = 40,
        user_agent: str = DEFAULT_USER_AGENT,
        verify: bool | str = True,
        max_body: int = 256 * 1024,
        http_url: str | None = None,
    ) -> None:
        self.base_url = _normalise_base(base_url)
        self.timeout = timeout
        self.budget = budget
        self.verify = verify
        self.max_body = max_body
        self._http_url = http_url.rstrip("/") if http_url else None
        self.requests = 0
        self.session = requests.Session()
        self.session.headers["User-Agent"] = user_agent

    def close(self) -> None:
        """Close the session's pooled connections."""
        self.session.close()

    @property
    def https(self) -> bool:
        """Whether the site's base URL is HTTPS."""
        return self.base_url.startswith("https://")

    @property
    def http_url(self) -> str:
        """The plain-HTTP address of the site (for the HTTPS redirect check)."""
        if self._http_url:
            return self._http_url
        parts = urlsplit(self.base_url)
        return f"http://{parts.hostname}{parts.path}"

    def rebase(self, url: str) -> None:
        """Make ``url`` (e.g. where http:// redirected to) the base for later requests."""
        self.base_url = _normalise_base(url)

    def url_for(self, path: str) -> str:
        """``path`` below the base URL; absolute http(s) URLs are kept as they are."""
        if path.startswith(("http://", "https://")):
            return path
        return self.base_url + "/" + path.lstrip("/")

    @property
    def remaining(self) -> int:
        """Requests left in the budget."""
        return max(0, self.budget - self.requests)

    def get(self, path: str = "/", *, follow: bool = False, method: str = "GET") -> Fetched:
        """Request ``path`` (GET or HEAD); follow redirects only when ``follow``.

        Never raises for what the network or the site does; raises ValueError for
        ``rebuild.php``. Each request, redirects included, counts against the budget."""
        url = self.url_for(path)
        _refuse_forbidden(url)
        started = time.monotonic()
        history: list[tuple[int, str]] = []
        seen = {url}
        current = url
        while True:
            if self.requests >= self.budget:
                return Fetched(
                    url, final_url=current, error=f"request budget of {self.budget} spent"
                )
            self.requests += 1
            answer = self._one(url, current, method, started)
            if answer.error or not follow or not _is_redirect(answer):
                return _with_history(answer, history, started)
            target = urljoin(current, answer.header("Location"))
            history.append((answer.status or 0, current))
            if FORBIDDEN in target.lower():
                error = f"redirect to {target} not followed ({FORBIDDEN} is never requested)"
                return _with_history(_failed(url, current, error), history, started)
            if target in seen or len(history) >= MAX_REDIRECTS:
                error = f"redirect loop: {len(history)} redirects, back to {target}"
                return _with_history(_failed(url, target, error), history, started)
            seen.add(target)
            current = target
            if answer.status == 303:
                method = "GET"

    def _one(self, url: str, current: str, method: str, started: float) -> Fetched:
        """One request, no redirects; the body read up to ``max_body`` within the time."""
        try:
            response = self.session.request(
                method,
                current,
                allow_redirects=False,
                timeout=self.timeout,
                stream=True,
                verify=self.verify,
            )
            try:
                content, truncated = self._read(response, started)
            finally:
                response.close()
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            return _failed(url, current, describe(exc, self.timeout))
        except http.client.HTTPException as exc:
            return _failed(url, current, describe(exc, self.timeout))
        return Fetched(
            url,
            status=response.status_code,
            headers=CaseInsensitiveDict(response.headers),
            body=_decode(content, response.encoding),
            content=content,
            final_url=current,
            truncated=truncated,
        )

    def _read(self, response: requests.Response, started: float) -> tuple[bytes, bool]:
        """At most ``max_body`` bytes; a body that drips slower than three timeouts in
        all is cut off as a timeout (the per-read timeout alone would let it run on)."""
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_content(CHUNK):
            chunks.append(chunk)
            size += len(chunk)
            if size >= self.max_body:
                return b"".join(chunks)[: self.max_body], True
            if time.monotonic() - started > 3 * self.timeout:
                raise requests.Timeout(f"body not read within {3 * self.timeout:g} s")
        return b"".join(chunks), False

    def certificate(self) -> CertStatus:
        """Probe the site's TLS certificate with the fetcher's timeout (counts as one
        request). Expired, self-signed or wrong-host certificates are invalid with the
        reason, and still give their expiry, read without verification."""
        parts = urlsplit(self.base_url)
        if parts.scheme != "https":
            return CertStatus(False, None, "no HTTPS: the site is served over plain HTTP")
        if self.requests >= self.budget:
            return CertStatus(False, None, f"request budget of {self.budget} spent")
        self.requests += 1
        host, port = parts.hostname or "", parts.port or 443
        context = _trust(self.verify)
        try:
            with (
                socket.create_connection((host, port), timeout=self.timeout) as sock,
                context.wrap_socket(sock, server_hostname=host) as tls,
            ):
                cert = tls.getpeercert() or {}
            not_after = datetime.fromtimestamp(ssl.cert_time_to_seconds(cert["notAfter"]), UTC)
            return CertStatus(True, not_after, None)
        except ssl.SSLCertVerificationError as exc:
            reason = f"certificate not trusted: {exc.verify_message}"
            return CertStatus(False, self._unverified_not_after(host, port), reason)
        except (OSError, KeyError, ValueError) as exc:
            return CertStatus(False, None, f"TLS connection failed: {describe(exc, self.timeout)}")

    def _unverified_not_after(self, host: str, port: int) -> datetime | None:
        """The expiry of whatever certificate the server shows, trusted or not."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        try:
            with (
                socket.create_connection((host, port), timeout=self.timeout) as sock,
                context.wrap_socket(sock, server_hostname=host) as tls,
            ):
                der = tls.getpeercert(binary_form=True)
        except OSError:
            return None
        return der_not_after(der) if der else None


def der_not_after(der: bytes) -> datetime | None:
    """The ``notAfter`` of a DER X.509 certificate, or None if it cannot be read.

    A few lines of DER walking instead of a dependency: ``cryptography`` is not among
    the hub's requirements, and the validity dates sit at a fixed place in
    ``tbsCertificate`` (after version, serial, signature algorithm and issuer)."""
    try:
        _, start, _ = _tlv(der, 0)  # Certificate
        _, index, _ = _tlv(der, start)  # tbsCertificate
        tag, _, end = _tlv(der, index)
        if tag == 0xA0:  # explicit version: the serial number follows
            tag, _, end = _tlv(der, end)
        for _ in range(2):  # signature algorithm, issuer
            tag, _, end = _tlv(der, end)
        _, validity, _ = _tlv(der, end)
        _, _, before_end = _tlv(der, validity)
        tag, start, end = _tlv(der, before_end)
        text = der[start:end].decode("ascii").rstrip("Z")
        if tag == 0x17:  # UTCTime, YYMMDDHHMMSSZ
            year = int(text[:2])
            text = f"{2000 + year if year < 50 else 1900 + year}{text[2:]}"
        elif tag != 0x18:  # GeneralizedTime, YYYYMMDDHHMMSSZ
            return None
        return datetime.strptime(text[:14], "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except (IndexError, ValueError, UnicodeDecodeError):
        return None


def _tlv(data: bytes, index: int) -> tuple[int, int, int]:
    """DER tag, content start and content end at ``index``."""
    tag, length = data[index], data[index + 1]
    index += 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(data[index : index + count], "big")
        index += count
    if index + length > len(data):
        raise IndexError("truncated DER")
    return tag, index, index + length


def describe(exc: BaseException, timeout: float) -> str:
    """A short, human reason for a failed request, found anywhere in the exception's
    chain (requests wraps urllib3, which wraps the socket or http.client error)."""
    chain = _chain(exc)
    for error in chain:
        if isinstance(error, ssl.SSLCertVerificationError):
            return f"TLS error: {error.verify_message}"
    for error in chain:
        if isinstance(error, ConnectionRefusedError):
            return "connection refused"
        if isinstance(error, http.client.RemoteDisconnected):
            return "connection closed without an answer"
        if isinstance(error, ConnectionResetError | BrokenPipeError):
            return "connection reset"
        if isinstance(error, http.client.HTTPException):
            return f"not an HTTP answer ({type(error).__name__}: {_printable(str(error))})"
        if isinstance(error, ssl.SSLError):
            return f"TLS error: {error.reason or error}"
        if isinstance(error, socket.gaierror):
            return f"name not resolved ({error})"
    # Only now: urllib3's NewConnectionError is a ConnectTimeoutError even when refused.
    for error in chain:
        if isinstance(error, requests.Timeout | urllib3.exceptions.TimeoutError | TimeoutError):
            return f"timeout after {timeout:g} s"
    return f"{type(exc).__name__}: {str(exc)[:160]}"


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and every exception reachable from it (args, cause, reason)."""
    found: list[BaseException] = []
    todo: list[object] = [exc]
    while todo and len(found) < 20:
        item = todo.pop(0)
        if not isinstance(item, BaseException) or any(item is seen for seen in found):
            continue
        found.append(item)
        todo.extend(item.args)
        todo.extend([item.__cause__, item.__context__, getattr(item, "reason", None)])
    return found


def _normalise_base(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) site address: {url!r}")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def _refuse_forbidden(url: str) -> None:
    if FORBIDDEN in url.lower():
        raise ValueError(f"{FORBIDDEN} is never requested: it may rebuild every cache ({url})")


def _is_redirect(answer: Fetched) -> bool:
    return answer.status in (301, 302, 303, 307, 308) and bool(answer.header("Location"))


def _failed(url: str, current: str, error: str) -> Fetched:
    return Fetched(url, final_url=current, error=error)


def _with_history(answer: Fetched, history: list[tuple[int, str]], started: float) -> Fetched:
    return Fetched(
        answer.url,
        status=answer.status,
        headers=answer.headers,
        body=answer.body,
        content=answer.content,
        elapsed=time.monotonic() - started,
        final_url=answer.final_url,
        history=tuple(history),
        error=answer.error,
        truncated=answer.truncated,
    )


def _decode(content: bytes, encoding: str | None) -> str:
    try:
        return content.decode(encoding or "utf-8", errors="replace")
    except LookupError:
        return content.decode("utf-8", errors="replace")


def _trust(verify: bool | str) -> ssl.SSLContext:
    """The context that decides whether a certificate is valid: the system's trust, or
    the CA bundle given as ``verify``. ``verify=False`` still judges against the
    system's trust: the probe exists to report on the certificate."""
    if isinstance(verify, str):
        if os.path.isdir(verify):
            return ssl.create_default_context(capath=verify)
        return ssl.create_default_context(cafile=verify)
    return ssl.create_default_context()


def _printable(text: str, limit: int = 80) -> str:
    """Garbage made fit for a report: control bytes dropped, whitespace squeezed."""
    return " ".join("".join(c for c in text if c.isprintable() or c.isspace()).split())[:limit]
