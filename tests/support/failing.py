"""A test plugin whose ``hub_call_created`` fails while ``HUB_TEST_FAILING`` is set."""

from __future__ import annotations

import os

from hub import hookimpl


class OutsideSystemDown(RuntimeError):
    pass


@hookimpl
def hub_call_created(call, delivery):  # noqa: ANN001,ANN201
    if os.environ.get("HUB_TEST_FAILING"):
        raise OutsideSystemDown(f"tracker unreachable (call {call.id}, attempt {delivery.attempt})")
    return None
