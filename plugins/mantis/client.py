"""A thin client for the MantisBT REST API (``<mantis>/api/rest/``); knows nothing of Flask.

Written for released MantisBT 2.x (see INTEGRATIONS.md §1): the token goes bare in
``Authorization`` (``Bearer`` only works on unreleased master); issue JSON is sparse
(an absent key means empty); envelopes differ per verb; errors come either as JSON
``{"message", "code", "localized"}`` or as a bare status with a reason phrase; dates
carry the server's UTC offset and are turned into aware UTC datetimes here.

Every error is a :class:`MantisError` naming the method, URL and status. What retrying
cannot mend (a refused token, an unknown project or issue, a refused request) is also a
:class:`hub.hooktypes.ConfigurationError`, so the worker gives up on it at once; an
outage (5xx, timeout, connection refused, a garbled answer) is :class:`MantisUnavailable`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests

from hub.hooktypes import ConfigurationError

#: MantisBT's "resolved" threshold: statuses at or above it are resolved or closed.
RESOLVED_STATUS_ID = 80


class MantisError(Exception):
    """A request to MantisBT failed; ``url`` and ``status`` (None without an answer)."""

    def __init__(self, message: str, *, url: str, status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


class MantisUnavailable(MantisError):
    """An outage or a garbled answer (5xx, timeout, connection error, bad JSON): retry."""


class MantisRefused(MantisError, ConfigurationError):
    """MantisBT refused the request itself (4xx): the same request would fail again."""


class MantisAuthError(MantisRefused):
    """401/403: the token is wrong, or its account lacks the rights the hub needs."""


class MantisNotFound(MantisRefused):
    """404: the base URL, a project or an issue does not exist (or is not visible)."""


class TimeTrackingDisabled(MantisRefused):
    """403 on a note with a duration: time tracking is off (MantisBT's default), or the
    hub's account may not track time."""


def parse_date(value: str | None) -> datetime | None:
    """MantisBT's ISO 8601 date (server offset, e.g. ``-04:00``) as an aware UTC datetime."""
    if not value:
        return None
    at = datetime.fromisoformat(value)
    if at.tzinfo is None:  # never sent by MantisBT; read as UTC rather than local time
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC)


def duration(minutes: int) -> str:
    """Minutes as MantisBT's ``H:MM`` time-tracking duration."""
    return f"{minutes // 60}:{minutes % 60:02d}"


@dataclass(frozen=True)
class Note:
    """A note as returned by ``POST …/notes``, with the issue's new ``updated_at``."""

    id: int
    issue: dict[str, Any]


