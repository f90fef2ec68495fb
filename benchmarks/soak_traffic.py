"""The soak's traffic: a few threads sending a steady mix of signed webhooks (the generic
monitoring source, Jira, Mantis pushes, re-sent duplicates), API calls and admin page
loads, recording every answer (see benchmarks/soak.py).

Each accepted webhook (202 with an event id) is logged with what it must become: a call
linked to ``(system, key)``, or a note carrying a ``[soak:<hex>]`` marker. API notes
carry markers too, so the checks can count each note in the hub and at the trackers.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import random
import re
import secrets
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import requests
from soak_env import DEMO_APP, JIRA_DESK, MONITOR

from tests.plugins.jira import payloads
from tests.support.fake_jira import sign as jira_sign

TIMEOUT = 30.0
#: Kind → weight of the mix.
MIX = {
    "monitor create": 8,
    "monitor note": 7,
    "jira create": 5,
    "jira comment": 5,
    "mantis report": 5,
    "mantis note": 5,
    "webhook duplicate": 4,
    "api story": 22,
    "api list": 6,
    "admin page": 8,
}
ADMIN_PAGES = ["/", "/calls", "/reports", "/outbox", "/plugins"]
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_comment_ids = itertools.count(500_000)


def marker() -> str:
    return f"[soak:{secrets.token_hex(6)}]"


@dataclass
class Accepted:
    """A webhook the hub answered 202: what it must have become."""

    event: int
    source: str
    kind: str  # "call" (system, key) or "note" (marker)
    system: str = ""
    key: str = ""
    marker: str = ""


@dataclass
class Record:
    """Everything the threads saw, behind one lock."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: Counter = field(default_factory=Counter)  # (kind, status) → count
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    server_errors: list[tuple[float, str, str, int, str]] = field(default_factory=list)
    failures: Counter = field(default_factory=Counter)  # (kind, exception) → count
    accepted: list[Accepted] = field(default_factory=list)
    duplicates: list[tuple[int, int | None, int]] = field(default_factory=list)
    api_notes: list[str] = field(default_factory=list)  # markers answered 2xx
    behind: int = 0  # sends more than a second late (the threads could not keep up)

    def answer(self, kind: str, method: str, route: str, status: int, seconds: float, body: str):  # noqa: ANN201
        with self.lock:
            self.statuses[(kind, status)] += 1
            self.latencies[kind].append(seconds)
            if status >= 500:
                self.server_errors.append(
                    (time.time(), kind, f"{method} {route}", status, body[:200])
                )

    def failed(self, kind: str, exc: Exception) -> None:
        with self.lock:
            self.failures[(kind, type(exc).__name__)] += 1


