"""MantisBT bridge over its REST API: calls to issues and back.

Inbound: the ``mantis_poll`` job stores each changed issue of the mapped projects as an
event (:mod:`plugins.mantis.poll`), and a MantisBT push plugin may POST the same shape
to ``/webhooks/mantis`` (README.md here); :mod:`plugins.mantis.webhook` turns both into
calls, status moves, notes and hours verdicts. Outbound: the call hooks, delivered by
the worker, create issues and mirror status, priority, notes and time
(:mod:`plugins.mantis.outbound`). Settings: :mod:`plugins.mantis.settings`.
"""

from __future__ import annotations

from hub import hookimpl
from hub.hooktypes import (
    CallView,
    Change,
    ConfigurationError,
    Delivery,
    ExternalRef,
    Health,
    Job,
    Setting,
)
from plugins.mantis import outbound, poll, settings, state
from plugins.mantis.webhook import MantisSource

__version__ = "0.2.0"


@hookimpl
def hub_register_settings() -> list[Setting]:
    return list(settings.SETTINGS)


@hookimpl
def hub_register_jobs() -> list[Job]:
    interval = float(settings.get("poll_seconds"))
    return [Job(name="mantis_poll", interval=interval, run=poll.run)]


@hookimpl
def hub_get_webhook_handler(source: str) -> MantisSource | None:
    return MantisSource() if source == "mantis" else None


@hookimpl
def hub_call_created(call: CallView, delivery: Delivery) -> list[ExternalRef] | None:
    return outbound.call_created(call, delivery)


@hookimpl
def hub_call_changed(
    call: CallView, change: Change, delivery: Delivery
) -> list[ExternalRef] | None:
    return outbound.call_changed(call, change, delivery)


@hookimpl
def hub_report_health() -> Health:
    """From what the plugin recorded (no network): configuration error, last poll, time
    tracking fallback, last error."""
    if not settings.configured():
        return Health(ok=True, version=__version__, detail="not configured: set url and token")
    try:
        settings.contracts()
    except ConfigurationError as exc:
        return Health(ok=False, version=__version__, detail=f"configuration error: {exc}")
    parts, ok = [], True
    if broken := state.get("config_error"):
        ok = False
        parts.append(f"configuration error since {broken['at']}: {broken['error']}")
    if last := state.get("last_poll"):
        parts.append(f"last poll {last['at']}: {last['stored']} issue(s) stored")
    else:
        parts.append("not polled yet")
    if state.get("time_tracking"):
        parts.append("time tracking is off in MantisBT: time entries go as plain notes")
    if (error := state.get("last_error")) and not broken:
        parts.append(f"last error {error['at']}: {error['error']}")
    return Health(ok=ok, version=__version__, detail="; ".join(parts))
