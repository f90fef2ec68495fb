"""Clients, contracts, applications and people in the admin pages: list, view, create and
edit, with each error beside its field and nothing saved when any field is wrong.

Every kind gets the same four pages from :data:`hub.admin.kinds.KINDS`; what differs is the
kind's fields and its view template. Managers (admin, SLA manager) change records; the
associates read them; a client viewer reads its own client, contracts and applications.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select

from hub import audit
from hub import directory as service
from hub.admin import NavEntry, add_nav, bp, sites, terms
from hub.admin.access import role_required
from hub.admin.forms import FORM, Field, drop_none, read, refusal, validate
from hub.admin.kinds import KINDS, Kind
from hub.admin.paging import page_of
from hub.db import db
from hub.errors import HubError
from hub.models import Application, ApplicationMember, Person
from hub.sla.clocks import DEFAULT_CALENDAR
from hub.vocab import USER_ROLES

MANAGERS = ("admin", "sla_manager")
STAFF = ("admin", "sla_manager", "associate")
PAGE_SIZE = 50


def _readers(kind: Kind) -> tuple[str, ...]:
    return USER_ROLES if kind.client_visible else STAFF


def _own_only(kind: Kind) -> int | None:
    """The client a client viewer is limited to; None for staff."""
    return current_user.client_id if current_user.role == "client_viewer" else None


def _load(kind: Kind, key: str) -> Any:
    row = service.get(kind.model, kind.key, key)  # NotFound → the 404 page
    own = _own_only(kind)
    client_id = row.id if kind.name == "client" else getattr(row, "client_id", None)
    if own is not None and client_id != own:
        page = render_template("admin/403.html", reason=f"This {kind.name} is another client's.")
        abort(make_response(page, 403))
    return row


def _list(kind: Kind):  # noqa: ANN202
    stmt = select(kind.model).order_by(getattr(kind.model, kind.key))
    own = _own_only(kind)
    if own is not None:
        column = kind.model.id if kind.name == "client" else kind.model.client_id
        stmt = stmt.where(column == own)
    q = request.args.get("q", "").strip()[:200]
    if q:
        like = f"%{q}%"
        stmt = stmt.where(
            or_(getattr(kind.model, kind.key).ilike(like), kind.model.name.ilike(like))
        )
    page = page_of(stmt, PAGE_SIZE)
    return render_template(
        "admin/directory/list.html",
        kind=kind,
        page=page,
        q=q,
        can_change=current_user.role in MANAGERS,
    )


def _view(kind: Kind, key: str):  # noqa: ANN202
    row = _load(kind, key)
    extra: dict[str, Any] = {}
    if kind.name == "client":
        extra["contact_fields"] = CONTACT_FIELDS
    if kind.name == "application":
        extra["people"] = db.session.scalars(select(Person).order_by(Person.key)).all()
        extra.update(sites.page_data(row))
    return render_template(
        f"admin/directory/{kind.name}.html",
        kind=kind,
        row=row,
        can_change=current_user.role in MANAGERS,
        **extra,
    )


def _form_page(kind: Kind, fields: list[Field], values: dict, errors: dict, row=None):  # noqa: ANN001,ANN202
    page = render_template(
        "admin/directory/form.html", kind=kind, fields=fields, values=values, errors=errors, row=row
    )
    return page, 422 if errors else 200


def _save(kind: Kind, fields: list[Field], row: Any | None):  # noqa: ANN202
    """Check the posted form, then create or change in one transaction, or show why not."""
    data, errors, raw = read(fields, request.form)
    if kind.prepare is not None:
        data, more = kind.prepare(data, row)
        errors = {**more, **errors}
    if row is None:
        data = drop_none(data)
    schema = kind.create_schema if row is None else kind.patch_schema
    parsed, schema_errors = validate(schema, data, fields)
    errors = {**schema_errors, **errors}  # "required" says more than a type error
    if not errors:
        try:
            if row is None:
                row = kind.create(**parsed.model_dump())
            else:
                kind.update(row, **parsed.model_dump(exclude_unset=True))
            db.session.commit()
        except HubError as exc:
            db.session.rollback()
            errors = refusal(exc, fields)
    if errors:
        return _form_page(kind, fields, raw, errors, row if row is not None and row.id else None)
    flash(_("%(kind)s %(key)s saved.", kind=_(kind.title), key=getattr(row, kind.key)))
    return redirect(url_for(f"admin.{kind.name}_view", key=getattr(row, kind.key)), 303)


def _new(kind: Kind):  # noqa: ANN202
    fields = kind.create_fields()
    if request.method == "POST":
        return _save(kind, fields, None)
    values = {"timezone": "Europe/Amsterdam", "warning_percent": 75, "product_line": "drupal",
              "kind": "staff", "fixed_fee": "0", "hours_card": "0"}  # fmt: skip
    if request.args.get("client"):
        values["client"] = request.args["client"]
    if kind.name == "contract":
        values |= terms.initial(DEFAULT_CALENDAR, {})
    return _form_page(kind, fields, values, {})


def _edit(kind: Kind, key: str):  # noqa: ANN202
    row = _load(kind, key)
    fields = kind.edit_fields()
    if request.method == "POST":
        return _save(kind, fields, row)
    return _form_page(kind, fields, kind.initial(row), {}, row)


def _register(kind: Kind) -> None:
    plural, name = kind.plural, kind.name

    def bind(view, roles):  # noqa: ANN001,ANN202
        def endpoint(**kwargs: Any):  # noqa: ANN202
            return view(kind, **kwargs)

        endpoint.__name__ = f"{name}_{view.__name__.strip('_')}"
        return role_required(*roles)(endpoint)

    bp.add_url_rule(f"/{plural}", view_func=bind(_list, _readers(kind)))
    bp.add_url_rule(f"/{plural}/new", view_func=bind(_new, MANAGERS), methods=["GET", "POST"])
    bp.add_url_rule(f"/{plural}/<key>", view_func=bind(_view, _readers(kind)))
    bp.add_url_rule(
        f"/{plural}/<key>/edit", view_func=bind(_edit, MANAGERS), methods=["GET", "POST"]
    )
    add_nav(NavEntry(plural.capitalize(), f"admin.{name}_list", roles=_readers(kind)))


for _kind in KINDS:
    _register(_kind)


# --- what hangs under a record: a client's contacts, an application's team -------------

CONTACT_FIELDS = [
    Field("name", "Name", required=True),
    Field("email", "E-mail", "email", maxlength=254,
          pattern_message="an e-mail address such as name@example.org"),
    Field("phone", "Phone", maxlength=50),
    Field("role", "Role", maxlength=100),
]  # fmt: skip


@bp.post("/clients/<key>/contacts")
@role_required(*MANAGERS)
def client_contact_add(key: str):  # noqa: ANN201
    from hub.admin.kinds import CLIENT
    from hub.api.schemas import ContactIn

    client = _load(CLIENT, key)
    data, errors, raw = read(CONTACT_FIELDS, request.form)
    parsed, schema_errors = validate(ContactIn, drop_none(data), CONTACT_FIELDS)
    errors = {**schema_errors, **errors}
    if errors:
        page = render_template(
            "admin/directory/client.html", kind=CLIENT, row=client, can_change=True,
            contact_fields=CONTACT_FIELDS, contact_values=raw, contact_errors=errors,
        )  # fmt: skip
        return page, 422
    service.add_contact(client, **parsed.model_dump())
    db.session.commit()
    flash(_("Contact %(name)s added.", name=parsed.name))
    return redirect(url_for("admin.client_view", key=key), 303)


@bp.post("/applications/<key>/team")
@role_required(*MANAGERS)
def application_team_add(key: str):  # noqa: ANN201
    from hub.admin.kinds import APPLICATION

    application = _load(APPLICATION, key)
    person, role = request.form.get("person", ""), request.form.get("role", "").strip()
    team = [{"person": m.person.key, "role": m.role} for m in application.team]
    try:
        if not role or len(role) > 50:
            raise HubError("a role of 1 to 50 characters, please", "role", status=422)
        service.update_application(application, team=[*team, {"person": person, "role": role}])
        db.session.commit()
        flash(_("%(person)s joined the team as %(role)s.", person=person, role=role))
    except HubError as exc:
        db.session.rollback()
        flash(_("Nothing saved: %(why)s", why=refusal(exc, [])[FORM]))
    return redirect(url_for("admin.application_view", key=key), 303)


@bp.post("/applications/<key>/team/<int:member_id>/remove")
@role_required(*MANAGERS)
def application_team_remove(key: str, member_id: int):  # noqa: ANN201
    from hub.admin.kinds import APPLICATION

    application: Application = _load(APPLICATION, key)
    member = db.session.get(ApplicationMember, member_id)
    if member is None or member.application_id != application.id:
        abort(404)
    who = member.person.key
    with audit.changing(
        "application.update", "application", key, application, service.application_extra
    ):
        application.team.remove(member)
    db.session.commit()
    flash(_("%(who)s left the team.", who=who))
    return redirect(url_for("admin.application_view", key=key), 303)


@bp.post("/contracts/<key>/ics")
@role_required(*MANAGERS)
def contract_ics_import(key: str):  # noqa: ANN201
    """Closed days from an .ics file or URL replace the contract's imported ones; the
    running clocks are recomputed in the same transaction."""
    from hub.admin.kinds import CONTRACT
    from hub.sla.ics import IcsError, closed_days_from_ics, fetch_ics

    contract = _load(CONTRACT, key)
    upload, url = request.files.get("ics_file"), request.form.get("ics_url", "").strip()
    try:
        if upload and upload.filename:
            data = upload.read()
        elif url.startswith(("http://", "https://")):
            data = fetch_ics(url)
        else:
            raise IcsError("choose an .ics file or give an http(s) address")
        days = closed_days_from_ics(data, timezone=contract.timezone)
    except IcsError as exc:
        flash(_("Nothing imported: %(why)s", why=exc))
        return redirect(url_for("admin.contract_view", key=key), 303)
    calendar = dict(contract.calendar or DEFAULT_CALENDAR)
    calendar["ics_closed"] = [d.isoformat() for d in days]
    service.update_contract(contract, calendar=calendar)
    db.session.commit()
    flash(_("%(n)s closed days imported for %(key)s.", n=len(days), key=key))
    return redirect(url_for("admin.contract_view", key=key), 303)