class MantisClient:
    """Typed calls to one MantisBT; every request has ``timeout`` seconds."""

    def __init__(
        self, url: str, token: str, timeout: float = 10.0, session: requests.Session | None = None
    ) -> None:
        self.base = url.rstrip("/")
        self.api = f"{self.base}/api/rest"
        self.timeout = timeout
        self.session = session or requests.Session()
        self.session.headers.update(
            {"Authorization": token, "Accept": "application/json", "User-Agent": "slahub-mantis"}
        )

    def issue_url(self, issue_id: int | str) -> str:
        """The issue's page in MantisBT's web interface (for links from the hub)."""
        return f"{self.base}/view.php?id={issue_id}"

    # --- the calls -------------------------------------------------------------------

    def me(self) -> dict[str, Any]:
        """The token's account (``{"id", "name", …}``); a cheap check of URL and token."""
        return self._request("GET", "/users/me", not_found=MantisNotFound)

    def get_issue(self, issue_id: int) -> dict[str, Any]:
        """One issue (GET answers ``{"issues": [issue]}``)."""
        data = self._request("GET", f"/issues/{issue_id}")
        return _one(data, "issues", self._url(f"/issues/{issue_id}"))

    def list_issues(self, project_id: int, page: int = 1, page_size: int = 50) -> list[dict]:
        """One page (1-based) of a project's issues, last updated first; ``[]`` past the end."""
        params = {"project_id": project_id, "page": page, "page_size": page_size}
        data = self._request("GET", "/issues", params=params)
        return list(data.get("issues") or ())

    def create_issue(
        self,
        *,
        project_id: int,
        summary: str,
        description: str,
        category: str = "General",
        priority: str | None = None,
    ) -> dict[str, Any]:
        """Report a new issue; returns it (POST answers ``{"issue": issue}``)."""
        body: dict[str, Any] = {
            "summary": summary,
            "description": description,
            "project": {"id": project_id},
            "category": {"name": category},
        }
        if priority:
            body["priority"] = {"name": priority}
        data = self._request("POST", "/issues", json=body)
        if not data:  # 202 Accepted for moderation: no body, no issue yet
            url = self._url("/issues")
            raise MantisRefused(f"POST {url}: the issue is held for moderation", url=url)
        return _one(data, "issue", self._url("/issues"))

    def update_issue(self, issue_id: int, fields: dict[str, Any]) -> dict[str, Any]:
        """Change an issue: send only what changes, e.g. ``{"status": {"name": "resolved"}}``."""
        data = self._request("PATCH", f"/issues/{issue_id}", json=fields)
        return _one(data, "issues", self._url(f"/issues/{issue_id}"))

    def add_note(self, issue_id: int, text: str, minutes: int | None = None) -> Note:
        """Add a public note; with ``minutes`` a time-tracking note. Raises
        :class:`TimeTrackingDisabled` when MantisBT refuses the duration."""
        body: dict[str, Any] = {"text": text, "view_state": {"name": "public"}}
        if minutes:
            body["time_tracking"] = {"duration": duration(minutes)}
        path = f"/issues/{issue_id}/notes"
        forbidden = TimeTrackingDisabled if minutes else MantisAuthError
        data = self._request("POST", path, json=body, forbidden=forbidden)
        url = self._url(path)
        note = data.get("note") if isinstance(data, dict) else None
        if not isinstance(note, dict) or "id" not in note:
            raise MantisUnavailable(f"POST {url}: the answer has no note", url=url, status=201)
        return Note(id=int(note["id"]), issue=data.get("issue") or {})

    def projects(self) -> list[dict[str, Any]]:
        """The projects the token's account can see."""
        return list(self._request("GET", "/projects").get("projects") or ())

    def project_id(self, name_or_id: str | int) -> int:
        """A project's id from its name (case-insensitive, as MantisBT matches) or id."""
        wanted = str(name_or_id).strip()
        for project in self.projects():
            if str(project.get("id")) == wanted or project.get("name", "").lower() == (
                wanted.lower()
            ):
                return int(project["id"])
        url = self._url("/projects")
        raise MantisNotFound(
            f"GET {url}: no project {wanted!r} visible to the hub's account", url=url, status=404
        )

    def config(self, options: list[str]) -> dict[str, Any]:
        """Configuration values by option name; unknown or private options are left out."""
        data = self._request("GET", "/config", params={"option[]": options})
        return {c["option"]: c.get("value") for c in data.get("configs") or () if "option" in c}

    # --- plumbing --------------------------------------------------------------------

    def _url(self, path: str) -> str:
        return self.api + path

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
        forbidden: type[MantisError] = MantisAuthError,
        not_found: type[MantisError] = MantisNotFound,
    ) -> dict[str, Any]:
        url = self._url(path)
        where = f"{method} {url}"
        try:
            resp = self.session.request(method, url, params=params, json=json, timeout=self.timeout)
        except requests.Timeout:
            raise MantisUnavailable(f"{where}: no answer within {self.timeout}s", url=url) from None
        except requests.RequestException as exc:
            raise MantisUnavailable(f"{where}: {type(exc).__name__}: {exc}", url=url) from None
        status = resp.status_code
        if status >= 400:
            raise _error(resp, where, url, forbidden=forbidden, not_found=not_found)
        if status == 204 or not resp.content:
            return {}
        try:
            data = resp.json()
        except ValueError:
            message = f"{where}: {status} but the body is not JSON: {resp.text[:200]!r}"
            raise MantisUnavailable(message, url=url, status=status) from None
        if not isinstance(data, dict):
            message = f"{where}: {status} but the body is not a JSON object"
            raise MantisUnavailable(message, url=url, status=status)
        return data


def _error(
    resp: requests.Response,
    where: str,
    url: str,
    *,
    forbidden: type[MantisError],
    not_found: type[MantisError],
) -> MantisError:
    """The exception for an error answer, with MantisBT's message if it sent one.

    Its JSON errors have ``message`` (and ``localized``); middleware errors carry only a
    reason phrase (lost behind HTTP/2); a PHP crash sends plain text.
    """
    status = resp.status_code
    detail = resp.reason or ""
    try:
        body = resp.json()
    except ValueError:
        body = None
        if resp.text.strip():
            detail = f"{detail}: {resp.text.strip()[:200]}".strip(": ")
    if isinstance(body, dict) and body.get("message"):
        detail = str(body["message"])
        if "code" in body:
            detail += f" (code {body['code']})"
    message = f"{where}: {status} {detail}".rstrip()
    if status == 401:
        return MantisAuthError(f"{message}: check the token", url=url, status=status)
    if status == 403:
        return forbidden(message, url=url, status=status)
    if status == 404:
        return not_found(message, url=url, status=status)
    if status == 429 or status >= 500:
        return MantisUnavailable(message, url=url, status=status)
    return MantisRefused(message, url=url, status=status)


def _one(data: dict[str, Any], key: str, url: str) -> dict[str, Any]:
    """The issue in an ``{"issue": …}`` or ``{"issues": [ … ]}`` envelope."""
    value = data.get(key)
    if isinstance(value, list) and value:
        value = value[0]
    if not isinstance(value, dict) or "id" not in value:
        raise MantisUnavailable(f"{url}: the answer has no {key!r}", url=url)
    return value
