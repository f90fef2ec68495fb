"""Calls in the admin pages: the filtered list, one call with its history, and changes."""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from hub import calls as service
from hub.admin import NavEntry, add_nav, bp
from hub.admin.access import role_required
from hub.db import db
from hub.errors import HubError, NotFound
from hub.models import Call, Client, Person
from hub.vocab import LINES, PRIORITIES, STATUSES, USER_ROLES

STAFF = ("admin", "sla_manager", "associate")
PAGE_SIZE = 25
FILTERS = ("client", "status", "line", "priority", "assignee", "q")

add_nav(NavEntry("Calls", "admin.call_list"))


def _actor() -> str:
    return f"user:{current_user.username}"


def _visible(call_id: int, *, for_update: bool = False) -> Call:
    try:
        call = service.get_call(call_id, for_update=for_update)
    except NotFound:
        abort(404)
    if current_user.role == "client_viewer" and call.client_id != current_user.client_id:
        page = render_template("admin/403.html", reason="This call belongs to another client.")
        abort(make_response(page, 403))
    return call


@bp.get("/calls")
@role_required(*USER_ROLES)
def call_list():  # noqa: ANN201
    filters = {k: request.args[k] for k in FILTERS if request.args.get(k)}
    only = current_user.client_id if current_user.role == "client_viewer" else None
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and int(page) > 0 else 1
    error = None
    try:
        stmt = service.search(filters, client_id=only)
        total = db.session.scalar(select(db.func.count()).select_from(stmt.subquery()))
        rows = db.session.scalars(stmt.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    except HubError as exc:
        error, rows, total = exc, [], 0
    choices = {
        "client": db.session.scalars(select(Client.key).order_by(Client.key)).all(),
        "status": STATUSES,
        "line": LINES,
        "priority": PRIORITIES,
        "assignee": db.session.scalars(select(Person.key).order_by(Person.key)).all(),
    }
    if only is not None:
        choices["client"] = [current_user.client.key]
    status = 400 if error else 200
    return render_template(
        "admin/calls.html",
        calls=rows,
        filters=filters,
        choices=choices,
        error=error,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        total=total,
    ), status


@bp.get("/calls/<int:call_id>")
@role_required(*USER_ROLES)
def call_detail(call_id: int):  # noqa: ANN201
    call = _visible(call_id)
    people = db.session.scalars(select(Person).order_by(Person.key)).all()
    return render_template(
        "admin/call.html",
        call=call,
        allowed=service.allowed(call) if current_user.role in STAFF else (),
        staff=current_user.role in STAFF,
        people=people,
    )


@bp.post("/calls/<int:call_id>/transition")
@role_required(*STAFF)
def call_transition(call_id: int):  # noqa: ANN201
    return _change(call_id, lambda call: service.transition(
        call, request.form.get("to", ""), actor=_actor(), note=request.form.get("note") or None
    ))  # fmt: skip


@bp.post("/calls/<int:call_id>/note")
@role_required(*STAFF)
def call_note(call_id: int):  # noqa: ANN201
    note = request.form.get("note", "")
    return _change(call_id, lambda call: service.add_note(call, actor=_actor(), note=note))


@bp.post("/calls/<int:call_id>/time")
@role_required(*STAFF)
def call_time(call_id: int):  # noqa: ANN201
    minutes = request.form.get("minutes", "")
    if not minutes.isdigit():
        flash("minutes: a whole number of minutes, please")
        return redirect(url_for("admin.call_detail", call_id=call_id)), 303
    return _change(call_id, lambda call: service.add_time(
        call, actor=_actor(), person=request.form.get("person", ""), minutes=int(minutes),
        note=request.form.get("note") or None,
    ))  # fmt: skip


def _change(call_id: int, change) -> object:  # noqa: ANN001
    """Apply ``change`` to the call in one transaction; a refusal is shown, nothing saved."""
    call = _visible(call_id, for_update=True)
    try:
        change(call)
        db.session.commit()
    except HubError as exc:
        db.session.rollback()
        flash(f"{exc.field + ': ' if exc.field else ''}{exc.message}")
    return redirect(url_for("admin.call_detail", call_id=call_id)), 303
