"""The worker: delivers the outbox, runs periodic jobs, and says it is alive.

Run it with ``slahub worker``; any number may run side by side. SIGTERM or SIGINT lets
the current delivery (or job) finish and hands the rest of the claimed batch back, then
the worker stops.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from hub import calls, documentation, logs, outbox, requestid, scheduler
from hub.db import db, utcnow
from hub.hooktypes import (
    CallView,
    Change,
    ConfigurationError,
    Delivery,
    DocSubject,
    Escalation,
    ExternalRef,
    Page,
)
from hub.models import CallLink, OutboxDelivery, WorkerHeartbeat
from hub.pluginmanager import call_one, get_pm

log = logging.getLogger(__name__)

#: How the JSON payload of a delivery turns back into hook arguments.
_ARGUMENTS = {
    "call": CallView.from_dict,
    "change": lambda d: Change(**d),
    "escalation": lambda d: Escalation(**{**d, "recipients": tuple(d.get("recipients", ()))}),
    "subject": lambda d: DocSubject(**d),
}

HEARTBEAT_SECONDS = 10


def _page(page: Page | dict) -> Page:
    return page if isinstance(page, Page) else Page(**page)


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def deliver(delivery_id: int, worker_id: str) -> bool:
    """Call the one plugin a claimed delivery is for; True when it succeeded."""
    if outbox.waits_for_earlier(delivery_id):
        outbox.release([delivery_id], worker_id)  # not an attempt: taken again after it
        log.info("delivery %s: waits for an earlier one of its call", delivery_id)
        return False
    # The batch's lease may have run out while this delivery waited its turn.
    if not outbox.renew(delivery_id, worker_id, float(current_app.config["OUTBOX_LEASE_SECONDS"])):
        db.session.commit()
        log.warning("delivery %s: lease lost before it was tried; skipped", delivery_id)
        return False
    row = db.session.get(OutboxDelivery, delivery_id)
    hook, plugin, payload, attempts = row.hook, row.plugin, dict(row.payload), row.attempts
    previous_error, request_id = row.last_error, row.request_id
    db.session.commit()  # keep the new lease; end the transaction before calling out
    # Under the id of the request (or applied webhook) that caused the delivery: the
    # plugin's log lines, and the outcome's, read together with the cause's.
    with requestid.bound(request_id):
        done = _attempt(delivery_id, worker_id, hook, plugin, payload, attempts, previous_error)
        log.info(
            "delivery %s (%s → %s) attempt %s: %s",
            delivery_id,
            hook,
            plugin,
            attempts,
            "done" if done else "failed",
            extra={"delivery": delivery_id, "hook": hook, "plugin": plugin,
                   "attempt": attempts, "outcome": "done" if done else "failed"},
        )  # fmt: skip
    return done


def _links_now(call_id: int) -> tuple[ExternalRef, ...]:
    """The call's links as they are now, in the order they were made."""
    rows = db.session.scalars(
        select(CallLink).where(CallLink.call_id == call_id).order_by(CallLink.id)
    )
    return tuple(ExternalRef(link.system, link.key, link.url) for link in rows)


def _attempt(
    delivery_id: int,
    worker_id: str,
    hook: str,
    plugin: str,
    payload: dict,
    attempts: int,
    previous_error: str | None,
) -> bool:
    """One attempt at a claimed, renewed delivery; records the outcome on the row."""
    if attempts > int(current_app.config["OUTBOX_MAX_ATTEMPTS"]):
        # Every attempt so far ended with its worker gone before it could record anything.
        error = f"gave up after {attempts - 1} attempts; the worker stopped during the last"
        outbox.mark_failed(delivery_id, worker_id, attempts - 1, f"{error} ({previous_error})")
        return False
    try:
        kwargs = {name: _ARGUMENTS[name](value) for name, value in payload.items()}
        kwargs["delivery"] = Delivery(id=delivery_id, attempt=attempts, key=f"outbox-{delivery_id}")
        if "subject" in kwargs:  # documentation shows the subject as it is now
            kwargs["subject"] = documentation.fill(kwargs["subject"])
        if "call" in kwargs:  # a note made before the tracker issue existed goes to it
            kwargs["call"] = replace(kwargs["call"], links=_links_now(kwargs["call"].id))
        # A plugin missing in this worker raises LookupError: retried, then dead, never
        # "done" for a delivery that reached no one.
        result = call_one(get_pm(), hook, plugin, **kwargs)
        if result and "call" in payload:
            refs = [r if isinstance(r, ExternalRef) else ExternalRef(**r) for r in result]
            call = calls.get_call(payload["call"]["id"], for_update=True)
            calls.add_links(call, refs, actor=f"plugin:{plugin}")
            db.session.flush()
        if result and "subject" in payload:
            documentation.record(plugin, kwargs["subject"], [_page(p) for p in result])
            db.session.flush()
    except Exception as exc:  # noqa: BLE001 - boundary: one plugin's failure is recorded, retried
        db.session.rollback()
        # Kept on the row and shown on the admin page: no configured secret in it.
        error = logs.redact(current_app, "".join(traceback.format_exception_only(exc)).strip())
        final = isinstance(exc, ConfigurationError)  # a wrong setting: not retried forever
        log.warning("delivery %s (%s → %s) failed: %s", delivery_id, hook, plugin, error)
        if not outbox.mark_failed(delivery_id, worker_id, attempts, error, final=final):
            log.warning("delivery %s: lease lost before recording the failure", delivery_id)
        return False
    if not outbox.mark_done(delivery_id, worker_id, attempts):
        log.warning("delivery %s: lease lost before completion", delivery_id)
    return True


