"""A fake Jira Server on 127.0.0.1 that the real ``jira`` library can drive (INTEGRATIONS
§2.4), and the signature Jira puts on its webhooks (the payloads themselves are built by
``tests/plugins/jira/payloads.py``, in the shapes of §2.1).

The server keeps issues, comments and remote links in memory, logs every request, and
can be told to fail its next requests (401, 403, 404, 5xx with Jira's error body or an
empty one, malformed JSON), to answer slowly (timeouts; a request done but its answer
lost), and serves serverInfo, field, issue, comment, remotelink, transitions,
issueLinkType and the Server-shaped search with a label JQL.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

API = "/rest/api/2"
STATUSES = {
    "1": ("Open", "new"),
    "3": ("In Progress", "indeterminate"),
    "5": ("Resolved", "done"),
    "4": ("Reopened", "new"),
}
#: Jira's simple workflow: each transition is offered only from the statuses in "from".
TRANSITIONS = [
    {"id": "11", "name": "Start Progress", "to": "3", "from": ("1", "4")},
    {"id": "21", "name": "Resolve Issue", "to": "5", "from": ("1", "3", "4")},
    {"id": "31", "name": "Reopen Issue", "to": "4", "from": ("5",)},
]


@dataclass
class Logged:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class Failure:
    status: int
    body: bytes
    content_type: str = "application/json"
    #: Only for requests whose ``"METHOD /path"`` contains this (all when empty).
    where: str = ""


@dataclass
class FakeJira:
    """The fake's state; ``url`` is set once the server runs."""

    url: str = ""
    issues: dict[str, dict] = field(default_factory=dict)
    comments: dict[str, list[dict]] = field(default_factory=dict)
    remote_links: dict[str, list[dict]] = field(default_factory=dict)
    log: list[Logged] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    delay: float = 0.0
    slow: dict[str, float] = field(default_factory=dict)
    next_id: int = 10000
    lock: threading.Lock = field(default_factory=threading.Lock)

    # --- knobs -----------------------------------------------------------------------

    def fail_next(
        self,
        status: int,
        n: int = 1,
        *,
        messages: list[str] | None = None,
        empty: bool = False,
        where: str = "",
    ) -> None:
        """Answer the next ``n`` requests (those ``where`` names: ``"POST /rest/api/2/issue"``)
        with ``status`` and Jira's error body, or an empty body."""
        body = (
            b""
            if empty
            else json.dumps(
                {"errorMessages": messages or [f"fake failure {status}"], "errors": {}}
            ).encode()
        )
        self.failures.extend(Failure(status, body, where=where) for _ in range(n))

    def malformed_next(self, n: int = 1) -> None:
        """Answer the next ``n`` requests 200 with a body that is not JSON (a proxy page)."""
        self.failures.extend(Failure(200, b"<html>maintenance", "text/html") for _ in range(n))

    def slow_next(self, method_path: str, seconds: float) -> None:
        """Do the next ``"POST /rest/api/2/issue"`` (say) request's work, then wait
        ``seconds`` before answering: a client with a shorter timeout loses the answer."""
        self.slow[method_path] = seconds

    def requests(self, method: str | None = None, path: str = "") -> list[Logged]:
        return [r for r in self.log if (method in (None, r.method)) and path in r.path]

    # --- state -----------------------------------------------------------------------

    def add_issue(self, project: str, fields: dict) -> dict:
        """Create an issue as Jira would (also used by tests to seed one)."""
        with self.lock:
            self.next_id += 1
            number = sum(
                1 for i in self.issues.values() if i["fields"]["project"]["key"] == project
            )
            key = f"{project}-{number + 1}"
            issue = {
                "id": str(self.next_id),
                "key": key,
                "self": f"{self.url}{API}/issue/{self.next_id}",
                "fields": {
                    "summary": fields.get("summary", ""),
                    "description": fields.get("description"),
                    "labels": list(fields.get("labels", [])),
                    "issuetype": {
                        "id": "1",
                        "name": fields.get("issuetype", {}).get("name", "Bug"),
                    },
                    "project": {"id": "1", "key": project, "name": project},
                    "priority": {"id": "3", "name": "Medium"},
                    "resolution": None,
                },
            }
            self.issues[key] = issue
            self.set_status(key, "1")
            return issue

    def set_status(self, key: str, status_id: str, resolution: str | None = None) -> None:
        name, category = STATUSES[status_id]
        fields = self.issues[key]["fields"]
        fields["status"] = {
            "id": status_id,
            "name": name,
            "statusCategory": {"key": category, "name": category},
        }
        fields["resolution"] = {"id": "1", "name": resolution} if resolution else None

    def find(self, ref: str) -> dict | None:
        return self.issues.get(ref) or next(
            (i for i in self.issues.values() if i["id"] == ref), None
        )


