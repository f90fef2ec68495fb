"""Calls in the admin pages: the filtered list, one call with its history, and changes."""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from hub import calls as service
from hub import documentation
from hub.admin import NavEntry, add_nav, bp
from hub.admin.access import role_required
from hub.admin.forms import Field, choices, drop_none, read, refusal, validate
from hub.admin.hours import call_hours
from hub.admin.paging import Page, page_of
from hub.api.schemas import CallCreate
from hub.callsearch import search
from hub.db import db, utcnow
from hub.errors import HubError, NotFound
from hub.hours import ledger
from hub.models import Application, Call, Client, Person
from hub.sla import status
from hub.vocab import CATEGORIES, LINE_TITLES, LINES, PRIORITIES, STATUSES, USER_ROLES

STAFF = ("admin", "sla_manager", "associate")
#: Who gives the client's verdict on a call's hours: the client viewer, or a manager
#: recording one given by phone or mail (associates booked the hours: not them).
JUDGES = ("admin", "sla_manager", "client_viewer")
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
    error = None
    try:
        page = page_of(search(filters, client_id=only), PAGE_SIZE)
    except HubError as exc:
        error, page = exc, Page([], 1, 1, 0)
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
        calls=page.rows,
        filters=filters,
        choices=choices,
        error=error,
        page=page.number,
        pages=page.pages,
        total=page.total,
    ), status


def _call_fields() -> list[Field]:
    clients = db.session.scalars(select(Client).order_by(Client.key)).all()
    apps = db.session.scalars(select(Application).order_by(Application.key)).all()
    people = db.session.scalars(select(Person).where(Person.active).order_by(Person.key)).all()
    return [
        Field("client", "Client", "select", tuple((c.key, c.name) for c in clients), True),
        Field("application", "Application", "select",
              tuple((a.key, f"{a.name} ({a.client.key})") for a in apps),
              help="Leave empty when the call is not about one site."),
        Field("title", "Title", required=True, maxlength=300),
        Field("description", "Description", "textarea", maxlength=100_000),
        Field("priority", "Priority", "select", choices(PRIORITIES), True),
        Field("category", "Category", "select", choices(CATEGORIES), True),
        Field("line", "Line", "select", choices(LINES, LINE_TITLES),
              help="Leave empty to route by category."),
        Field("assignee", "Assignee", "select", tuple((p.key, p.name) for p in people)),
        Field("reporter", "Reported by"),
    ]  # fmt: skip


@bp.route("/calls/new", methods=["GET", "POST"])
@role_required(*STAFF)
def call_new():  # noqa: ANN201
    """Register a call by hand (a client on the phone, an e-mail)."""
    fields = _call_fields()
    values: dict = {"priority": "P3", "category": "incident", "client": request.args.get("client")}
    errors: dict = {}
    if request.method == "POST":
        data, errors, values = read(fields, request.form)
        parsed, schema_errors = validate(CallCreate, drop_none(data), fields)
        errors = {**schema_errors, **errors}
        if not errors:
            try:
                call = service.create(actor=_actor(), source="admin", **parsed.model_dump())
                db.session.commit()
            except HubError as exc:
                db.session.rollback()
                errors = refusal(exc, fields)
            else:
                flash(_("Call %(id)s registered.", id=call.id))
                return redirect(url_for("admin.call_detail", call_id=call.id), 303)
    page = render_template("admin/call_new.html", fields=fields, values=values, errors=errors)
    return page, 422 if errors else 200


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
        clocks=status.all_clocks(call, utcnow()),
        higher=LINES[LINES.index(call.line) + 1 :],
        line_titles=LINE_TITLES,
        hours=call_hours(call),
        judge=current_user.role in JUDGES,
    )


@bp.post("/calls/<int:call_id>/escalate")
@role_required(*STAFF)
def call_escalate(call_id: int):  # noqa: ANN201
    """Escalate by hand: functionally to a higher line, or hierarchically; with a reason."""
    form = request.form
    reason = form.get("reason", "").strip()
    if not reason:
        flash(_("reason: say why the call is escalated"))
        return redirect(url_for("admin.call_detail", call_id=call_id)), 303
    return _change(call_id, lambda call: service.escalate(
        call, actor=_actor(), kind=form.get("kind", ""), to_line=form.get("to_line") or None,
        to_person=form.get("to_person") or None, reason=reason,
    ))  # fmt: skip


@bp.post("/calls/<int:call_id>/document")
@role_required(*STAFF)
def call_document(call_id: int):  # noqa: ANN201
    """Mark the call worth a knowledge article in the service wiki (cause, resolution)."""
    form = request.form
    return _change(call_id, lambda call: documentation.mark_documented(
        call, actor=_actor(), cause=form.get("cause", ""), resolution=form.get("resolution", "")
    ))  # fmt: skip


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
        flash(_("minutes: a whole number of minutes, please"))
        return redirect(url_for("admin.call_detail", call_id=call_id)), 303
    return _change(call_id, lambda call: service.add_time(
        call, actor=_actor(), person=request.form.get("person", ""), minutes=int(minutes),
        note=request.form.get("note") or None,
    ))  # fmt: skip


@bp.post("/calls/<int:call_id>/hours-verdict")
@role_required(*JUDGES)
def call_hours_verdict(call_id: int):  # noqa: ANN201
    """The client approves or disputes the call's hours, with a score 1-5 and a comment;
    a refusal (an approval that would overdraw the card) is flashed, nothing saved."""
    form = request.form
    score = form.get("score", "").strip()
    if score and not (score.isdigit() and 1 <= int(score) <= 5):
        flash(_("score: a whole number from 1 to 5, please"))
        return redirect(url_for("admin.call_detail", call_id=call_id)), 303
    done = {"approved": _("approved"), "disputed": _("disputed")}.get(form.get("verdict", ""), "")

    def verdict(call: Call) -> None:
        ledger.give_verdict(call, actor=_actor(), verdict=form.get("verdict", ""),
                            score=int(score) if score else None,
                            comment=form.get("comment", "").strip() or None)  # fmt: skip
        flash(_("The hours of call %(id)s are %(verdict)s.", id=call.id, verdict=done))

    return _change(call_id, verdict)


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
