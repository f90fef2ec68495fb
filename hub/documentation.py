"""Asking the plugins for documentation of a subject (a client, application, call, report).

``request`` queues the question in the outbox (so the worker asks each plugin, with
retries); ``collect`` asks now and returns every plugin's pages, for previews and dry runs.
"""

from __future__ import annotations

import logging
from dataclasses import asdict

from hub import outbox
from hub.hooktypes import DocSubject, Page
from hub.pluginmanager import call_one, get_pm, implementers

log = logging.getLogger(__name__)


def request(subject: DocSubject) -> int:
    """Queue ``hub_documentation_requested`` for every implementing plugin (caller commits)."""
    return outbox.enqueue("hub_documentation_requested", {"subject": asdict(subject)})


def collect(subject: DocSubject) -> dict[str, list[Page] | Exception]:
    """Each plugin's pages for ``subject`` now; a plugin that raises gets its error instead."""
    pm = get_pm()
    out: dict[str, list[Page] | Exception] = {}
    for name in implementers(pm, "hub_documentation_requested"):
        try:
            out[name] = list(
                call_one(pm, "hub_documentation_requested", name, subject=subject) or ()
            )
        except Exception as exc:  # noqa: BLE001 - boundary: one plugin's failure stays its own
            log.warning(
                "plugin %s failed to document %s %s: %r", name, subject.kind, subject.key, exc
            )
            out[name] = exc
    return out
