"""Mirroring the hub's calls to MantisBT (run by the worker through the outbox).

A call under a contract with ``create_issues`` becomes an issue; after that, the hub's
status and priority changes are PATCHed, its notes posted, and its time entries posted
as time-tracking notes (or, with time tracking off in MantisBT, its default, as plain
notes saying the duration). Changes that came from Mantis (actor ``webhook:mantis…``)
are not sent back. Every write records the issue's new ``updated_at`` so that the poll
does not read the hub's own change back, and every note returns a ``mantis-note`` ref so
that the core never adds it to the call as a new note.

Retries: the worker retries a failed delivery with the same ``delivery.key``; the issue
or note a lost answer left behind carries that key (:func:`plugins.mantis.mapping.mark`)
and is found again rather than made twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from hub.db import utcnow
from hub.hooktypes import CallView, Change, Delivery, ExternalRef
from plugins.mantis import mapping, poll, settings, state
from plugins.mantis.client import MantisClient, MantisError, Note, TimeTrackingDisabled, duration

#: After MantisBT refused a duration, time goes as plain notes; try again after this.
RETRY_TIME_TRACKING = timedelta(hours=24)


def call_created(call: CallView, delivery: Delivery) -> list[ExternalRef] | None:
    """Report the call as an issue when its contract says so; returns the issue's ref."""
    if not settings.configured() or any(link.system == "mantis" for link in call.links):
        return None
    contract = settings.contracts().get(call.contract or "")
    if contract is None or not contract.create_issues:
        return None
    client = settings.client()
    try:
        pid = poll.project_id(client, contract.project)
        issue = _earlier_issue(client, pid, delivery) if delivery.attempt > 1 else None
        if issue is None:
            issue = client.create_issue(
                project_id=pid,
                summary=call.title,
                description=_description(call, delivery.key),
                category=contract.category,
                priority=mapping.PRIORITY_OUT.get(call.priority),
            )
    except MantisError as exc:
        state.failed(exc)
        raise
    state.wrote(issue)
    state.succeeded()
    return [ExternalRef("mantis", str(issue["id"]), client.issue_url(issue["id"]))]


def call_changed(call: CallView, change: Change, delivery: Delivery) -> list[ExternalRef] | None:
    """Mirror a change of a linked call; returns the ref of a note it posted."""
    if change.actor.startswith("webhook:mantis") or not settings.configured():
        return None  # from Mantis itself: sending it back would echo
    link = next((link for link in call.links if link.system == "mantis"), None)
    if link is None:
        return None
    issue_id, fields = int(link.key), change.fields
    client = settings.client()
    patch: dict[str, Any] = {}
    if "status" in fields:
        patch.update(mapping.STATUS_OUT.get(fields["status"]["to"], {}))
    if "priority" in fields and fields["priority"]["to"] in mapping.PRIORITY_OUT:
        patch["priority"] = {"name": mapping.PRIORITY_OUT[fields["priority"]["to"]]}
    note: Note | None = None
    try:
        if patch:
            state.wrote(client.update_issue(issue_id, patch))
        if "time" in fields:
            note = _time_note(client, issue_id, call, change, delivery)
        elif change.note:
            text = f"{change.note}\n\n{mapping.mark(call.id, delivery.key)} by {change.actor}"
            note = _note(client, issue_id, text, delivery)
    except MantisError as exc:
        state.failed(exc)
        raise
    state.succeeded()
    if note is None:
        return None
    state.wrote(note.issue)
    return [ExternalRef("mantis-note", str(note.id))]


def _description(call: CallView, key: str) -> str:
    hub_url = str(settings.get("hub_url") or "").rstrip("/")
    link = f"{hub_url}/admin/calls/{call.id}" if hub_url else None
    text = call.description.strip() or call.title
    return f"{text}\n\n{mapping.mark(call.id, key, link)}"


def _earlier_issue(client: MantisClient, pid: int, delivery: Delivery) -> dict | None:
    """The issue an earlier attempt of this delivery made (its answer was lost): it is
    among the project's most recently updated."""
    for issue in client.list_issues(pid, page=1, page_size=settings.number("page_size", int)):
        if mapping.marked(issue.get("description"), delivery.key):
            return issue
    return None


def _note(
    client: MantisClient, issue_id: int, text: str, delivery: Delivery, minutes: int | None = None
) -> Note:
    """Post a note, unless an earlier attempt of this delivery already did."""
    if delivery.attempt > 1:
        issue = client.get_issue(issue_id)
        for note in issue.get("notes") or ():
            if mapping.marked(note.get("text"), delivery.key):
                return Note(id=int(note["id"]), issue=issue)
    return client.add_note(issue_id, text, minutes=minutes)


def _time_note(
    client: MantisClient, issue_id: int, call: CallView, change: Change, delivery: Delivery
) -> Note:
    """A time entry as a time-tracking note, or as a plain note while MantisBT refuses."""
    entry = change.fields["time"]["to"]
    minutes, person = int(entry["minutes"]), entry["person"]
    text = change.note or f"Time booked by {person}"
    footer = f"{mapping.mark(call.id, delivery.key)} by {change.actor}"
    if not _time_tracking_off():
        try:
            note = _note(client, issue_id, f"{text}\n\n{footer}", delivery, minutes)
        except TimeTrackingDisabled as exc:
            state.put(
                "time_tracking", {"off_since": utcnow().isoformat(), "error": str(exc)}, commit=True
            )
        else:
            state.put("time_tracking", None)
            return note
    plain = f"{text}\n\n{duration(minutes)} booked by {person} in the hub"
    return _note(client, issue_id, f"{plain}\n\n{footer}", delivery)


def _time_tracking_off() -> bool:
    off = state.get("time_tracking")
    if not off:
        return False
    return utcnow() - datetime.fromisoformat(off["off_since"]) < RETRY_TIME_TRACKING
