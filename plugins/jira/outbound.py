"""What the hub tells Jira: 3rd-line escalations become issues, notes become comments.

Each function runs in an outbox delivery (at least once, retried with backoff). A retry
after a lost answer must not make a second issue or comment, so a retry first looks for
what an earlier try made: the issue by its ``slahub-call-<id>`` label, the comment by
its text.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from hub import pluginstate
from hub.db import db, utcnow
from hub.hooktypes import CallView, Change, ConfigurationError, Delivery, Escalation, ExternalRef
from plugins.jira import config
from plugins.jira.client import JiraClient, JiraError
from plugins.jira.webhook import LABEL

log = logging.getLogger(__name__)

THIRD_LINE = "3-application"
#: Hub status → the Jira transition that mirrors it (Jira's default workflow names).
TRANSITIONS = {"in_progress": "Start Progress", "resolved": "Resolve Issue",
               "reopened": "Reopen Issue", "closed": "Close Issue"}  # fmt: skip
NO_TRANSITION = "no_transition"
#: Changes made by applying a Jira webhook (``webhook:jira (Name)``): they came from Jira.
FROM_JIRA = "webhook:jira"
ERROR_KEY = "last_error"


@contextlib.contextmanager
def recorded() -> Iterator[None]:
    """Keep the last Jira error in the plugin's state, for the health report.

    The worker rolls back a failed delivery's transaction, so the error is committed on
    its own before the exception goes on to the worker (which records and retries it).
    A success clears an earlier error in the delivery's own transaction.
    """
    try:
        yield
    except (JiraError, ConfigurationError) as exc:
        db.session.rollback()
        configuration = isinstance(exc, ConfigurationError)
        pluginstate.put(
            config.NAME,
            ERROR_KEY,
            {"at": utcnow().isoformat(), "message": str(exc), "configuration": configuration},
        )
        db.session.commit()
        raise
    if pluginstate.get(config.NAME, ERROR_KEY):
        pluginstate.put(config.NAME, ERROR_KEY, None)


def call_url(call: CallView) -> str | None:
    base = config.text("hub_url").rstrip("/")
    return f"{base}/calls/{call.id}" if base else None


def issue_text(call: CallView, escalation: Escalation) -> str:
    """The 3rd-line issue's description: the call, why it was escalated, the way back."""
    url = call_url(call)
    lines = [
        call.description.strip() or "(no description)",
        "",
        f"SLA Hub call {call.id}" + (f": {url}" if url else ""),
        f"Client {call.client}, application {call.application}, priority {call.priority}.",
        f"Escalated to the 3rd line by {escalation.actor}"
        + (f": {escalation.reason}" if escalation.reason else "."),
    ]
    return "\n".join(lines)


def dev_links(call: CallView, project: str) -> list[ExternalRef]:
    return [r for r in call.links if r.system == "jira" and r.key.startswith(f"{project}-")]


def escalate(call: CallView, escalation: Escalation, delivery: Delivery) -> list[ExternalRef]:
    """A call reached the 3rd line: an issue in its application's developers' project.

    A call that has one already (escalated before) gets the new reason as a comment.
    Applications without a Jira project (``applications``) are another plugin's.
    """
    if escalation.to_line != THIRD_LINE or escalation.from_line == THIRD_LINE:
        return []
    with recorded():
        project = config.mapping("applications").get(call.application or "")
        if not project:
            log.info("call %s: application %r has no Jira project", call.id, call.application)
            return []
        jira = config.client()
        if existing := dev_links(call, project):
            body = f"Escalated to the 3rd line again by {escalation.actor}: {escalation.reason}"
            return [ExternalRef("jira-comment", _comment(jira, existing[0].key, body, delivery))]
        label = f"{LABEL}{call.id}"
        found = jira.find_by_label(label, project) if delivery.attempt > 1 else []
        if found:
            key, url = found[0]  # an earlier try made it; its answer was lost
        else:
            summary = f"[{call.client}] {call.title}"
            key, url = jira.create_issue(
                project,
                config.text("issue_type") or "Bug",
                summary,
                issue_text(call, escalation),
                [label],
            )
        if back := call_url(call):
            jira.add_remote_link(key, back, f"SLA Hub call {call.id}: {call.title}"[:250])
    log.info("call %s escalated to Jira %s", call.id, key)
    return [ExternalRef("jira", key, url)]


def _comment(jira: JiraClient, key: str, body: str, delivery: Delivery) -> str:
    if delivery.attempt > 1 and (earlier := jira.find_comment(key, body)):
        return earlier
    return jira.add_comment(key, body)


def comment(call: CallView, change: Change, delivery: Delivery) -> list[ExternalRef]:
    """A note on a call linked to Jira issues becomes a comment on each.

    Changes that came from Jira are not sent back (no echo). Notes given with a change of
    line or assignee are the hub's routing (an escalation's reason), not a comment for
    the client's issue, and stay in the hub.
    """
    issues = [r for r in call.links if r.system == "jira"]
    if not issues or not (change.note or "").strip() or change.actor.startswith(FROM_JIRA):
        return []
    if {"line", "assignee"} & set(change.fields):
        return []
    body = f"{change.note.strip()}\n\n— {change.actor}, SLA Hub call {call.id}"
    with recorded():
        jira = config.client()
        return [
            ExternalRef("jira-comment", _comment(jira, ref.key, body, delivery)) for ref in issues
        ]


def mirror_status(call: CallView, change: Change) -> None:
    """A status change of a call from a client's service-desk issue moves that issue.

    The transition comes from the ``transitions`` setting (else Jira's default names). A
    workflow that does not offer it from the issue's status now (the issue is there
    already, or the client's workflow has no such step) leaves the issue as it is and
    says so in health; it is no error to retry. Changes from Jira are not sent back.
    """
    status = (change.fields.get("status") or {}).get("to")
    if status is None or change.actor.startswith(FROM_JIRA):
        return
    desks = config.mapping("clients")
    issues = [r for r in call.links if r.system == "jira" and r.key.rsplit("-", 1)[0] in desks]
    name = {**TRANSITIONS, **config.mapping("transitions")}.get(status)
    if not issues or not name:
        return
    with recorded():
        jira = config.client()
        for ref in issues:
            offered = jira.transition_names(ref.key)
            chosen = next((t for t in offered if t.lower() == name.lower()), None)
            if chosen is None:
                pluginstate.put(config.NAME, NO_TRANSITION, {
                    "at": utcnow().isoformat(), "issue": ref.key, "transition": name,
                    "offered": offered,
                })  # fmt: skip
                log.info("Jira %s offers no %r (only %s): not moved", ref.key, name, offered)
                continue
            jira.transition(ref.key, chosen)
