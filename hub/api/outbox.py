"""The outbox through the API: see deliveries by state, re-drive dead ones."""

from __future__ import annotations

from flask import jsonify, request
from sqlalchemy import select

from hub import outbox
from hub.api import PAGING, bp, doc, paged, render
from hub.db import db
from hub.errors import Invalid
from hub.models import OutboxDelivery

STATES = ("pending", "done", "dead")


@bp.get("/outbox")
@doc(
    "List outbox deliveries by state",
    query={"state": {"type": "string", "enum": list(STATES)}, **PAGING},
    roles=("admin", "sla_manager"),
)
def list_outbox():  # noqa: ANN201
    stmt = select(OutboxDelivery).order_by(OutboxDelivery.id.desc())
    state = request.args.get("state")
    if state is not None:
        if state not in STATES:
            raise Invalid(f"unknown state {state!r}; expected one of {', '.join(STATES)}", "state")
        stmt = stmt.where(OutboxDelivery.state == state)
    return jsonify(paged(stmt, render.delivery) | {"counts": outbox.counts()})


@bp.post("/outbox/<int:delivery_id>/redrive")
@doc("Give a dead delivery a fresh set of attempts", roles=("admin",))
def redrive(delivery_id: int):  # noqa: ANN201
    delivery = outbox.redrive(delivery_id)
    db.session.commit()
    return jsonify(render.delivery(delivery))
