"""Drupal.org's update feeds: the release history of a project and the PSA feed.

Parsing follows core's own update module (every child kept as text, ``terms`` gathered
into release types; a release is a security release iff its types contain ``Security
update``, insecure iff they contain ``Insecure``); an unknown project answers an
``<error>`` root, which is a :class:`FeedError`. :class:`FeedCache` fetches each feed
once per TTL for all the sites of a run (threads share it), revalidates with
conditional requests, and keeps serving the last good copy when drupal.org fails, saying
so. Knows nothing of Flask.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import requests

log = logging.getLogger(__name__)

RELEASE_HISTORY_URL = "https://updates.drupal.org/release-history/{project}/current"
PSA_URL = "https://updates.drupal.org/psa.json"
USER_AGENT = "SLA-Hub site checks (+https://github.com/slahub; polite, cached feed reads)"

T = TypeVar("T")


class FeedError(Exception):
    """A feed could not be had: network failure, HTTP error, malformed or unknown project.
    The message names the URL and what went wrong."""


# --- Release history ------------------------------------------------------------------


@dataclass(frozen=True)
class Release:
    """One ``<release>`` of a project's release history."""

    version: str
    major: int | None
    minor: int | None
    patch: int | None
    extra: str | None
    status: str
    date: int | None
    security_covered: bool
    release_types: tuple[str, ...] = ()
    link: str | None = None

    @property
    def published(self) -> bool:
        return self.status == "published"

    @property
    def is_security_update(self) -> bool:
        return "Security update" in self.release_types

    @property
    def is_insecure(self) -> bool:
        return "Insecure" in self.release_types

    @property
    def prerelease(self) -> bool:
        """alpha, beta, rc or dev: never covered by the security advisory policy."""
        return bool(self.extra) or self.major == 0


@dataclass(frozen=True)
class Project:
    """A project's release history (``<project>``)."""

    title: str
    short_name: str
    type: str
    supported_branches: tuple[str, ...]
    project_status: str
    releases: tuple[Release, ...] = ()

    @property
    def published(self) -> bool:
        return self.project_status == "published"

    def release(self, version: str) -> Release | None:
        return next((r for r in self.releases if r.version == version), None)


def _text(elem: ET.Element, tag: str) -> str:
    child = elem.find(tag)
    return (child.text or "").strip() if child is not None else ""


def _int(value: str) -> int | None:
    return int(value) if value.strip().isdigit() else None


