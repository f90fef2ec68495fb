"""The hub's Jira client: the ``jira`` library behind a few typed methods, no Flask.

The library's own retries are off (``max_retries=0``): a failed call fails the outbox
delivery, and the hub's worker retries it with backoff. Every request has a timeout.
Errors come out as two kinds: :class:`JiraConfigurationError` (a
:class:`hub.hooktypes.ConfigurationError`: Jira refuses the hub's settings — wrong
token, no permission, unknown project or issue type — so the delivery goes dead at once)
and :class:`JiraUnavailable` (5xx, rate limits, connection errors, timeouts, an answer
that is not JSON — worth retrying).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import requests
from jira import JIRA, JIRAError

from hub.hooktypes import ConfigurationError

#: Statuses that retrying may cure; every other 4xx is a request Jira will always refuse.
RETRYABLE = {408, 409, 423, 429}


class JiraError(Exception):
    """A Jira call failed; ``url`` and ``status`` (None without an answer) say where."""

    def __init__(self, message: str, url: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.url, self.status = url, status


class JiraConfigurationError(JiraError, ConfigurationError):
    """Jira refused the hub's settings (401, 403, 404, other 4xx): not retried."""


class JiraUnavailable(JiraError):
    """Jira is down, slow, rate-limiting or answering garbage: retried by the outbox."""


@dataclass(frozen=True)
class Settings:
    """How to reach Jira: ``auth`` is ``basic`` (user + API token) or ``bearer`` (PAT)."""

    url: str
    token: str
    user: str = ""
    auth: str = "basic"
    timeout: float = 10.0


@contextlib.contextmanager
def _translated(what: str, url: str) -> Iterator[None]:
    """Turn the library's and requests' exceptions into the hub's two kinds."""
    try:
        yield
    except JIRAError as exc:
        status = exc.status_code
        where = exc.url or url
        text = (exc.text or "").strip() or "no error message"
        message = f"Jira {what}: {where} answered {status}: {text}"
        if status is None:  # raised by the library itself, e.g. an unknown transition
            raise JiraConfigurationError(f"Jira {what}: {text}", where) from None
        if 400 <= status < 500 and status not in RETRYABLE:
            raise JiraConfigurationError(message, where, status) from None
        raise JiraUnavailable(message, where, status) from None
    except (ValueError, KeyError) as exc:  # a 200 whose body is not Jira's JSON
        raise JiraUnavailable(
            f"Jira {what}: {url} answered something not Jira's JSON: {exc!r}", url
        ) from None
    except requests.Timeout as exc:
        raise JiraUnavailable(f"Jira {what}: {url} timed out: {exc}", url) from None
    except requests.RequestException as exc:
        raise JiraUnavailable(f"Jira {what}: {url} unreachable: {exc}", url) from None


class JiraClient:
    """A connection to one Jira; connects (``GET serverInfo``) on first use."""

    def __init__(self, settings: Settings) -> None:
        if not settings.url:
            raise JiraConfigurationError("Jira url is not set (HUB_JIRA_URL or PLUGINS.jira.url)")
        if not settings.token:
            raise JiraConfigurationError("Jira token is not set (HUB_JIRA_TOKEN)", settings.url)
        if settings.auth not in ("basic", "bearer"):
            raise JiraConfigurationError(f"Jira auth {settings.auth!r}: use basic or bearer")
        if settings.auth == "basic" and not settings.user:
            raise JiraConfigurationError("Jira basic auth needs a user (the account's e-mail)")
        self.settings = settings
        self.url = settings.url.rstrip("/")
        self._jira: JIRA | None = None

    @property
    def jira(self) -> JIRA:
        if self._jira is None:
            s = self.settings
            auth = (
                {"basic_auth": (s.user, s.token)} if s.auth == "basic" else {"token_auth": s.token}
            )
            with _translated("connect", f"{self.url}/rest/api/2/serverInfo"):
                self._jira = JIRA(self.url, max_retries=0, timeout=s.timeout, logging=False, **auth)
        return self._jira

    def browse_url(self, key: str) -> str:
        return f"{self.url}/browse/{key}"

    def myself(self) -> dict:
        """The account the hub uses (a health check with a network call)."""
        with _translated("myself", f"{self.url}/rest/api/2/myself"):
            return self.jira.myself()

    def create_issue(
        self, project_key: str, issue_type: str, summary: str, description: str, labels: list[str]
    ) -> tuple[str, str]:
        """Create an issue; returns its key and browse URL. Dicts for project and type
        spare the library two look-ups."""
        fields = {
            "project": {"key": project_key},
            "issuetype": {"name": issue_type},
            "summary": summary[:250],
            "description": description,
            "labels": labels,
        }
        with _translated("create issue", f"{self.url}/rest/api/2/issue"):
            issue = self.jira.create_issue(fields=fields, prefetch=False)
        return issue.key, self.browse_url(issue.key)

    def find_by_label(self, label: str, project_key: str | None = None) -> list[tuple[str, str]]:
        """Issues carrying ``label`` (key, browse URL), oldest first."""
        jql = f'labels = "{label}"' + (f' AND project = "{project_key}"' if project_key else "")
        with _translated("search", f"{self.url}/rest/api/2/search"):
            found = self.jira.search_issues(
                jql + " ORDER BY created ASC", maxResults=10, fields="key", json_result=True
            )
            keys = [issue["key"] for issue in found["issues"]]
        return [(key, self.browse_url(key)) for key in keys]

    def add_comment(self, key: str, body: str) -> str:
        """Comment on an issue; returns the comment's id."""
        with _translated("add comment", f"{self.url}/rest/api/2/issue/{key}/comment"):
            return str(self.jira.add_comment(key, body).id)

    def find_comment(self, key: str, body: str) -> str | None:
        """The id of a comment on ``key`` with exactly ``body`` (a retry's earlier try)."""
        with _translated("comments", f"{self.url}/rest/api/2/issue/{key}/comment"):
            comments = self.jira.comments(key)
            return next((str(c.id) for c in comments if c.body == body), None)

    def add_remote_link(self, key: str, url: str, title: str) -> None:
        """Link ``url`` from the issue, unless a link to it is there already."""
        where = f"{self.url}/rest/api/2/issue/{key}/remotelink"
        with _translated("remote link", where):
            if any(link.object.url == url for link in self.jira.remote_links(key)):
                return
            # add_simple_link, not add_remote_link: that one first lists the server's
            # application links, which non-admin accounts may not do (a warning each time).
            self.jira.add_simple_link(key, {"url": url, "title": title})

    def transition_names(self, key: str) -> list[str]:
        """The transitions the issue's workflow offers from its current status."""
        with _translated("transitions", f"{self.url}/rest/api/2/issue/{key}/transitions"):
            return [str(t["name"]) for t in self.jira.transitions(key)]

    def transition(self, key: str, name: str) -> None:
        """Move an issue by the transition's name (case-insensitive, as Jira's UI shows it)."""
        with _translated("transition", f"{self.url}/rest/api/2/issue/{key}/transitions"):
            self.jira.transition_issue(key, name)
