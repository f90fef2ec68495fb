"""Calls through the API: create, list, get, change, transitions, notes, time, escalations."""

from __future__ import annotations

from flask import jsonify, request

from hub import calls as service
from hub import documentation
from hub.api import PAGING, actor, bp, current_user, doc, paged, parse, render
from hub.api.schemas import (
    CallCreate,
    CallPatch,
    DocumentIn,
    EscalationIn,
    NoteIn,
    TimeIn,
    TransitionIn,
)
from hub.callsearch import search
from hub.db import db, utcnow
from hub.errors import Forbidden
from hub.hooktypes import ExternalRef
from hub.models import Call
from hub.sla import status
from hub.vocab import LINES, PRIORITIES, STATUSES

STAFF = ("admin", "sla_manager", "associate")
_FILTERS = {
    "client": {"type": "string"},
    "status": {"type": "string", "enum": list(STATUSES)},
    "line": {"type": "string", "enum": list(LINES)},
    "priority": {"type": "string", "enum": list(PRIORITIES)},
    "assignee": {"type": "string"},
    "q": {"type": "string", "maxLength": 200},
}


def _visible(call: Call) -> Call:
    user = current_user()
    if user.role == "client_viewer" and call.client_id != user.client_id:
        raise Forbidden(f"call {call.id} belongs to another client")
    return call


def _load(call_id: int, *, for_update: bool = False) -> Call:
    return _visible(service.get_call(call_id, for_update=for_update))


@bp.post("/calls")
@doc("Register a call", body=CallCreate)
def create_call():  # noqa: ANN201
    data = parse(CallCreate)
    user = current_user()
    if user.role == "client_viewer" and user.client.key != data.client:
        raise Forbidden("a client viewer registers calls for its own client only", "client")
    fields = data.model_dump(exclude={"links"})
    call = service.create(
        actor=actor(),
        source="api",
        links=[ExternalRef(link.system, link.key, link.url) for link in data.links],
        **fields,
    )
    db.session.commit()
    return jsonify(render.call(call)), 201


@bp.get("/calls")
@doc("List calls, filtered and paged", query={**_FILTERS, **PAGING})
def list_calls():  # noqa: ANN201
    user = current_user()
    only = user.client_id if user.role == "client_viewer" else None
    stmt = search(request.args, client_id=only)
    return jsonify(paged(stmt, render.call))


@bp.get("/calls/<int:call_id>")
@doc("One call with its whole history")
def get_call(call_id: int):  # noqa: ANN201
    return jsonify(render.call(_load(call_id), history=True))


@bp.get("/calls/<int:call_id>/clocks")
@doc("The call's SLA clocks: target, business minutes used and left, due time, state")
def get_clocks(call_id: int):  # noqa: ANN201
    now = utcnow()
    views = status.all_clocks(_load(call_id), now)
    return jsonify({"now": now.isoformat(), "clocks": [render.clock(v) for v in views]})


@bp.patch("/calls/<int:call_id>")
@doc("Change title, priority, category, line or assignee", body=CallPatch, roles=STAFF)
def patch_call(call_id: int):  # noqa: ANN201
    data = parse(CallPatch)
    call = _load(call_id, for_update=True)
    changes = data.model_dump(exclude={"note"}, exclude_unset=True)
    service.update(call, actor=actor(), note=data.note, **changes)
    db.session.commit()
    return jsonify(render.call(call))


@bp.post("/calls/<int:call_id>/transitions")
@doc("Move a call to another status (409 lists the allowed ones)", body=TransitionIn, roles=STAFF)
def transition(call_id: int):  # noqa: ANN201
    data = parse(TransitionIn)
    call = _load(call_id, for_update=True)
    service.transition(call, data.to, actor=actor(), note=data.note)
    db.session.commit()
    return jsonify(render.call(call))


@bp.post("/calls/<int:call_id>/notes")
@doc("Add a note to a call's history", body=NoteIn)
def add_note(call_id: int):  # noqa: ANN201
    data = parse(NoteIn)
    call = _load(call_id, for_update=True)
    service.add_note(call, actor=actor(), note=data.note)
    db.session.commit()
    return jsonify(render.event(call.events[-1])), 201


@bp.post("/calls/<int:call_id>/time")
@doc("Book time spent on a call", body=TimeIn, roles=STAFF)
def add_time(call_id: int):  # noqa: ANN201
    data = parse(TimeIn)
    call = _load(call_id, for_update=True)
    entry = service.add_time(
        call, actor=actor(), person=data.person, minutes=data.minutes, note=data.note
    )
    db.session.commit()
    return jsonify(render.time_entry(entry)), 201


@bp.post("/calls/<int:call_id>/escalations")
@doc("Escalate a call to a higher line or to a person", body=EscalationIn, roles=STAFF)
def escalate(call_id: int):  # noqa: ANN201
    data = parse(EscalationIn)
    call = _load(call_id, for_update=True)
    service.escalate(call, actor=actor(), **data.model_dump())
    db.session.commit()
    return jsonify(render.call(call))


@bp.post("/calls/<int:call_id>/documented")
@doc("Mark a call worth a knowledge article (its cause and resolution)", body=DocumentIn,
     roles=STAFF)  # fmt: skip
def document(call_id: int):  # noqa: ANN201
    data = parse(DocumentIn)
    call = _load(call_id, for_update=True)
    documentation.mark_documented(call, actor=actor(), **data.model_dump())
    db.session.commit()
    return jsonify(render.call(call))
