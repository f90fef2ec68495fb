"""A test plugin whose ``hub_call_created`` fails while ``HUB_TEST_FAILING`` is set:
with an outside system's outage, or with a configuration error when it is ``config``."""

from __future__ import annotations

import os

from hub import hookimpl
from hub.hooktypes import ConfigurationError


class OutsideSystemDown(RuntimeError):
    pass


@hookimpl
def hub_call_created(call, delivery):  # noqa: ANN001,ANN201
    if os.environ.get("HUB_TEST_FAILING") == "config":
        raise ConfigurationError("tracker answered 401 Valid API token required: check the token")
    if os.environ.get("HUB_TEST_FAILING"):
        raise OutsideSystemDown(f"tracker unreachable (call {call.id}, attempt {delivery.attempt})")
    return None
