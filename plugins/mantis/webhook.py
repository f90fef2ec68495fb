"""The ``mantis`` webhook source: pushes from a MantisBT plugin and the poll's own events.

Both carry one JSON object ``{"event": ..., "issue": <issue JSON as the REST API returns
it>}``. A push (``EVENT_REPORT_BUG``, ``EVENT_UPDATE_BUG``, ``EVENT_BUGNOTE_ADD``) is
signed like a generic source (``X-Hub-Signature-256``, ``X-Delivery-Id``) and may add
``"previous_status"`` (the issue's Mantis status before an update). The poll
(:mod:`plugins.mantis.poll`) adds ``"hub"``: the call's status when polled, the hub's
Mantis account, and the hours verdict read last time, since :meth:`interpret` must not
read the database.

An issue becomes a :class:`NewCall` (skipped for issues the hub made itself), then the
status when it moved from the call's known status (the poll's stamp, else the push's
previous status, else *new*; the hub walks its allowed moves to it), the
priority, each note as its own update with a ``mantis-note`` ref (the core adds a note
once; the hub's own notes are skipped), and the client's hours verdict from the
contract's custom fields.
"""

from __future__ import annotations

import json
from typing import Any

from hub.builtin.generic_webhooks import verify_signed
from hub.hooktypes import CallUpdate, ExternalRef, NewCall, RawRequest, WebhookRejected
from plugins.mantis import mapping, settings
from plugins.mantis.state import stamp


class MantisSource:
    """The handler for ``/webhooks/mantis`` and for the events the poll stores."""

    source = "mantis"

    def verify(self, request: RawRequest) -> str:
        """Check the push's signature; its ``X-Delivery-Id`` is the delivery id."""
        secret = str(settings.get("webhook_secret") or "")
        if not secret:
            raise WebhookRejected("mantis pushes are off: set the webhook_secret setting", 401)
        return verify_signed(request, secret)

    def interpret(self, request: RawRequest) -> list[NewCall | CallUpdate]:
        """The issue as a new call (if not the hub's own) and updates; no database."""
        data = _body(request.body)
        issue = data["issue"]
        project = issue.get("project") or {}
        contract = settings.mapping_for_project(project)
        if contract is None:
            raise WebhookRejected(
                f"Mantis project {project.get('name') or project.get('id')!r} is not mapped "
                "to a contract (mantis setting contracts)",
                422,
                "issue.project",
            )
        ref = ExternalRef("mantis", str(issue["id"]), _issue_url(issue["id"]))
        hub = data.get("hub") if isinstance(data.get("hub"), dict) else {}
        actions: list[NewCall | CallUpdate] = []
        ours = mapping.marked(issue.get("description"))
        if not ours:
            actions.append(_new_call(issue, contract.client, ref))
        actions.extend(_status(issue, data, hub, ref, ours))
        priority = mapping.hub_priority(issue.get("priority"))
        if priority:
            actions.append(CallUpdate(ref, priority=priority))
        actions.extend(_notes(issue, hub.get("account"), ref))
        actions.extend(_hours(issue, contract, hub, ref))
        return actions


def _body(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WebhookRejected(f"body is not JSON: {exc}", 400, "body") from None
    if not isinstance(data, dict) or not isinstance(data.get("issue"), dict):
        raise WebhookRejected('body must be {"event": ..., "issue": {...}}', 422, "issue")
    if not isinstance(data["issue"].get("id"), int):
        raise WebhookRejected("issue.id must be a number", 422, "issue.id")
    return data


def _issue_url(issue_id: int) -> str | None:
    base = str(settings.get("url") or "").rstrip("/")
    return f"{base}/view.php?id={issue_id}" if base else None


def _new_call(issue: dict[str, Any], client: str, ref: ExternalRef) -> NewCall:
    severity = str((issue.get("severity") or {}).get("name", "")).lower()
    reporter = issue.get("reporter") or {}
    return NewCall(
        client=client,
        title=(issue.get("summary") or f"Mantis issue {issue['id']}")[:300],
        priority=mapping.hub_priority(issue.get("priority")) or "P3",
        category="change" if severity == "feature" else "incident",
        description=issue.get("description") or "",
        reporter=reporter.get("real_name") or reporter.get("name"),
        links=(ref,),
        opened_at=stamp(issue.get("created_at")),
    )


def _status(
    issue: dict[str, Any], data: dict[str, Any], hub: dict[str, Any], ref: ExternalRef, ours: bool
) -> list[CallUpdate]:
    """The issue's mapped status, when it moved from the call's known status.

    The start is the status the poll read from the call; for a push, the mapped Mantis
    status before the change (the hub mirrors its changes to Mantis, so they agree);
    for a newly reported issue, *new*. Any other push (a note, or an update without its
    previous status) moves nothing: from an unknown start a move could be refused, and
    that would reject the event's notes with it.
    """
    goal = mapping.hub_status(issue.get("status"))
    if goal is None:
        return []
    start = hub.get("status")
    if start is None and data.get("previous_status"):
        start = mapping.hub_status({"name": data["previous_status"]}) or "new"
    if start is None:
        if ours or data.get("event") not in ("poll", "EVENT_REPORT_BUG"):
            return []
        start = "new"
    return [] if start == goal else [CallUpdate(ref, status=goal)]  # the hub walks the way


def _notes(issue: dict[str, Any], account: str | None, ref: ExternalRef) -> list[CallUpdate]:
    out = []
    for note in issue.get("notes") or ():
        reporter = note.get("reporter") or {}
        if (account and reporter.get("name") == account) or mapping.marked(note.get("text")):
            continue  # written by the hub itself
        text = (note.get("text") or "").strip()
        spent = (note.get("time_tracking") or {}).get("duration")
        if spent:
            text = f"{text}\n\n(time tracked in Mantis: {spent})".strip()
        if not text or "id" not in note:
            continue
        out.append(
            CallUpdate(
                ref,
                note=text,
                note_ref=ExternalRef("mantis-note", str(note["id"])),
                actor=reporter.get("real_name") or reporter.get("name"),
            )
        )
    return out


def _hours(
    issue: dict[str, Any], contract: settings.Mapping, hub: dict[str, Any], ref: ExternalRef
) -> list[CallUpdate]:
    """The client's verdict on the booked hours, when set and (for a poll) changed."""
    read = mapping.verdict(issue, contract.hours_field, contract.feedback_field)
    if read is None:
        return []
    if "verdict" in hub and hub["verdict"] == read:
        return []  # read before: recorded then
    return [CallUpdate(ref, hours=read[0], feedback=read[1])]
