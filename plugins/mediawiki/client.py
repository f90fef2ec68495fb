"""The hub's MediaWiki client: mwclient 0.11 behind a few typed methods, no Flask.

The hub logs in with a bot password (``User@bot`` and the generated password) on the
first call. mwclient's own retries are off by default (its default is 25 tries 30 s
apart): a failed call fails the outbox delivery and the hub's worker retries it with
backoff. Every request has ``timeout`` seconds.

Writing is read-then-save: :meth:`WikiClient.read` returns a :class:`WikiPage` that
remembers the revision it saw, and :meth:`WikiClient.save` sends that revision's id
(``baserevid``), so a person's edit in between raises :class:`WikiConflict` instead of being
overwritten. :meth:`WikiClient.write` does the loop (read, make the text from the
current text, save, re-read on a conflict). When the two edits touch different lines
MediaWiki merges them itself (diff3, ``$wgDiff3``) and reports no conflict. A save
whose text equals the stored text after MediaWiki's own normalisation
(:func:`normalise_text`) sends nothing: the page history never gets an empty revision.

Errors come out as the hub's kinds, naming the action, page and URL:
:class:`WikiRefused` and its subclasses are :class:`hub.hooktypes.ConfigurationError`
(a refused login, a protected page, missing rights: retrying cannot help);
:class:`WikiUnavailable` is worth retrying (connection refused, timeouts, 5xx, rate
limits, database lag, a garbled answer); :class:`WikiConflict` asks for a re-read.
"""

from __future__ import annotations

import contextlib
import logging
import time
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import mwclient
import requests
from mwclient import errors as mwerrors

from hub.hooktypes import ConfigurationError

log = logging.getLogger(__name__)

USER_AGENT = "slahub-mediawiki/1.0 (SLA Hub service desk)"

#: API error codes that mean "the page changed since it was read": re-read and retry.
CONFLICT_CODES = {"editconflict", "articleexists", "missingtitle", "pagedeleted"}
#: API error codes that retrying later may cure.
RETRYABLE_CODES = {"ratelimited", "maxlag", "readonly", "actionthrottled", "hookaborted"}
#: API error codes that mean the hub's account may not do this.
PERMISSION_CODES = {
    "permissiondenied", "protectedpage", "protectedtitle", "cascadeprotected", "cantcreate",
    "noedit", "writeapidenied", "readapidenied", "blocked", "autoblocked",
    "mwoauth-invalid-authorization",
}  # fmt: skip
#: API error codes that mean the login session is gone: log in again.
SESSION_CODES = {"assertuserfailed", "assertbotfailed", "badtoken", "notloggedin"}
#: How long pages read ahead (:meth:`WikiClient.read_ahead`) are handed out.
READ_AHEAD_SECONDS = 120.0
#: What PHP's rtrim() strips (MediaWiki trims saved text with it; not Unicode spaces).
PHP_TRIM = " \t\n\r\0\x0b"


