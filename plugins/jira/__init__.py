"""Jira bridge: calls from clients' service-desk projects, 3rd-line issues in the
developers' projects, and comments, statuses and resolutions both ways.

Outbound calls go through :mod:`plugins.jira.client` (the ``jira`` library), delivered
by the worker from the outbox; inbound events arrive at ``POST /webhooks/jira``
(:mod:`plugins.jira.webhook`). Settings: :mod:`plugins.jira.config`.
"""

from __future__ import annotations

from hub import hookimpl, pluginstate
from hub.hooktypes import CallView, Change, Delivery, Escalation, ExternalRef, Health, Setting
from plugins.jira import config, outbound
from plugins.jira.webhook import JiraWebhook

__version__ = "0.2.0"


@hookimpl
def hub_register_settings() -> list[Setting]:
    return list(config.SETTINGS)


@hookimpl
def hub_get_webhook_handler(source: str) -> JiraWebhook | None:
    return JiraWebhook() if source == config.NAME else None


@hookimpl
def hub_call_escalated(
    call: CallView, escalation: Escalation, delivery: Delivery
) -> list[ExternalRef] | None:
    return outbound.escalate(call, escalation, delivery) or None


@hookimpl
def hub_call_changed(
    call: CallView, change: Change, delivery: Delivery
) -> list[ExternalRef] | None:
    refs = outbound.comment(call, change, delivery)
    outbound.mirror_status(call, change)
    return refs or None


@hookimpl
def hub_report_health() -> Health:
    """From the settings and the last error kept in the plugin's state; no network."""
    missing = [key for key in ("url", "token") if not config.text(key)]
    if missing:  # switched off rather than failing, as the Mantis bridge says it
        return Health(ok=True, version=__version__, detail=f"not configured: {', '.join(missing)}")
    error = pluginstate.get(config.NAME, outbound.ERROR_KEY)
    if error:
        kind = "configuration error" if error.get("configuration") else "last error"
        return Health(
            ok=False, version=__version__, detail=f"{kind} at {error['at']}: {error['message']}"
        )
    detail = f"bridges {config.text('url')}"
    if skipped := pluginstate.get(config.NAME, outbound.NO_TRANSITION):
        detail += (
            f"; {skipped['issue']} not moved at {skipped['at']}: its workflow offers no "
            f"{skipped['transition']!r} (only {', '.join(skipped['offered']) or 'none'})"
        )
    return Health(ok=True, version=__version__, detail=detail)
