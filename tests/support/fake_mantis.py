"""A fake MantisBT REST API on 127.0.0.1 (a werkzeug server in a thread) for the tests.

It follows INTEGRATIONS.md §1 (release 2.28.4): the bare token in ``Authorization``
(``Bearer`` is refused), 401 with an empty body and only a reason phrase; envelopes
``{"issues": [..]}`` for GET/PATCH, ``{"issue": ..}`` for POST, ``{"note": .., "issue": ..}``
for notes; sparse issue JSON (no null keys, no empty lists); ISO dates with the server's
offset (-04:00); lists ordered by last update, newest first, 1-based pages, ``[]`` past the
end; JSON errors ``{"message", "code", "localized"}`` (404 code 1100 for an issue); 403 on
a duration while time tracking is off; ``X-Mantis-Version`` on successes and middleware
refusals but not on the API's JSON errors.

Knobs for tests: :meth:`FakeMantis.fail_next` (status, empty/plain-text/malformed body),
``lose`` (a write is done but its answer lost), ``delay`` (to force timeouts),
``requests`` (a log), ``time_tracking``, and the issues themselves through
:meth:`FakeMantis.add_issue`, :meth:`FakeMantis.user_change`, :meth:`FakeMantis.user_note`.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

VERSION = "2.28.4"
SERVER_TZ = timezone(timedelta(hours=-4))
STATUSES = {10: "new", 20: "feedback", 30: "acknowledged", 40: "confirmed", 50: "assigned",
            80: "resolved", 90: "closed"}  # fmt: skip
PRIORITIES = {10: "none", 20: "low", 30: "normal", 40: "high", 50: "urgent", 60: "immediate"}
RESOLUTIONS = {10: "open", 20: "fixed", 30: "reopened", 70: "not a bug"}
SEVERITIES = {10: "feature", 50: "minor", 60: "major"}
ENUMS = {"status": STATUSES, "priority": PRIORITIES, "resolution": RESOLUTIONS,
         "severity": SEVERITIES}  # fmt: skip


@dataclass
class Failure:
    status: int
    body: str  # "json" | "empty" | "text" | "malformed"


@dataclass
class FakeMantis:
    """The server's state; ``url`` is set once it listens."""

    users: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {
            "hub-token": {"id": 2, "name": "slahub", "access_level": 55},
            "user-token": {"id": 3, "name": "jdoe", "access_level": 55},
        }
    )
    projects: dict[int, dict[str, Any]] = field(
        default_factory=lambda: {
            1: {"id": 1, "name": "Amarant intranet", "categories": ["General", "Bug"]},
            2: {"id": 2, "name": "Other", "categories": ["General"]},
        }
    )
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    time_tracking: bool = False
    delay: float = 0.0
    requests: list[tuple[str, str, dict[str, str], Any]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    lose: int = 0  # how many next writes are done but answered 502 (the answer lost)
    url: str = ""
    clock: datetime = field(
        default_factory=lambda: datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    )
    next_note_id: int = 100
    lock: threading.Lock = field(default_factory=threading.Lock)

    # --- knobs ---------------------------------------------------------------------

    def fail_next(self, n: int, status: int, body: str = "json") -> None:
        """Answer the next ``n`` requests with ``status`` and a JSON/empty/text/bad body."""
        self.failures.extend(Failure(status, body) for _ in range(n))

    def tick(self) -> datetime:
        """The time of a change: MantisBT has 1-second dates; each change is 1 s later."""
        self.clock += timedelta(seconds=1)
        return self.clock

    def seen(self, method: str, path_pattern: str) -> list[tuple]:
        return [r for r in self.requests if r[0] == method and re.fullmatch(path_pattern, r[1])]

    def add_issue(self, project_id: int = 1, reporter: str = "jdoe", **values: Any) -> dict:
        """An issue as a user would report it in MantisBT's web interface."""
        with self.lock:
            return self._new_issue(project_id, self._user(reporter), values)

    def user_change(self, issue_id: int, **values: Any) -> dict:
        """A user changes an issue (status/priority by name, custom fields by name)."""
        with self.lock:
            issue = self.issues[issue_id]
            for key, value in values.items():
                if key == "custom_fields":
                    issue["custom_fields"].update(value)
                else:
                    issue[key] = value
            issue["updated_at"] = self.tick()
            return issue

    def user_note(self, issue_id: int, text: str, reporter: str = "jdoe") -> int:
        with self.lock:
            return self._add_note(self.issues[issue_id], self._user(reporter), text, None)

    # --- internals -------------------------------------------------------------------

    def _user(self, name: str) -> dict[str, Any]:
        return next(u for u in self.users.values() if u["name"] == name)

    def _new_issue(self, project_id: int, reporter: dict, values: dict) -> dict:
        at = self.tick()
        issue_id = max(self.issues, default=0) + 1
        issue = {"id": issue_id, "project_id": project_id, "reporter": reporter,
                 "status": "new", "priority": "normal", "severity": "minor",
                 "resolution": "open", "category": "General", "summary": "", "description": "",
                 "handler": None, "notes": [], "custom_fields": {}, "created_at": at,
                 "updated_at": at}  # fmt: skip
        issue.update(values)
        self.issues[issue_id] = issue
        return issue

    def _add_note(self, issue: dict, reporter: dict, text: str, minutes: int | None) -> int:
        self.next_note_id += 1
        at = self.tick()
        note = {"id": self.next_note_id, "reporter": reporter, "text": text, "created_at": at,
                "updated_at": at, "minutes": minutes}  # fmt: skip
        issue["notes"].append(note)
        issue["updated_at"] = at
        return note["id"]

    def render(self, issue: dict) -> dict[str, Any]:
        """Issue JSON as MantisBT sends it: null keys and empty lists left out."""
        project = self.projects[issue["project_id"]]
        out: dict[str, Any] = {
            "id": issue["id"],
            "summary": issue["summary"],
            "description": issue["description"],
            "project": {"id": project["id"], "name": project["name"]},
            "category": {"id": 1, "name": issue["category"]},
            "reporter": _user_ref(issue["reporter"]),
            "handler": _user_ref(issue["handler"]) if issue["handler"] else None,
            "sticky": False,
            "created_at": _date(issue["created_at"]),
            "updated_at": _date(issue["updated_at"]),
            "notes": [self._render_note(n) for n in issue["notes"]],
            "custom_fields": [
                {"field": {"id": n, "name": name}, "value": value}
                for n, (name, value) in enumerate(sorted(issue["custom_fields"].items()), 1)
            ],
        }
        for enum, values in ENUMS.items():
            name = issue[enum]
            enum_id = next(k for k, v in values.items() if v == name)
            out[enum] = {"id": enum_id, "name": name, "label": name}
        out["view_state"] = {"id": 10, "name": "public", "label": "public"}
        return {k: v for k, v in out.items() if v is not None and v != []}

    def _render_note(self, note: dict) -> dict[str, Any]:
        out = {"id": note["id"], "reporter": _user_ref(note["reporter"]), "text": note["text"],
               "view_state": {"id": 10, "name": "public", "label": "public"},
               "type": "timelog" if note["minutes"] else "note",
               "created_at": _date(note["created_at"]),
               "updated_at": _date(note["updated_at"])}  # fmt: skip
        if note["minutes"]:
            hours, minutes = divmod(note["minutes"], 60)
            out["time_tracking"] = {"duration": f"{hours:02d}:{minutes:02d}"}
        return out

    # --- the WSGI app ---------------------------------------------------------------

    def __call__(self, environ: dict, start_response: Any) -> Any:
        request = Request(environ)
        body = request.get_json(silent=True) if request.data else None
        self.requests.append((request.method, request.path, dict(request.headers), body))
        if self.delay:
            time.sleep(self.delay)
        with self.lock:
            response = self._respond(request, body)
        return response(environ, start_response)

    def _respond(self, request: Request, body: Any) -> Response:
        if self.failures:
            return _failure(self.failures.pop(0))
        user = self.users.get(request.headers.get("Authorization", ""))
        if user is None:
            return _bare(401, "Valid API token required", version=True)
        path = request.path.removeprefix("/api/rest").rstrip("/")
        route = _route(request.method, path)
        if route is None:
            return _bare(404, "Not Found")
        name, args = route
        resp = getattr(self, f"_r_{name}")(request, body, user, *args)
        if resp.status_code < 400:
            resp.headers["X-Mantis-Version"] = VERSION
            resp.headers["X-Mantis-Username"] = user["name"]
            resp.headers["X-Mantis-LoginMethod"] = "api-token"
        resp.headers["Cache-Control"] = "no-store, no-cache, must-revalidate, max-age=0"
        if self.lose and request.method != "GET":
            self.lose -= 1  # done, but the answer is lost on the way (a proxy's 502)
            return _bare(502, "Bad Gateway")
        return resp

    def _r_me(self, request: Request, body: Any, user: dict) -> Response:
        return _json(200, {**_user_ref(user), "language": "english"})

    def _r_list(self, request: Request, body: Any, user: dict) -> Response:
        project_id = int(request.args.get("project_id", 0))
        if project_id and project_id not in self.projects:
            return _bare(404, f"Project '{project_id}' doesn't exist")
        size, page = int(request.args.get("page_size", 50)), int(request.args.get("page", 1))
        found = [i for i in self.issues.values() if project_id in (0, i["project_id"])]
        found.sort(key=lambda i: (i["updated_at"], i["id"]), reverse=True)
        chunk = found[(page - 1) * size : page * size]
        return _json(200, {"issues": [self.render(i) for i in chunk]})

    def _r_get(self, request: Request, body: Any, user: dict, issue_id: int) -> Response:
        if issue_id not in self.issues:
            return _not_found(issue_id)
        return _json(200, {"issues": [self.render(self.issues[issue_id])]})

    def _r_create(self, request: Request, body: Any, user: dict) -> Response:
        if not isinstance(body, dict):
            return _bare(400, "Invalid request body or format")
        for key in ("summary", "description"):
            if not str(body.get(key, "")).strip():
                return _api_error(400, f"{key.title()} not specified", 11)
        ref = body.get("project") or {}
        found = [p for p in self.projects.values() if ref.get("id") == p["id"]
                 or ref.get("name") == p["name"]]  # fmt: skip
        project = found[0] if found else None
        if project is None:
            return _api_error(404, f"Project '{ref}' not found", 700)
        category = body.get("category")
        category = category.get("name") if isinstance(category, dict) else category
        if not category:
            return _api_error(400, "Category field must be supplied.", 11)
        match = [c for c in project["categories"] if c.lower() == str(category).lower()]
        if not match:
            return _api_error(404, f"Category '{category}' not found.", 1502)
        values = {"summary": body["summary"], "description": body["description"],
                  "category": match[0]}  # fmt: skip
        if "priority" in body:
            values["priority"] = body["priority"]["name"]
        issue = self._new_issue(project["id"], user, values)
        resp = _json(201, {"issue": self.render(issue)})
        resp.status = f"201 Issue Created with id {issue['id']}"
        return resp

    def _r_patch(self, request: Request, body: Any, user: dict, issue_id: int) -> Response:
        if issue_id not in self.issues:
            return _not_found(issue_id)
        if not isinstance(body, dict):
            return _bare(400, "Invalid request body or format")
        if "id" in body and body["id"] != issue_id:
            return _bare(400, "Issue id mismatch")
        issue = self.issues[issue_id]
        for enum, values in ENUMS.items():
            if enum in body:
                name = body[enum].get("name")
                issue[enum] = name if name in values.values() else issue[enum]
        if "summary" in body:
            issue["summary"] = body["summary"]
        issue["updated_at"] = self.tick()
        return _json(200, {"issues": [self.render(issue)]})

    def _r_note(self, request: Request, body: Any, user: dict, issue_id: int) -> Response:
        if issue_id not in self.issues:
            return _not_found(issue_id)
        if not isinstance(body, dict):
            return _bare(400, "Invalid request body or format")
        text = str(body.get("text", ""))
        duration = (body.get("time_tracking") or {}).get("duration")
        minutes = _minutes(duration) if duration else None
        if duration and minutes is None:
            return _api_error(400, "Invalid value for field 'duration'", 29)
        if minutes and not self.time_tracking:
            return _api_error(403, "Time tracking disabled", 13)
        if not text.strip() and not minutes:
            return _api_error(400, "Issue note not specified.", 11)
        issue = self.issues[issue_id]
        note_id = self._add_note(issue, user, text, minutes)
        note = next(n for n in issue["notes"] if n["id"] == note_id)
        return _json(201, {"note": self._render_note(note), "issue": self.render(issue)})

    def _r_projects(self, request: Request, body: Any, user: dict) -> Response:
        return _json(200, {"projects": [self._project(p) for p in self.projects.values()]})

    def _r_project(self, request: Request, body: Any, user: dict, project_id: int) -> Response:
        if project_id not in self.projects:
            return _api_error(404, f"Project #{project_id} not found", 700)
        return _json(200, {"projects": [self._project(self.projects[project_id])]})

    def _project(self, p: dict) -> dict:
        categories = [{"id": n, "name": c} for n, c in enumerate(p["categories"], 1)]
        return {"id": p["id"], "name": p["name"], "enabled": True, "categories": categories}

    def _r_config(self, request: Request, body: Any, user: dict) -> Response:
        known = {"status_enum_string": STATUSES, "priority_enum_string": PRIORITIES}
        configs = [
            {"option": o, "value": [{"id": k, "name": v, "label": v} for k, v in known[o].items()]}
            for o in request.args.getlist("option[]")
            if o in known
        ]
        return _json(200, {"configs": configs})


_ROUTES = [
    ("GET", r"/users/me", "me"),
    ("GET", r"/issues", "list"),
    ("POST", r"/issues", "create"),
    ("GET", r"/issues/(\d+)", "get"),
    ("PATCH", r"/issues/(\d+)", "patch"),
    ("POST", r"/issues/(\d+)/notes", "note"),
    ("GET", r"/projects", "projects"),
    ("GET", r"/projects/(\d+)", "project"),
    ("GET", r"/config", "config"),
]


def _route(method: str, path: str) -> tuple[str, list[int]] | None:
    for verb, pattern, name in _ROUTES:
        if verb == method and (m := re.fullmatch(pattern, path)):
            return name, [int(g) for g in m.groups()]
    return None


def _date(at: datetime) -> str:
    return at.astimezone(SERVER_TZ).isoformat()


def _user_ref(user: dict) -> dict:
    return {"id": user["id"], "name": user["name"]}


def _minutes(value: str) -> int | None:
    """ "H:MM", "HH:MM:SS" or bare minutes, as helper_duration_to_minutes(); None if invalid."""
    parts = str(value).split(":")
    if not all(p.isdigit() for p in parts) or len(parts) > 3 or any(int(p) > 59 for p in parts[1:]):
        return None
    return int(parts[0]) if len(parts) == 1 else int(parts[0]) * 60 + int(parts[1])


def _json(status: int, data: Any) -> Response:
    return Response(json.dumps(data), status=status, content_type="application/json")


def _bare(status: int, reason: str, *, version: bool = False) -> Response:
    resp = Response(b"", status=f"{status} {reason}")
    if version:
        resp.headers["X-Mantis-Version"] = VERSION
    return resp


def _api_error(status: int, message: str, code: int) -> Response:
    return _json(status, {"message": message, "code": code, "localized": message})


def _not_found(issue_id: int) -> Response:
    return _api_error(404, f"Issue #{issue_id} not found", 1100)


def _failure(failure: Failure) -> Response:
    if failure.body == "empty":
        return _bare(failure.status, "Service Unavailable" if failure.status >= 500 else "Error")
    if failure.body == "text":
        text = b"Fatal error: Uncaught Exception in /var/www/mantis/core.php"
        return Response(text, status=failure.status, content_type="text/html")
    if failure.body == "malformed":
        return Response(
            b'{"issues": [{"id": 1,', status=failure.status, content_type="application/json"
        )
    return _api_error(failure.status, "Internal error", 500)


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:  # no access log in test output
        return None


def serve(fake: FakeMantis) -> Iterator[FakeMantis]:
    """Run ``fake`` on a random port until the generator is closed (a fixture's body)."""
    server = make_server("127.0.0.1", 0, fake, threaded=True, request_handler=_QuietHandler)
    fake.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake.delay = 0
        server.shutdown()
        server.server_close()
        thread.join(5)