def parse_release_history(body: bytes, url: str = "") -> Project:
    """The project in a release-history XML body; FeedError for ``<error>`` or bad XML."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise FeedError(f"{url}: not XML ({exc})") from exc
    if root.tag == "error":
        raise FeedError(f"{url}: drupal.org says: {(root.text or '').strip() or 'error'}")
    if root.tag != "project":
        raise FeedError(f"{url}: unexpected root element <{root.tag}>")
    releases = []
    for rel in root.iterfind("releases/release"):
        security = rel.find("security")
        types = tuple(
            _text(term, "value")
            for term in rel.iterfind("terms/term")
            if _text(term, "name") == "Release type"
        )
        releases.append(
            Release(
                version=_text(rel, "version"),
                major=_int(_text(rel, "version_major")),
                minor=_int(_text(rel, "version_minor")),
                patch=_int(_text(rel, "version_patch")),
                extra=_text(rel, "version_extra") or None,
                status=_text(rel, "status"),
                date=_int(_text(rel, "date")),
                security_covered=security is not None and security.get("covered") == "1",
                release_types=types,
                link=_text(rel, "release_link") or None,
            )
        )
    branches = _text(root, "supported_branches")
    return Project(
        title=_text(root, "title"),
        short_name=_text(root, "short_name"),
        type=_text(root, "type"),
        supported_branches=tuple(b.strip() for b in branches.split(",") if b.strip()),
        project_status=_text(root, "project_status"),
        releases=tuple(releases),
    )


# --- PSA feed -------------------------------------------------------------------------


@dataclass(frozen=True)
class Advisory:
    """One item of psa.json: a security advisory, or a PSA when ``is_psa``."""

    title: str
    link: str
    project: str
    type: str
    is_psa: bool
    insecure: tuple[str, ...]
    pub_date: str


def parse_psa(body: bytes, url: str = "") -> list[Advisory]:
    """The advisories in a psa.json body (a JSON array); FeedError when it is not one."""
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise FeedError(f"{url}: not JSON ({exc})") from exc
    if not isinstance(data, list):
        raise FeedError(f"{url}: expected a JSON array, got {type(data).__name__}")
    items = []
    for item in data:
        if not isinstance(item, dict):
            raise FeedError(f"{url}: an item is not an object: {item!r:.80}")
        items.append(
            Advisory(
                title=str(item.get("title", "")),
                link=str(item.get("link", "")),
                project=str(item.get("project", "")),
                type=str(item.get("type", "")),
                is_psa=str(item.get("is_psa", "0")) in ("1", "True", "true"),
                insecure=tuple(str(v) for v in item.get("insecure") or ()),
                pub_date=str(item.get("pubDate", "")),
            )
        )
    return items


# --- Cache ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Feed(Generic[T]):
    """A feed as served by the cache: its parsed value and where it came from.

    ``stale`` says the last fetch failed and this is the last good copy (``note`` says
    why and how old it is)."""

    url: str
    value: T
    fetched_at: str
    stale: bool = False
    note: str = ""


@dataclass
class _Entry:
    lock: threading.Lock = field(default_factory=threading.Lock)
    feed: Feed[Any] | None = None
    etag: str | None = None
    last_modified: str | None = None
    checked: float | None = None  # monotonic time of the last attempt (good or bad)
    error: str | None = None


class FeedCache:
    """Fetches each feed URL at most once per ``ttl`` seconds, whatever the number of
    threads asking. Revalidation sends ``If-None-Match``/``If-Modified-Since``; a 304
    keeps the copy. A failed fetch serves the last good copy marked stale, or raises
    FeedError when there never was one; either way the failure is remembered for
    ``error_ttl`` seconds so that a run over many sites does not retry it for each."""

    def __init__(
        self,
        *,
        release_history_url: str = RELEASE_HISTORY_URL,
        psa_url: str = PSA_URL,
        ttl: float = 3600.0,
        error_ttl: float = 60.0,
        timeout: float = 10.0,
        user_agent: str = USER_AGENT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.release_history_url = release_history_url
        self.psa_url = psa_url
        self.ttl, self.error_ttl, self.timeout = ttl, min(error_ttl, ttl), timeout
        self.user_agent = user_agent
        self.clock = clock
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()
        #: HTTP requests made, and how many of them were answered 304.
        self.requests = 0
        self.not_modified = 0

    def release_history(self, project: str = "drupal") -> Feed[Project]:
        url = self.release_history_url.format(project=project)
        return self._get(url, parse_release_history)

    def advisories(self) -> Feed[list[Advisory]]:
        return self._get(self.psa_url, parse_psa)

    def state(self) -> list[dict[str, Any]]:
        """What each feed's copy is (for health): URL, when fetched, last error."""
        with self._lock:
            entries = list(self._entries.items())
        return [
            {
                "url": url,
                "fetched_at": e.feed.fetched_at if e.feed else None,
                "error": e.error,
            }
            for url, e in entries
        ]

    def _entry(self, url: str) -> _Entry:
        with self._lock:
            return self._entries.setdefault(url, _Entry())

    def _get(self, url: str, parse: Callable[[bytes, str], Any]) -> Feed[Any]:
        entry = self._entry(url)
        with entry.lock:  # one fetch per URL at a time; the others wait and share it
            now = self.clock()
            fresh = entry.checked is not None and now - entry.checked < (
                self.error_ttl if entry.error else self.ttl
            )
            if not fresh:
                self._refresh(url, entry, parse)
            if entry.error:
                if entry.feed is None:
                    raise FeedError(entry.error)
                note = f"serving the copy of {entry.feed.fetched_at}: {entry.error}"
                return replace(entry.feed, stale=True, note=note)
            assert entry.feed is not None
            return entry.feed

    def _refresh(self, url: str, entry: _Entry, parse: Callable[[bytes, str], Any]) -> None:
        """Fetch (conditionally when there is a copy) and record the outcome in ``entry``."""
        headers = {"User-Agent": self.user_agent, "Accept-Encoding": "gzip"}
        if entry.feed is not None:
            if entry.etag:
                headers["If-None-Match"] = entry.etag
            if entry.last_modified:
                headers["If-Modified-Since"] = entry.last_modified
        entry.checked = self.clock()
        with self._lock:
            self.requests += 1
        try:
            response = requests.get(url, headers=headers, timeout=self.timeout)
            if response.status_code == 304 and entry.feed is not None:
                with self._lock:
                    self.not_modified += 1
                entry.error = None
                return
            if response.status_code != 200:
                raise FeedError(f"{url}: HTTP {response.status_code}")
            value = parse(response.content, url)
        except (requests.RequestException, FeedError) as exc:
            # The boundary: drupal.org being down must not stop the checks; the message
            # is kept and shown as the checks' evidence (and in health).
            entry.error = str(exc) if isinstance(exc, FeedError) else f"{url}: {exc!r}"
            log.warning("feed %s failed: %s", url, entry.error)
            return
        entry.feed = Feed(url=url, value=value, fetched_at=datetime.now(UTC).isoformat())
        entry.etag = response.headers.get("ETag")
        entry.last_modified = response.headers.get("Last-Modified")
        entry.error = None