class _Handler(BaseHTTPRequestHandler):
    fake: FakeJira

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # quiet: the fake keeps its own log

    def do_GET(self) -> None:  # noqa: N802
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")

    def do_PUT(self) -> None:  # noqa: N802
        self._serve("PUT")

    def _serve(self, method: str) -> None:
        fake = self.fake
        parts = urlsplit(self.path)
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw
        fake.log.append(
            Logged(
                method,
                parts.path,
                parse_qs(parts.query),
                {k.lower(): v for k, v in self.headers.items()},
                body,
            )
        )
        if fake.delay:
            time.sleep(fake.delay)
        request = f"{method} {parts.path}"
        with fake.lock:
            failure = next((f for f in fake.failures if f.where in request), None)
            if failure:
                fake.failures.remove(failure)
        if failure:
            return self._send(failure.status, failure.body, failure.content_type)
        status, answer = self._route(method, parts.path, parse_qs(parts.query), body)
        if (pause := fake.slow.pop(f"{method} {parts.path}", 0.0)) > 0:
            time.sleep(pause)
        payload = b"" if answer is None else json.dumps(answer).encode()
        self._send(status, payload, "application/json")

    def _send(self, status: int, payload: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _route(self, method: str, path: str, query: dict, body: Any) -> tuple[int, Any]:  # noqa: C901
        fake = self.fake
        if path == f"{API}/serverInfo":
            return 200, {
                "baseUrl": fake.url,
                "version": "9.12.0",
                "versionNumbers": [9, 12, 0],
                "deploymentType": "Server",
            }
        if path == f"{API}/myself":
            return 200, {"name": "slahub", "key": "slahub", "displayName": "SLA Hub"}
        if path == f"{API}/field":
            return 200, []
        if path == f"{API}/issueLinkType":
            return 200, {
                "issueLinkTypes": [
                    {"id": "1", "name": "Relates", "inward": "relates to", "outward": "relates to"}
                ]
            }
        if path == f"{API}/search":
            return 200, self._search(query)
        if path == f"{API}/issue" and method == "POST":
            fields = body["fields"]
            if "key" not in fields.get("project", {}):
                return 400, {"errorMessages": [], "errors": {"project": "project is required"}}
            issue = fake.add_issue(fields["project"]["key"], fields)
            return 201, {"id": issue["id"], "key": issue["key"], "self": issue["self"]}
        match = re.fullmatch(rf"{API}/issue/([^/]+)(?:/(\w+))?", path)
        if not match:
            return 404, {"errorMessages": [f"no route {path}"], "errors": {}}
        issue = fake.find(match[1])
        if issue is None:
            return 404, {"errorMessages": ["Issue Does Not Exist"], "errors": {}}
        key, sub = issue["key"], match[2]
        if sub is None and method == "GET":
            return 200, issue
        if sub is None and method == "PUT":
            issue["fields"].update(body.get("fields", {}))
            return 204, None
        if sub == "comment":
            return self._comment(method, key, body)
        if sub == "remotelink":
            links = fake.remote_links.setdefault(key, [])
            if method == "GET":
                return 200, links
            link = {
                "id": len(links) + 1,
                "self": f"{issue['self']}/remotelink/{len(links) + 1}",
                **body,
            }
            links.append(link)
            return 201, {"id": link["id"], "self": link["self"]}
        if sub == "transitions":
            now = issue["fields"]["status"]["id"]
            offered = [t for t in TRANSITIONS if now in t["from"]]
            if method == "GET":
                return 200, {
                    "transitions": [
                        {"id": t["id"], "name": t["name"], "to": {"id": t["to"]}} for t in offered
                    ]
                }
            chosen = next((t for t in offered if t["id"] == body["transition"]["id"]), None)
            if chosen is None:  # as Jira answers a transition the workflow does not offer
                return 400, {"errorMessages": ["It seems that you have tried to perform a "
                             "workflow operation that is not valid."], "errors": {}}  # fmt: skip
            fake.set_status(key, chosen["to"], "Fixed" if chosen["to"] == "5" else None)
            return 204, None
        return 404, {"errorMessages": [f"no route {path}"], "errors": {}}

    def _comment(self, method: str, key: str, body: Any) -> tuple[int, Any]:
        fake = self.fake
        comments = fake.comments.setdefault(key, [])
        if method == "GET":
            return 200, {
                "startAt": 0,
                "maxResults": 1048576,
                "total": len(comments),
                "comments": comments,
            }
        with fake.lock:
            fake.next_id += 1
            comment_id = str(fake.next_id)
        issue_self = fake.issues[key]["self"]
        comment = {
            "id": comment_id,
            "self": f"{issue_self}/comment/{comment_id}",
            "body": body["body"],
            "author": {"name": "slahub", "displayName": "SLA Hub"},
            "created": "2026-12-01T10:00:00.000+0100",
        }
        comments.append(comment)
        return 201, comment

    def _search(self, query: dict) -> dict:
        jql = query.get("jql", [""])[0]
        found = list(self.fake.issues.values())
        if m := re.search(r'project\s*=\s*"?([A-Z0-9]+)"?', jql):
            found = [i for i in found if i["fields"]["project"]["key"] == m[1]]
        if m := re.search(r'labels\s*=\s*"([^"]+)"', jql):
            found = [i for i in found if m[1] in i["fields"]["labels"]]
        return {"startAt": 0, "maxResults": 50, "total": len(found), "issues": found}


def start() -> tuple[FakeJira, ThreadingHTTPServer]:
    """Run a fake Jira on a random port in a daemon thread."""
    fake = FakeJira()
    handler = type("Handler", (_Handler,), {"fake": fake})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    return fake, server


# --- webhook signing --------------------------------------------------------------


def sign(secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature`` value Jira sends for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
