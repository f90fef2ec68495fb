"""Documentation of the hub's subjects (clients, applications, monthly reports, product
line FAQs, knowledge articles), written by plugins such as the service wiki.

``request`` queues a subject in the outbox: the worker fills in the subject's data as it
is at delivery (:mod:`hub.docdata`) and asks each documenting plugin, with retries;
``collect`` asks now (``slahub wiki sync``, previews, dry runs). What a plugin says it
wrote is kept (:func:`record`) for the admin page. The triggers live here too: a
contract, client, application or person changed, a call marked worth documenting.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from hub import outbox
from hub.db import db, utcnow
from hub.errors import Invalid
from hub.hooktypes import DocSubject, Page
from hub.models import CallEvent, DocPage
from hub.pluginmanager import call_one, get_pm, implementers

if TYPE_CHECKING:
    from hub.models import Call

log = logging.getLogger(__name__)
HOOK = "hub_documentation_requested"


def documenting_plugins() -> list[str]:
    """The enabled plugins that write documentation."""
    return implementers(get_pm(), HOOK)


def request(kind: str, key: str, reason: str, *, bulk: bool = False) -> int:
    """Queue the documentation of one subject for every documenting plugin (the caller
    commits); the data is read when the worker delivers it. ``bulk``: one of many."""
    subject = {"kind": kind, "key": key, "reason": reason, **({"bulk": True} if bulk else {})}
    return outbox.enqueue(HOOK, {"subject": subject})


def fill(subject: DocSubject) -> DocSubject:
    """The subject with its data as it is now (kept if the subject carries data already)."""
    if subject.data:
        return subject
    from hub import docdata  # (docdata reads every part of the hub; only needed here)

    return replace(subject, data=docdata.subject(subject.kind, subject.key, subject.reason).data)


def collect(subject: DocSubject) -> dict[str, list[Page] | Exception]:
    """Each plugin's pages for ``subject`` now; a plugin that raises gets its error instead.

    Pages written (not dry runs) are recorded; the caller commits.
    """
    pm = get_pm()
    subject = fill(subject)
    out: dict[str, list[Page] | Exception] = {}
    for name in implementers(pm, HOOK):
        try:
            pages = list(call_one(pm, HOOK, name, subject=subject) or ())
        except Exception as exc:  # noqa: BLE001 - boundary: one plugin's failure stays its own
            what = f"{subject.kind} {subject.key}"
            log.warning("plugin %s failed to document %s: %r", name, what, exc)
            out[name] = exc
            continue
        out[name] = pages
        if not subject.dry_run:
            record(name, subject, pages)
    return out


def record(plugin: str, subject: DocSubject, pages: list[Page]) -> None:
    """Keep what ``plugin`` wrote for ``subject``: per page its URL, result and sync time."""
    now = utcnow()
    client_key = _client_of(subject)
    for page in pages:
        row = db.session.scalar(
            select(DocPage).where(DocPage.plugin == plugin, DocPage.title == page.title)
        )
        if row is None:
            row = DocPage(plugin=plugin, title=page.title)
            db.session.add(row)
        row.kind, row.key, row.client_key = subject.kind, subject.key, client_key
        row.url, row.result, row.summary = page.url, page.result or "", page.summary
        row.synced_at = now
        if page.result in ("created", "edited"):
            row.changed_at = now


def _client_of(subject: DocSubject) -> str | None:
    if subject.kind == "client":
        return subject.key
    if subject.kind == "report":
        return subject.key.split("/", 1)[0]
    client = subject.data.get("client")
    return client.get("key") if isinstance(client, dict) else None


# -- what asks for documentation --------------------------------------------------------


def mark_documented(call: Call, *, actor: str, cause: str, resolution: str) -> Call:
    """Staff mark a call worth a knowledge article (its cause and resolution in words).

    The article is written once the call is resolved (now, if it is already), and again
    when the call is marked anew.
    """
    from hub import calls  # (calls tells this module when a call is resolved)

    cause, resolution = cause.strip(), resolution.strip()
    if not cause:
        raise Invalid("say what caused the problem", "cause")
    if not resolution:
        raise Invalid("say how it was resolved", "resolution")
    calls.record(call, actor, "documented", {"cause": cause, "resolution": resolution}, None)
    if call.status in ("resolved", "closed"):
        request("call", str(call.id), f"knowledge article of call {call.id}")
    return call


def on_resolved(call: Call) -> None:
    """A resolved call that staff marked worth documenting gets its knowledge article."""
    marked = db.session.scalar(
        select(CallEvent.id).where(CallEvent.call_id == call.id, CallEvent.kind == "documented")
    )
    if marked is not None:
        request("call", str(call.id), f"knowledge article of call {call.id} (resolved)")


#: Where the core remembers the last month whose SLA reports were queued.
MONTH_KEY = "documented_month"


def monthly(now: datetime | None = None) -> int:
    """Once a month (the ``documentation_monthly`` job, run hourly): queue the last
    month's SLA report page of every client with a contract; returns how many."""
    from hub import pluginstate
    from hub.models import Client, Contract
    from hub.sla.rosterplan import zone  # the hub's own time zone decides the month

    if not documenting_plugins():
        return 0
    local = (now or utcnow()).astimezone(zone())
    year, month = (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
    period = f"{year}-{month:02d}"
    if pluginstate.get("hub", MONTH_KEY) == period:
        return 0
    keys = db.session.scalars(
        select(Client.key).join(Contract, Contract.client_id == Client.id).distinct()
    ).all()
    for key in sorted(keys):
        request("report", f"{key}/{period}", f"monthly report {period}")
    pluginstate.put("hub", MONTH_KEY, period)
    db.session.commit()
    return len(keys)