class Sender(threading.Thread):
    """One traffic thread: ``rate`` requests a second until ``stop`` is set."""

    def __init__(
        self,
        n: int,
        hub_url: str,
        token: str,
        password: str,
        secrets_: dict,
        fakes: Any,
        record: Record,
        rate: float,
        stop: threading.Event,
    ) -> None:
        super().__init__(name=f"soak-sender-{n}", daemon=True)
        self.n, self.url, self.token, self.password = n, hub_url, token, password
        self.secrets, self.fakes, self.record, self.rate, self.stop = (
            secrets_,
            fakes,
            record,
            rate,
            stop,
        )
        self.rng = random.Random(n)
        self.api = requests.Session()
        self.api.headers["Authorization"] = f"Bearer {token}"
        self.admin = requests.Session()
        self.sent: list[tuple[str, bytes, dict, int]] = []  # (path, body, headers, event)
        self.monitor_refs: list[str] = []
        self.jira_keys: list[str] = []
        self.mantis_ids: list[int] = []
        self.story: list[tuple[str, str, dict | None]] = []
        self.story_call: int | None = None
        self.stories = 0
        self.calls: list[int] = []
        self.counter = itertools.count(1)

    # --- the loop -------------------------------------------------------------------

    def run(self) -> None:
        self.login()
        kinds, weights = list(MIX), list(MIX.values())
        due = time.monotonic()
        while not self.stop.is_set():
            due += 1.0 / self.rate
            lag = time.monotonic() - due
            if lag > 1.0:
                self.record.behind += 1
                due = time.monotonic()  # a steady rate, not a burst to catch up
            elif lag < 0:
                self.stop.wait(-lag)
                if self.stop.is_set():
                    break
            kind = self.rng.choices(kinds, weights)[0]
            try:
                getattr(self, "do_" + kind.replace(" ", "_"))(kind)
            except requests.RequestException as exc:
                self.record.failed(kind, exc)

    def request(
        self, kind: str, session: requests.Session, method: str, route: str, path: str, **kw: Any
    ) -> requests.Response:
        began = time.perf_counter()
        answer = session.request(method, self.url + path, timeout=TIMEOUT, **kw)
        self.record.answer(
            kind, method, route, answer.status_code, time.perf_counter() - began, answer.text
        )
        return answer

    # --- webhooks ----------------------------------------------------------------------

    def webhook(self, kind: str, source: str, body: dict, headers: dict, want: Accepted) -> None:
        raw = json.dumps(body).encode()
        if source == "jira":
            headers["X-Hub-Signature"] = jira_sign(self.secrets["jira"], raw)
        else:
            digest = hmac.new(self.secrets[source].encode(), raw, hashlib.sha256).hexdigest()
            headers["X-Hub-Signature-256"] = f"sha256={digest}"
        headers["Content-Type"] = "application/json"
        path = f"/webhooks/{source}"
        answer = self.request(kind, requests, "POST", path, path, data=raw, headers=headers)
        if answer.status_code == 202:
            want.event = answer.json()["event"]
            with self.record.lock:
                self.record.accepted.append(want)
            self.sent.append((path, raw, headers, want.event))

    def delivery(self) -> str:
        return f"soak-{self.n}-{secrets.token_hex(8)}"

    def do_monitor_create(self, kind: str) -> None:
        ref = f"MON-{self.n}-{next(self.counter)}"
        body = {
            "type": "call.create",
            "client": self.rng.choice(["noord", "west"]),
            "title": f"Monitor alert {ref}",
            "priority": "P3",
            "category": "incident",
            "ref": ref,
        }
        self.webhook(
            kind,
            MONITOR,
            body,
            {"X-Delivery-Id": self.delivery()},
            Accepted(0, MONITOR, "call", MONITOR, ref),
        )
        self.monitor_refs.append(ref)

    def do_monitor_note(self, kind: str) -> None:
        if not self.monitor_refs:
            return self.do_monitor_create(kind)
        mark = marker()
        body = {
            "type": "call.update",
            "ref": self.rng.choice(self.monitor_refs),
            "note": f"Monitor says: still flapping {mark}",
        }
        if self.rng.random() < 0.3:
            body["status"] = self.rng.choice(["in_progress", "resolved"])
        self.webhook(
            kind,
            MONITOR,
            body,
            {"X-Delivery-Id": self.delivery()},
            Accepted(0, MONITOR, "note", marker=mark[6:-1]),
        )

    def do_jira_create(self, kind: str) -> None:
        issue = self.fakes.jira.add_issue(JIRA_DESK, {"summary": "Checkout broken"})
        body = payloads.issue_created(
            issue["key"], summary="Checkout broken", base=self.fakes.jira.url
        )
        self.webhook(
            kind,
            "jira",
            body,
            {"X-Atlassian-Webhook-Identifier": self.delivery()},
            Accepted(0, "jira", "call", "jira", issue["key"]),
        )
        self.jira_keys.append(issue["key"])

    def do_jira_comment(self, kind: str) -> None:
        if not self.jira_keys:
            return self.do_jira_create(kind)
        mark = marker()
        body = payloads.comment_created(
            self.rng.choice(self.jira_keys),
            str(next(_comment_ids)),
            f"Any news? {mark}",
            author="carla",
        )
        self.webhook(
            kind,
            "jira",
            body,
            {"X-Atlassian-Webhook-Identifier": self.delivery()},
            Accepted(0, "jira", "note", marker=mark[6:-1]),
        )

    def mantis_push(self, kind: str, event: str, issue_id: int, want: Accepted) -> None:
        mantis = self.fakes.mantis
        with mantis.lock:
            issue = mantis.render(mantis.issues[issue_id])
        self.webhook(
            kind,
            "mantis",
            {"event": event, "issue": issue},
            {"X-Delivery-Id": self.delivery()},
            want,
        )

    def do_mantis_report(self, kind: str) -> None:
        issue = self.fakes.mantis.add_issue(1, summary="Search is slow", description="Since 9")
        self.mantis_push(
            kind,
            "EVENT_REPORT_BUG",
            issue["id"],
            Accepted(0, "mantis", "call", "mantis", str(issue["id"])),
        )
        self.mantis_ids.append(issue["id"])

    def do_mantis_note(self, kind: str) -> None:
        if not self.mantis_ids:
            return self.do_mantis_report(kind)
        mark, issue_id = marker(), self.rng.choice(self.mantis_ids)
        self.fakes.mantis.user_note(issue_id, f"More detail {mark}")
        self.mantis_push(
            kind, "EVENT_BUGNOTE_ADD", issue_id, Accepted(0, "mantis", "note", marker=mark[6:-1])
        )

    def do_webhook_duplicate(self, kind: str) -> None:
        if not self.sent:
            return self.do_monitor_create(kind)
        path, raw, headers, event = self.rng.choice(self.sent)
        answer = self.request(kind, requests, "POST", path, path, data=raw, headers=headers)
        seen = answer.json().get("event") if answer.status_code == 200 else None
        with self.record.lock:
            self.record.duplicates.append((event, seen, answer.status_code))

    # --- API and admin -----------------------------------------------------------------

    def new_story(self) -> None:
        """The next call's life through the API: it is created for the demo's client
        (mirrored to Mantis), gets notes, moves on; every third is escalated to the 3rd
        line (an issue in Jira), every other is marked for a knowledge article (wiki)."""
        self.stories += 1
        n = self.stories
        steps: list[tuple[str, str, dict | None]] = [
            ("POST", "/notes", {"note": f"Looking into it {marker()}"}),
            ("POST", "/transitions", {"to": "acknowledged"}),
        ]
        if n % 3 == 0:
            steps.append(
                (
                    "POST",
                    "/escalations",
                    {
                        "kind": "functional",
                        "to_line": "3-application",
                        "reason": "needs a code change",
                    },
                )
            )
        steps += [
            ("POST", "/notes", {"note": f"Found the cause {marker()}"}),
            ("POST", "/transitions", {"to": "in_progress"}),
        ]
        if n % 2 == 0:
            steps.append(
                ("POST", "/documented", {"cause": "a full disk", "resolution": "cleaned up"})
            )
        steps += [
            ("POST", "/transitions", {"to": "resolved", "note": f"Fixed {marker()}"}),
            ("GET", "", None),
        ]
        self.story, self.story_call = steps, None

    def do_api_story(self, kind: str) -> None:
        if self.story_call is None:
            self.new_story()
            body = {
                "client": "amarant",
                "title": f"Soak call {self.n}-{self.stories}",
                "priority": self.rng.choice(["P2", "P3", "P4"]),
                "application": DEMO_APP,
                "description": "Made by the soak",
            }
            answer = self.request(
                kind, self.api, "POST", "/api/v1/calls", "/api/v1/calls", json=body
            )
            if answer.status_code == 201:
                self.story_call = answer.json()["id"]
                self.calls.append(self.story_call)
            return
        method, tail, body = self.story.pop(0)
        path = f"/api/v1/calls/{self.story_call}{tail}"
        answer = self.request(kind, self.api, method, f"/api/v1/calls/<id>{tail}", path, json=body)
        note = (body or {}).get("note", "")
        if answer.status_code < 300 and "[soak:" in note:
            with self.record.lock:
                self.record.api_notes.append(note.split("[soak:")[1][:12])
        if not self.story:
            self.story_call = None

    def do_api_list(self, kind: str) -> None:
        query = self.rng.choice(["?per_page=20", "?status=new", "?client=amarant&per_page=50"])
        self.request(
            kind,
            self.api,
            "GET",
            "/api/v1/calls" + query.split("&")[0].split("=")[0],
            "/api/v1/calls" + query,
        )

    def login(self) -> None:
        form = self.admin.get(self.url + "/login", timeout=TIMEOUT)
        token = CSRF.search(form.text)
        data = {
            "username": "admin",
            "password": self.password,
            "csrf_token": token.group(1) if token else "",
        }
        answer = self.request(
            "admin login", self.admin, "POST", "/login", "/login", data=data, allow_redirects=False
        )
        if answer.status_code != 302:
            raise RuntimeError(f"admin login answered {answer.status_code}: {answer.text[:300]}")

    def do_admin_page(self, kind: str) -> None:
        pages = ADMIN_PAGES + ([f"/calls/{self.calls[-1]}"] if self.calls else [])
        page = self.rng.choice(pages)
        route = "/calls/<id>" if page.startswith("/calls/") else page
        self.request(kind, self.admin, "GET", route, page, allow_redirects=False)