def drain_once(app: Flask, worker_id: str, stopping: Callable[[], bool] = lambda: False) -> int:
    """Claim one batch and deliver it; returns how many deliveries were tried.

    When ``stopping()`` turns true, the rest of the batch is handed back after the
    delivery in progress, for another worker to take at once.
    """
    cfg = app.config
    ids = outbox.claim(worker_id, int(cfg["WORKER_BATCH"]), float(cfg["OUTBOX_LEASE_SECONDS"]))
    chain = outbox.chains(ids) if ids else {}
    stopped: set[tuple[str, int]] = set()  # a call's deliveries to a plugin, one failed
    for n, delivery_id in enumerate(ids, 1):
        plugin, call_id = chain.get(delivery_id, ("", None))
        if call_id is not None and (plugin, call_id) in stopped:
            outbox.release([delivery_id], worker_id)  # waits for the one that failed
        elif not deliver(delivery_id, worker_id) and call_id is not None:
            stopped.add((plugin, call_id))
        if stopping() and n < len(ids):
            outbox.release(ids[n:], worker_id)
            return n
    return len(ids)


def heartbeat(worker_id: str) -> None:
    row = db.session.get(WorkerHeartbeat, worker_id)
    if row is None:
        db.session.add(WorkerHeartbeat(worker_id=worker_id))
    else:
        row.seen_at = utcnow()
    db.session.commit()


def latest_heartbeat():  # noqa: ANN201
    return db.session.scalar(select(db.func.max(WorkerHeartbeat.seen_at)))


@dataclass
class Worker:
    app: Flask
    worker_id: str = field(default_factory=new_worker_id)
    stopping: bool = False

    def stop(self, *_: object) -> None:
        self.stopping = True

    def run(self, *, once: bool = False) -> None:
        """Loop until stopped (or, with ``once``, until the outbox has nothing due)."""
        cfg = self.app.config
        with self.app.app_context():
            jobs = scheduler.collect()
            scheduler.ensure_rows(jobs)
            last_beat = 0.0
            log.info("worker %s started with jobs %s", self.worker_id, [j.name for j in jobs])
            idle = float(cfg["WORKER_IDLE_SECONDS"])
            nap, batch = float(cfg["WORKER_NAP_SECONDS"]), int(cfg["WORKER_BATCH"])
            pause = idle
            while not self.stopping:
                try:
                    if time.monotonic() - last_beat > HEARTBEAT_SECONDS:
                        heartbeat(self.worker_id)
                        last_beat = time.monotonic()
                    worked = scheduler.run_due(
                        jobs, self.worker_id, float(cfg["OUTBOX_LEASE_SECONDS"])
                    ).handled
                    if self.stopping:
                        break
                    tried = worked + drain_once(self.app, self.worker_id, lambda: self.stopping)
                    pause = idle
                except OperationalError as exc:
                    # The database went away (restart, failover, network, SQLite busy): try
                    # again on a new connection; what this worker held comes back by lease.
                    if once:
                        raise
                    log.warning(
                        "worker %s: database error, retrying: %s", self.worker_id, exc.orig or exc
                    )
                    tried, pause = 0, min(max(pause * 2, idle), 30.0)
                finally:
                    db.session.remove()
                if tried == 0:
                    if once:
                        return
                    time.sleep(pause)
                elif tried < batch and not once:
                    # Caught up: a short nap gathers the next few items into one round
                    # instead of a round (and its transactions) per item.
                    time.sleep(nap)

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
