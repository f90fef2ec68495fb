"""``POST /webhooks/jira``: Jira's issue and comment events as calls and call changes.

Verification: with ``webhook_secret`` set, ``X-Hub-Signature: sha256=<hex>`` must be
the HMAC-SHA256 of the raw body (Jira Cloud admin webhooks, current Data Center); a
server that cannot sign puts ``?token=<url_token>`` in the webhook's URL instead. A
request with neither, or a wrong one, is refused with 401 and nothing is stored.

The delivery id is ``X-Atlassian-Webhook-Identifier`` (the same on Jira's retries). Old
servers send none: then the id is the SHA-256 of the body, which holds the event's
timestamp, so a re-sent event is one delivery and two events are two.

Two kinds of issues matter: those in a client's service-desk project (``clients``)
become calls and mirror their status, priority and comments; those in a developers'
project (``applications``) are the 3rd line's issues the hub made, whose comments and
status changes go into the call's history and whose resolution hands the call back to
the 2nd line. Events by the hub's own account (``account``) are its echoes: ignored.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from hub.hooktypes import CallUpdate, ExternalRef, NewCall, RawRequest, WebhookRejected
from plugins.jira import config, mapping

SIGNATURE = "x-hub-signature"
DELIVERY = "x-atlassian-webhook-identifier"
#: The label on every issue the hub creates (the prefix; the call id follows).
LABEL = "slahub-call-"


def signature(secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature`` value Jira sends for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


class JiraWebhook:
    """The handler for source ``jira`` (see :class:`hub.hooktypes.WebhookHandler`)."""

    def verify(self, request: RawRequest) -> str:
        secret, token = config.text("webhook_secret"), config.text("url_token")
        given = request.headers.get(SIGNATURE, "")
        if secret and given:
            if not _same(given, signature(secret, request.body)):
                raise WebhookRejected("X-Hub-Signature does not match the body", 401, SIGNATURE)
        elif token and request.query.get("token"):
            if not _same(request.query["token"], token):
                raise WebhookRejected("the URL's token is wrong", 401, "token")
        elif secret or token:
            wanted = " or ".join(
                w for w, on in (("X-Hub-Signature", secret), ("?token=", token)) if on
            )
            raise WebhookRejected(f"missing {wanted}", 401, SIGNATURE if secret else "token")
        else:
            raise WebhookRejected(
                "Jira webhooks are off: set webhook_secret or url_token", 401, SIGNATURE
            )
        delivery = request.headers.get(DELIVERY, "").strip()
        if len(delivery) > 200:
            raise WebhookRejected(f"overlong {DELIVERY} header", 400, DELIVERY)
        return delivery or "sha256:" + hashlib.sha256(request.body).hexdigest()

    def interpret(self, request: RawRequest) -> list[NewCall | CallUpdate]:
        try:
            data = json.loads(request.body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise WebhookRejected(f"body is not JSON: {exc}", 400, "body") from None
        if not isinstance(data, dict) or not isinstance(data.get("webhookEvent"), str):
            raise WebhookRejected("body must be a Jira event with webhookEvent", 422, "body")
        issue = data.get("issue")
        if not isinstance(issue, dict) or not isinstance(issue.get("key"), str):
            return []  # not about an issue (a project or user event): nothing for the hub
        return Event(data, issue).actions()


class Event:
    """One Jira event about one issue, read against the settings."""

    def __init__(self, data: dict[str, Any], issue: dict[str, Any]) -> None:
        self.data, self.issue, self.key = data, issue, issue["key"]
        self.fields = issue.get("fields") or {}
        project = (self.fields.get("project") or {}).get("key", self.key.rsplit("-", 1)[0])
        self.desk = config.mapping("clients").get(project)
        self.dev = project in set(config.mapping("applications").values())
        self.ref = ExternalRef("jira", self.key, self.browse_url())

    def browse_url(self) -> str:
        base = str(self.issue.get("self", "")).split("/rest/api/", 1)[0] or config.text("url")
        return f"{base.rstrip('/')}/browse/{self.key}"

    def actions(self) -> list[NewCall | CallUpdate]:
        kind = self.data["webhookEvent"]
        if self.desk is None and not self.dev:
            return []  # a project the hub has no business with
        labels = self.fields.get("labels")
        if (
            self.dev
            and isinstance(labels, list)
            and not any(str(label).startswith(LABEL) for label in labels)
        ):
            return []  # the developers' own issue, not one the hub made for a call
        if kind == "jira:issue_created":
            return [] if self.by_hub(self.data.get("user")) or not self.desk else [self.new_call()]
        out: list[NewCall | CallUpdate] = []
        if kind == "jira:issue_updated" and not self.by_hub(self.data.get("user")):
            out += self.status_and_priority()
        if kind in ("jira:issue_updated", "comment_created"):
            out += self.comment()
        return out

    def by_hub(self, user: Any) -> bool:
        """Whether ``user`` is the hub's own account (its events are echoes)."""
        account = config.text("account").lower()
        if not account or not isinstance(user, dict):
            return False
        ids = ("name", "key", "accountId", "emailAddress")
        return account in {str(user.get(i, "")).lower() for i in ids}

    def actor(self, user: Any) -> str | None:
        if not isinstance(user, dict):
            return None
        return user.get("displayName") or user.get("name") or user.get("accountId")

    def new_call(self) -> NewCall:
        desk = self.desk if isinstance(self.desk, dict) else {"client": self.desk}
        reporter = self.actor(self.fields.get("reporter") or self.data.get("user"))
        name = (self.fields.get("priority") or {}).get("name")
        return NewCall(
            client=str(desk.get("client")),
            application=desk.get("application"),
            title=str(self.fields.get("summary") or self.key)[:300],
            description=mapping.plain(self.fields.get("description")),
            priority=mapping.priority(name, config.mapping("priorities")) or "P3",
            reporter=reporter[:200] if reporter else None,
            links=(self.ref,),
            opened_at=mapping.opened_at(self.fields.get("created")),
        )

    def status_and_priority(self) -> list[CallUpdate]:
        items = [
            i for i in (self.data.get("changelog") or {}).get("items") or () if isinstance(i, dict)
        ]
        changed = {i.get("field"): i for i in items}
        actor = self.actor(self.data.get("user"))
        if self.dev:
            return self.dev_progress(changed, actor)
        out = []
        if "priority" in changed:
            to = mapping.priority(changed["priority"].get("toString"), config.mapping("priorities"))
            if to:
                out.append(CallUpdate(self.ref, priority=to, actor=actor))
        if "status" in changed or "resolution" in changed:
            overrides = config.mapping("statuses")
            status = self.fields.get("status") or {}
            category = (status.get("statusCategory") or {}).get("key")
            after = mapping.hub_status(status.get("name"), category, overrides)
            before = changed.get("status", {}).get("fromString")
            if after is None and mapping.hub_status(before, None, overrides) == "resolved":
                after = "reopened"  # from done back to a not-yet-worked status ("To Do")
            if after is not None:
                out.append(CallUpdate(self.ref, status=after, actor=actor))
        return out

    def dev_progress(self, changed: dict[str, dict], actor: str | None) -> list[CallUpdate]:
        """A 3rd-line issue moved: into the call's history; resolved → back to 2nd line."""
        if "status" not in changed and "resolution" not in changed:
            return []
        status = self.fields.get("status") or {}
        resolution = (self.fields.get("resolution") or {}).get("name")
        done = (status.get("statusCategory") or {}).get("key") == "done" or bool(resolution)
        changelog = str((self.data.get("changelog") or {}).get("id", ""))
        note_ref = ExternalRef("jira-changelog", changelog) if changelog else None
        who = f" by {actor}" if actor else ""
        if done:
            how = f" ({resolution})" if resolution else ""
            note = (
                f"Jira {self.key} resolved{how}{who}: back to the 2nd line, "
                f"to confirm the solution with the client."
            )
            return [
                CallUpdate(
                    self.ref, line="2-application", note=note, note_ref=note_ref, actor=actor
                )
            ]
        frm = changed.get("status", {}).get("fromString") or "?"
        note = f"Jira {self.key}: {frm} → {status.get('name') or '?'}{who}."
        return [CallUpdate(self.ref, note=note, note_ref=note_ref, actor=actor)]

    def comment(self) -> list[CallUpdate]:
        comment = self.data.get("comment")
        if not isinstance(comment, dict) or self.by_hub(comment.get("author")):
            return []
        text = mapping.plain(comment.get("body"))
        if not text or not comment.get("id"):
            return []
        actor = self.actor(comment.get("author"))
        note = f"Jira {self.key}, {actor or 'comment'}: {text}" if self.dev else text
        return [
            CallUpdate(
                self.ref,
                note=note[:100_000],
                actor=actor,
                note_ref=ExternalRef("jira-comment", str(comment["id"])),
            )
        ]