class WikiError(Exception):
    """A MediaWiki call failed; ``url`` and ``status`` (None without an HTTP error)."""

    def __init__(self, message: str, *, url: str, status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


class WikiUnavailable(WikiError):
    """The wiki is down, slow, lagging, rate-limiting or answering garbage: retry."""


class WikiSessionLost(WikiUnavailable):
    """The login session expired or was refused mid-way; the next call logs in again."""


class WikiConflict(WikiError):
    """The page changed (edited, created or deleted) since it was read: re-read it."""


class WikiRefused(WikiError, ConfigurationError):
    """MediaWiki refused the request itself; the same request would fail again."""


class WikiLoginError(WikiRefused):
    """The bot password (or its user name) is wrong or was revoked."""


class WikiPermissionError(WikiRefused):
    """The page is protected, or the hub's account lacks a right or is blocked."""


def normalise_text(text: str) -> str:
    """``text`` as MediaWiki would store it: Unicode NFC (done by its request parsing),
    NUL removed and trailing whitespace trimmed by PHP's rtrim(), then ``\\r\\n`` and
    ``\\r`` turned into ``\\n`` (TextContent::normalizeLineEndings, Parser::preSaveTransform).
    Signatures (``~~~~``), ``subst:`` and the pipe trick are expanded by the wiki too, but
    not here: such text always looks changed, and the wiki's own no-op check decides."""
    text = unicodedata.normalize("NFC", text).replace("\0", "")
    return text.rstrip(PHP_TRIM).replace("\r\n", "\n").replace("\r", "\n")


def normalise_title(title: str) -> str:
    """A main-namespace title as MediaWiki writes it: ``_`` → space, runs of spaces
    collapsed, ends trimmed, first letter upper case (the wiki's default
    ``$wgCapitalLinks``). For other namespaces compare with :attr:`WikiPage.title`."""
    title = " ".join(title.replace("_", " ").split())
    return title[:1].upper() + title[1:]


@dataclass(frozen=True)
class WikiPage:
    """A page as read: ``text`` is exactly what the wiki stores (None when the page does
    not exist); ``title`` is the wiki's normalised title. ``handle`` is mwclient's Page;
    :meth:`WikiClient.save` sends ``revision`` with it, so that edits made since are
    detected."""

    title: str
    exists: bool
    text: str | None
    revision: int | None
    timestamp: str | None
    handle: mwclient.page.Page = field(repr=False, compare=False)


class WikiClient:
    """One MediaWiki, logged in lazily as a bot; every request has ``timeout`` seconds.

    Give either ``url`` (the folder holding ``api.php``, e.g. ``https://wiki.example.org/w/``)
    or ``host`` (no scheme) with ``path`` and ``scheme``. ``retries`` is how often
    mwclient itself repeats a failed request (0: the outbox retries instead).
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        host: str | None = None,
        path: str = "/w/",
        scheme: str = "https",
        user: str,
        bot_password: str,
        timeout: float = 10.0,
        retries: int = 0,
        user_agent: str = USER_AGENT,
    ) -> None:
        if url:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError(f"not a wiki URL: {url!r} (want e.g. https://wiki.example.org/w/)")
            scheme, host = parts.scheme, parts.netloc
            path = parts.path.removesuffix("api.php").removesuffix("index.php")
        if not host:
            raise ValueError("WikiClient needs url, or host with path and scheme")
        self.scheme, self.host = scheme, host
        self.path = "/" + path.strip("/") + "/" if path.strip("/") else "/"
        self.api_url = f"{scheme}://{host}{self.path}api.php"
        self.user, self.bot_password = user, bot_password
        self.timeout, self.retries, self.user_agent = timeout, retries, user_agent
        self._site: mwclient.Site | None = None
        self._ahead_at = 0.0
        self._ahead_pages: dict[str, dict[str, Any]] = {}

    def page_url(self, title: str) -> str:
        """The page's address for people (``index.php?title=…`` works on every wiki)."""
        name = normalise_title(title).replace(" ", "_")
        return f"{self.scheme}://{self.host}{self.path}index.php?title={quote(name, safe=':/')}"

    # --- the calls -------------------------------------------------------------------

    def login(self) -> str:
        """Log in now (normally done by the first call); the wiki's name for the user."""
        self._site = None
        return self._connect().username

    def read(self, title: str) -> WikiPage:
        """The page's current text, revision and timestamp, in one request (none when
        :meth:`read_ahead` has it: each page read ahead is handed out once)."""
        site = self._connect()
        info = self._ahead_pages.pop(normalise_title(title), None)
        if info is None or time.monotonic() - self._ahead_at > READ_AHEAD_SECONDS:
            info = self._query(site, title)
            if not site.logged_in:  # the session expired: log in again, read again
                self._site = None
                site = self._connect()
                info = self._query(site, title)
        return self._page(site, title, info)

    def read_ahead(self, prefix: str) -> int:
        """Read every page whose title starts with ``prefix`` (in the main namespace) in
        a few requests, 50 pages each, and keep them for :meth:`read` for
        :data:`READ_AHEAD_SECONDS`: a sync of hundreds of pages then costs a few reads
        instead of one per page. A page read ahead is as it was then; saving it sends that
        revision, so an edit made since is still a conflict and the page is read again.
        Returns how many pages were read; does nothing while an earlier read-ahead is
        fresh."""
        if time.monotonic() - self._ahead_at <= READ_AHEAD_SECONDS and self._ahead_pages:
            return 0
        site = self._connect()
        pages: dict[str, dict[str, Any]] = {}
        more: dict[str, str] | None = {"continue": ""}
        while more is not None:
            with self._translated("read ahead", prefix):
                answer = site.get(
                    "query", generator="allpages", gapprefix=prefix, gapnamespace="0",
                    gaplimit="50", prop="info|revisions", inprop="protection",
                    rvprop="ids|timestamp|content", rvslots="main", curtimestamp="1", **more,
                )  # fmt: skip
            for info in (answer.get("query") or {}).get("pages", {}).values():
                pages[info["title"]] = {**info, "curtimestamp": answer["curtimestamp"]}
            more = answer.get("continue")
        self._ahead_at, self._ahead_pages = time.monotonic(), pages
        return len(pages)

    def _page(self, site: mwclient.Site, title: str, info: dict[str, Any]) -> WikiPage:
        with self._translated("read", title):
            handle = mwclient.page.Page(site, title, info=info)
        revision = (info.get("revisions") or [None])[0]
        if not handle.exists or revision is None:
            return WikiPage(handle.name, False, None, None, None, handle)
        # Not handle.last_rev_time: mwclient would send it as basetimestamp, and then
        # MediaWiki takes an edit by someone else in the same second as the base revision
        # for the hub's own (RevisionStore::userWasLastToEdit compares timestamps with
        # ">"), and overwrites it. save() sends the revision id (baserevid) instead.
        handle.edit_time = time.strptime(info["curtimestamp"], "%Y-%m-%dT%H:%M:%SZ")
        text = revision["slots"]["main"]["*"]
        return WikiPage(handle.name, True, text, revision["revid"], revision["timestamp"], handle)

    def save(self, page: WikiPage, text: str, summary: str) -> str:
        """Save ``text`` over the revision ``page`` was read at: ``"created"``,
        ``"edited"`` or ``"unchanged"`` (nothing sent: the stored text is the same after
        MediaWiki's normalisation). Raises :class:`WikiConflict` when the page changed
        since it was read; re-read it before saving again."""
        if page.exists and page.text == normalise_text(text):
            return "unchanged"
        guard = (
            {"nocreate": "1", "baserevid": str(page.revision)}
            if page.exists
            else {"createonly": "1"}
        )
        with self._translated("save", page.title):
            result = page.handle.edit(text, summary=summary, maxlag="5", **guard)
        if "nochange" in result:
            return "unchanged"
        outcome = "edited" if page.exists else "created"
        log.info("%s %s (revision %s)", outcome, page.title, result.get("newrevid"))
        return outcome

    def write(
        self,
        title: str,
        make_text: Callable[[str | None], str],
        summary: str,
        attempts: int = 3,
    ) -> str:
        """Read the page, make its new text from the current one (None: no page yet),
        save; on a conflict or a lost session read again and make the text again, up
        to ``attempts`` times. Returns what :meth:`save` returns."""
        for attempt in range(1, attempts + 1):
            page = self.read(title)
            try:
                return self.save(page, make_text(page.text), summary)
            except (WikiConflict, WikiSessionLost) as exc:
                if attempt == attempts:
                    raise
                log.info("%s: %s; reading it again (attempt %s)", title, exc, attempt + 1)
        raise ValueError(f"attempts must be at least 1, not {attempts}")

    # --- plumbing --------------------------------------------------------------------

    def _connect(self) -> mwclient.Site:
        """The logged-in site, made on first use (and again after a lost session)."""
        if self._site is not None:
            return self._site
        with self._translated("connect", None):
            site = mwclient.Site(
                self.host,
                path=self.path,
                scheme=self.scheme,
                max_retries=self.retries,
                retry_timeout=1,
                clients_useragent=self.user_agent,
                connection_options={"timeout": self.timeout},
            )
        with self._translated("login", None):
            site.login(self.user, self.bot_password)
        if not site.logged_in:
            raise WikiLoginError(
                f"login to {self.api_url} as {self.user} did not stick", url=self.api_url
            )
        self._site = site
        return site

    def _query(self, site: mwclient.Site, title: str) -> dict[str, Any]:
        """``prop=info|revisions`` for one title: the page's info, its last revision
        (ids, timestamp, content) and the server's time (``curtimestamp``)."""
        with self._translated("read", title):
            answer = site.get(
                "query", prop="info|revisions", titles=title, inprop="protection",
                rvprop="ids|timestamp|content", rvslots="main", curtimestamp="1",
            )  # fmt: skip
            info = next(iter(answer["query"]["pages"].values()))
        return {**info, "curtimestamp": answer["curtimestamp"]}

    @contextlib.contextmanager
    def _translated(self, action: str, title: str | None) -> Iterator[None]:
        """Turn mwclient's and requests' exceptions into the hub's kinds."""
        where = f"{action} {title!r} at {self.api_url}" if title else f"{action} {self.api_url}"
        url = self.api_url
        try:
            yield
        except mwerrors.LoginError as exc:
            raise WikiLoginError(
                f"{where}: login as {self.user} refused: {exc.code}: {exc.info}", url=url
            ) from exc
        except (mwerrors.ProtectedPageError, mwerrors.InsufficientPermission) as exc:
            detail = ": ".join(str(a) for a in exc.args[1:]) or "the page is protected"
            raise WikiPermissionError(
                f"{where}: {self.user} may not do this: {detail}", url=url
            ) from exc
        except mwerrors.AssertUserFailedError as exc:
            self._site = None
            raise WikiSessionLost(f"{where}: the login session is gone", url=url) from exc
        except mwerrors.EditError as exc:  # a conflict, or a filter refusing the text
            detail = exc.args[-1] if exc.args else ""
            if "conflict" in str(detail).lower():
                raise WikiConflict(f"{where}: edit conflict", url=url) from exc
            raise WikiRefused(f"{where}: the wiki refused the edit: {detail}", url=url) from exc
        except mwerrors.InvalidPageTitle as exc:
            raise WikiRefused(f"{where}: invalid title: {exc}", url=url) from exc
        except mwerrors.APIError as exc:
            raise self._api_error(where, exc) from exc
        except mwerrors.MaximumRetriesExceeded as exc:
            raise WikiUnavailable(f"{where}: the wiki is lagging or failing", url=url) from exc
        except (mwerrors.APIDisabledError, mwerrors.MediaWikiVersionError) as exc:
            raise WikiRefused(f"{where}: {exc}", url=url) from exc
        except mwerrors.InvalidResponse as exc:
            raise WikiUnavailable(f"{where}: the answer is not the API's JSON", url=url) from exc
        except requests.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else None
            kind = (
                WikiUnavailable
                if status is None or status >= 500 or status in (408, 429)
                else WikiRefused
            )
            raise kind(f"{where}: HTTP {status}", url=url, status=status) from exc
        except requests.Timeout as exc:
            raise WikiUnavailable(f"{where}: no answer in {self.timeout} s", url=url) from exc
        except requests.RequestException as exc:  # refused, reset, DNS
            raise WikiUnavailable(f"{where}: cannot connect: {exc}", url=url) from exc

    def _api_error(self, where: str, exc: mwerrors.APIError) -> WikiError:
        code, info, url = exc.code or "", exc.info, self.api_url
        message = f"{where}: {code}: {info}"
        if code in CONFLICT_CODES:
            return WikiConflict(message, url=url)
        if code in SESSION_CODES:
            self._site = None
            return WikiSessionLost(message, url=url)
        if code in RETRYABLE_CODES or code.startswith("internal_api_error"):
            return WikiUnavailable(message, url=url)
        if code in PERMISSION_CODES:
            return WikiPermissionError(message, url=url)
        return WikiRefused(message, url=url)
