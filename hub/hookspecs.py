"""Every hook of the hub, in one place.

Implementations are called by keyword and may accept fewer arguments than the spec.
The call hooks are delivered through the outbox by the worker, one plugin at a time:
an implementation that raises is retried with backoff and never blocks another plugin.
Hooks return data; the core stores what they return. Plugins write ``from hub import
hookimpl``.
"""

# ruff: noqa: ARG001 - specs are signatures only
from __future__ import annotations

from decimal import Decimal

from flask import Blueprint

from hub import hookspec
from hub.hooktypes import (
    CallView,
    Change,
    Delivery,
    DocSubject,
    Escalation,
    ExternalRef,
    Health,
    Job,
    Page,
    Setting,
    Site,
    SiteReport,
    WebhookHandler,
)

# --- Call moments (delivered by the worker through the outbox) ------------------------


@hookspec
def hub_call_created(call: CallView, delivery: Delivery) -> list[ExternalRef] | None:
    """A call was created (from the API, a webhook or the admin page).

    :param call: the call as created.
    :param delivery: the outbox delivery; ``delivery.key`` is stable across retries.
    :return: references the plugin made for the call elsewhere (e.g. a new Mantis issue);
        the core links them to the call.
    """


@hookspec
def hub_call_changed(
    call: CallView, change: Change, delivery: Delivery
) -> list[ExternalRef] | None:
    """A call's status, priority, assignee or line changed, or a note or time was added.

    :param call: the call after the change.
    :param change: who changed what (``change.fields``: field → from/to) and the note.
    :param delivery: the outbox delivery.
    :return: references to link to the call, or None.
    """


@hookspec
def hub_call_escalated(
    call: CallView, escalation: Escalation, delivery: Delivery
) -> list[ExternalRef] | None:
    """A call was escalated, functionally (to another line) or hierarchically.

    :param call: the call after the escalation.
    :param escalation: kind, from and to line, the person escalated to and why.
    :param delivery: the outbox delivery.
    :return: references to link to the call, or None.
    """


@hookspec
def hub_call_resolved(call: CallView, delivery: Delivery) -> list[ExternalRef] | None:
    """A call reached *resolved* (fires again when a reopened call is resolved again).

    :param call: the resolved call.
    :param delivery: the outbox delivery.
    :return: references to link to the call, or None.
    """


# --- Documentation ----------------------------------------------------------------------


@hookspec
def hub_documentation_requested(subject: DocSubject) -> list[Page] | None:
    """Documentation of a subject is asked for (a contract changed, a month closed ...).

    Delivered by the worker through the outbox (retried while the wiki is down); the core
    fills ``subject.data`` at delivery, so the pages show the data as it is then.

    :param subject: what to document (client, application, report, faq or call), why
        (``reason``: the edit summary), its data, and whether this is a dry run.
    :return: the pages the plugin wrote (or would write) with their ``result``; the core
        keeps them for the admin page. None when it documents nothing.
    """


# --- Client hours ---------------------------------------------------------------------


@hookspec
def hub_hours_low(client: str, balance: Decimal) -> None:
    """A client's hours card fell below its contract's low-balance level (once per
    crossing; again only after a purchase lifted it and it fell again).

    Called right after the change is committed, each plugin on its own: a plugin that
    raises is logged, not retried. The client's wiki page is asked for as well.

    :param client: the client's key.
    :param balance: the card's balance now, in hours (two decimals; negative when in
        overdraft).
    :return: None (a plugin tells someone: mail, chat).
    """


# --- Site checks ----------------------------------------------------------------------


@hookspec
def hub_report_site_checks(sites: list[Site]) -> list[SiteReport] | None:
    """Check these applications' sites now, over HTTP and read-only (the worker's
    ``site_checks`` job and ``slahub sites check``).

    :param sites: the sites due, each with its application key, URL and product line.
    :return: a report per site the plugin checked (the core stores them, opens or
        updates incidents and keeps the certification's state); None when it checks none.
    """


# --- Plumbing -------------------------------------------------------------------------


@hookspec
def hub_register_routes() -> list[Blueprint] | None:
    """Called once at start-up.

    :return: Flask blueprints to mount (a plugin's webhook or admin routes).
    """


@hookspec
def hub_register_settings() -> list[Setting] | None:
    """Called at start-up and by the admin page.

    :return: the plugin's settings with defaults; secrets are marked and read from the
        environment as ``HUB_<PLUGIN>_<NAME>``.
    """


@hookspec
def hub_report_health() -> Health | None:
    """Called for the admin page and readiness checks; must be quick (no network calls).

    :return: whether the plugin works, its version and a short detail (last error).
    """


@hookspec
def hub_register_jobs() -> list[Job] | None:
    """Called once when a worker starts.

    :return: periodic jobs; each runs on one worker at a time across all workers.
    """


@hookspec(firstresult=True)
def hub_get_webhook_handler(source: str) -> WebhookHandler | None:
    """A request arrived at ``/webhooks/<source>``; exactly one plugin owns a source.

    :param source: the path segment after ``/webhooks/``.
    :return: the handler that verifies and interprets the source's requests, or None
        when the plugin does not own the source.
    """
