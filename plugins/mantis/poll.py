"""The ``mantis_poll`` job: changed issues of each mapped project, stored as events.

MantisBT has no webhooks and no "updated since" filter (INTEGRATIONS.md §1.5, §1.11),
but lists a project's issues last updated first. So each run pages through a project
until it meets an issue not newer than the stored cursor less :data:`OVERLAP` (dates
have whole seconds: an issue changed in the cursor's own second must not be missed),
and keeps each changed issue with :func:`hub.inbound.store` under the delivery id
``poll:<id>:<updated_at>``: a re-poll stores nothing twice, and the core's ``inbound``
job applies the events through :class:`plugins.mantis.webhook.MantisSource`.

The first run of a project (no cursor) takes over its open issues only, not its
resolved history. An issue exactly as the hub's own last write left it is skipped (the
echo of the hub's change). Each project is committed on its own: one that fails does
not undo another's events.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any

from hub import calls, inbound
from hub.db import db, utcnow
from hub.hooktypes import ExternalRef
from plugins.mantis import mapping, settings, state
from plugins.mantis.client import RESOLVED_STATUS_ID, MantisClient, MantisError, parse_date

log = logging.getLogger(__name__)

OVERLAP = timedelta(minutes=2)
#: A bound on one run's pages per project; the rest waits for the next run.
MAX_PAGES = 200


def run() -> int:
    """Poll every mapped project; returns how many issues were stored.

    An error is recorded for health (a refused token also as a configuration error) and
    raised after the other projects were polled, so the scheduler shows it too.
    """
    if not settings.configured():
        return 0
    stored, first_error = 0, None
    try:
        mappings = settings.contracts()
        client = settings.client()
        account = client.me().get("name")
        state.put("account", account)
    except Exception as exc:  # noqa: BLE001 - recorded for health, then raised
        state.failed(exc)
        raise
    for project in dict.fromkeys(m.project for m in mappings.values()):
        try:
            stored += poll_project(client, project, account)
            db.session.commit()
        except MantisError as exc:
            log.warning("mantis poll of project %r failed: %s", project, exc)
            state.failed(exc)
            first_error = first_error or exc
    state.put("last_poll", {"at": utcnow().isoformat(), "stored": stored})
    if first_error is None:
        state.succeeded()
    db.session.commit()
    if first_error is not None:
        raise first_error
    return stored


def project_id(client: MantisClient, project: str) -> int:
    """The project's id, looked up once by name and remembered."""
    known = state.get(f"project:{project}")
    if known is None:
        known = client.project_id(project)
        state.put(f"project:{project}", known)
    return int(known)


def poll_project(client: MantisClient, project: str, account: str | None) -> int:
    """Store the project's issues changed since its cursor; returns how many.

    The cursor is ``{"at": <newest updated_at>, "skipped": [...]}``: the issues the run
    left out on purpose (resolved ones on the first run, the hub's own echoes) that the
    next run's overlap would otherwise take for changes it missed.
    """
    pid = project_id(client, project)
    cursor = state.get(f"cursor:{pid}") or {}
    since = parse_date(cursor.get("at"))
    skipped_before = set(cursor.get("skipped", ()))
    page_size = settings.number("page_size", int)
    seen: list[tuple[datetime, str, bool]] = []  # updated_at, issue key, left out
    stored = 0
    for page in range(1, MAX_PAGES + 1):
        issues = client.list_issues(pid, page=page, page_size=page_size)
        for issue in issues:
            updated = parse_date(issue.get("updated_at"))
            if updated is None:
                continue
            if since is not None and updated < since - OVERLAP:
                issues = []  # older than the cursor: everything after is too
                break
            key = f"{issue['id']}:{updated.isoformat()}"
            status_id = int((issue.get("status") or {}).get("id", 0))
            leave = (
                key in skipped_before
                or (since is None and status_id >= RESOLVED_STATUS_ID)  # first run: open only
                or state.is_echo(issue)
            )
            seen.append((updated, key, leave))
            if not leave:
                stored += _store(issue, account)
        if len(issues) < page_size:
            break
    if seen:
        newest = max([at for at, _, _ in seen] + ([since] if since else []))
        recent = [key for at, key, leave in seen if leave and at >= newest - OVERLAP]
        state.put(f"cursor:{pid}", {"at": newest.isoformat(), "skipped": recent})
    return stored


def _store(issue: dict[str, Any], account: str | None) -> int:
    """Keep one changed issue as an event, stamped with what interpret cannot look up."""
    call = calls.find_by_ref(ExternalRef("mantis", str(issue["id"])))
    verdict_key = f"verdict:{issue['id']}"
    hub = {
        "status": call.status if call is not None else None,
        "account": account,
        "verdict": state.get(verdict_key),
    }
    body = json.dumps({"event": "poll", "issue": issue, "hub": hub}).encode()
    delivery = f"poll:{issue['id']}:{state.stamp(issue['updated_at'])}"
    if not inbound.store("mantis", delivery_id=delivery, body=body):
        return 0
    state.put(verdict_key, _verdict(issue))
    return 1


def _verdict(issue: dict[str, Any]) -> list[str | None] | None:
    """The hours verdict and feedback as read now (what the next poll compares with)."""
    contract = settings.mapping_for_project(issue.get("project") or {})
    if contract is None:
        return None
    return mapping.verdict(issue, contract.hours_field, contract.feedback_field)
