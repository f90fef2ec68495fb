"""A test plugin like a tracker: ``hub_call_created`` makes an issue (a link) and fails
while ``HUB_TEST_TRACKER_DOWN`` is set; ``hub_call_changed`` records the links the call
has when the change reaches it (in ``HUB_TEST_RECORD_FILE``, hook ``ordered_changed``)."""

from __future__ import annotations

import json
import os

from hub import hookimpl
from hub.hooktypes import ExternalRef


@hookimpl
def hub_call_created(call, delivery):  # noqa: ANN001,ANN201
    if os.environ.get("HUB_TEST_TRACKER_DOWN"):
        raise ConnectionError(f"tracker unreachable (call {call.id})")
    return [ExternalRef("ordered", f"O-{call.id}")]


@hookimpl
def hub_call_changed(call, change, delivery):  # noqa: ANN001,ANN201
    line = {"hook": "ordered_changed", "call": call.id, "note": change.note,
            "links": [f"{link.system}:{link.key}" for link in call.links]}  # fmt: skip
    with open(os.environ["HUB_TEST_RECORD_FILE"], "a") as out:
        out.write(json.dumps(line) + "\n")
