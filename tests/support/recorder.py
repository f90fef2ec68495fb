"""A test plugin that records every call hook it gets, one line per delivery, in a file.

It works across processes (worker subprocesses load it through PLUGIN_MODULES):
- ``HUB_TEST_RECORD_FILE``: where to append one JSON line per delivery (key, hook, call id,
  and the pid of the process that delivered it);
- ``HUB_TEST_SLOW_SECONDS``: sleep this long before recording (to kill a worker mid-way).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from hub import hookimpl
from hub.hooktypes import CallView, Delivery, ExternalRef, Health

__version__ = "9.9.9"


def _record(hook: str, call: CallView, delivery: Delivery, **extra: object) -> None:
    slow = float(os.environ.get("HUB_TEST_SLOW_SECONDS", "0"))
    if slow:
        time.sleep(slow)
    record = {"key": delivery.key, "hook": hook, "call": call.id, "pid": os.getpid(), **extra}
    line = json.dumps(record) + "\n"
    fd = os.open(os.environ["HUB_TEST_RECORD_FILE"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(fd, line.encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def records(path: str | Path) -> list[dict]:
    p = Path(path)
    return [json.loads(line) for line in p.read_text().splitlines()] if p.exists() else []


@hookimpl
def hub_call_created(call, delivery):  # noqa: ANN001,ANN201
    _record("hub_call_created", call, delivery, title=call.title)
    return [ExternalRef("recorder", f"R-{call.id}", f"https://recorder.example/{call.id}")]


@hookimpl
def hub_call_changed(call, change, delivery):  # noqa: ANN001,ANN201
    _record("hub_call_changed", call, delivery, fields=sorted(change.fields), note=change.note)


@hookimpl
def hub_call_escalated(call, escalation, delivery):  # noqa: ANN001,ANN201
    _record("hub_call_escalated", call, delivery, kind=escalation.kind, to_line=escalation.to_line)


@hookimpl
def hub_call_resolved(call, delivery):  # noqa: ANN001,ANN201
    _record("hub_call_resolved", call, delivery, status=call.status)


@hookimpl
def hub_report_health() -> Health:
    return Health(ok=True, version=__version__, detail="recording")
