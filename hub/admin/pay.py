"""Associate pay in the admin pages (admin and SLA manager only): the tariffs and a new
version, associates' activity (handover sessions, team meetings, trainings and exams) and
quarterly statements (preview, issue, a printable page and CSV).

PDF: no PDF library is installed in the hub's environment, so the statement page has a
print style sheet instead (print it to PDF from the browser).
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from hub.admin import NavEntry, add_nav, bp
from hub.admin.access import role_required
from hub.admin.forms import Field, choices, read, refusal
from hub.db import db, utcnow
from hub.errors import HubError, Invalid, NotFound
from hub.models import Application, Person, Statement
from hub.pay import activity, quarters, statements, tariffs
from hub.vocab import PRODUCT_LINES

MANAGERS = ("admin", "sla_manager")

add_nav(NavEntry("Pay", "admin.pay_index", roles=MANAGERS))


def _associates() -> list[Person]:
    stmt = select(Person).where(Person.kind == "associate").order_by(Person.key)
    return list(db.session.scalars(stmt))


def _fields() -> dict[str, list[Field]]:
    people = tuple((p.key, p.name) for p in _associates())
    apps = tuple(
        (a.key, a.name) for a in db.session.scalars(select(Application).order_by(Application.key))
    )
    return {
        "tariff": [
            Field("item", "Item", "select", choices(tariffs.ITEMS, tariffs.TITLES), required=True),
            Field("valid_from", "Valid from", "date", required=True),
            Field("amount", "Amount (EUR)", "decimal", required=True, maxlength=12,
                  help="Per piece, or per hour for a call (unit 'hour')."),
            Field("min_minutes", "Call counts at least (minutes)", "number"),
            Field("max_minutes", "Call counts at most (minutes)", "number"),
            Field("note", "Note", maxlength=200),
        ],
        "handover": [
            Field("person", "Associate", "select", people, required=True),
            Field("application", "Application", "select", apps, required=True),
            Field("day", "Day", "date", required=True),
        ],
        "meeting": [
            Field("person", "Associate", "select", people, required=True),
            Field("day", "Day", "date", required=True),
        ],
        "exam": [
            Field("person", "Associate", "select", people, required=True),
            Field("kind", "Training or exam", "select", choices(activity.KINDS), required=True),
            Field("product_line", "Product line", "select", choices(PRODUCT_LINES),
                  required=True),
            Field("day", "Day", "date", required=True),
            Field("passed", "Passed (an exam)", "checkbox"),
        ],
    }  # fmt: skip


def _page(forms: dict[str, tuple] | None = None):  # noqa: ANN202
    forms = forms or {}
    today = utcnow().astimezone(quarters.zone()).date()
    page = render_template(
        "admin/pay.html",
        tariffs=tariffs.listing(), associates=_associates(), fields=_fields(),
        values={k: v[0] for k, v in forms.items()}, errors={k: v[1] for k, v in forms.items()},
        last_quarter=quarters.of(quarters.days(quarters.of(today))[0] - timedelta(days=1)),
    )  # fmt: skip
    return page, 422 if forms else 200


@bp.get("/pay")
@role_required(*MANAGERS)
def pay_index():  # noqa: ANN201
    return _page()


def _day(value: str | None, field: str = "day") -> date:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        raise Invalid("a date such as 2026-12-24, please", field) from None


def _person(key: str | None) -> Person:
    person = db.session.scalar(select(Person).where(Person.key == (key or "")))
    if person is None:
        raise Invalid("no such person", "person")
    return person


def _cents(text: str | None) -> int:
    """ "60", "60.5" or "60,50" EUR as cents, exactly (no float)."""
    raw = (text or "").strip().replace(",", ".")
    whole, _, frac = raw.partition(".")
    if not (whole.isascii() and whole.isdigit() and len(whole) <= 6) or not (
        frac == "" or (frac.isascii() and frac.isdigit() and len(frac) <= 2)
    ):
        raise Invalid("an amount in euros such as 60 or 60.50, please", "amount")
    return int(whole) * 100 + int(frac.ljust(2, "0") or 0)


def _post(form: str, apply):  # noqa: ANN001, ANN202
    fields = _fields()[form]
    data, errors, raw = read(fields, request.form)
    if not errors:
        try:
            message = apply(data)
            db.session.commit()
            flash(message)
            return redirect(url_for("admin.pay_index"), 303)
        except HubError as exc:
            errors = refusal(exc, fields)
    db.session.rollback()
    return _page({form: (raw, errors)})


@bp.post("/pay/tariffs")
@role_required(*MANAGERS)
def pay_add_tariff():  # noqa: ANN201
    def apply(data: dict) -> str:
        row = tariffs.add_version(
            data["item"] or "", _day(data["valid_from"], "valid_from"), _cents(data["amount"]),
            actor=f"user:{current_user.username}", min_minutes=data["min_minutes"],
            max_minutes=data["max_minutes"], note=data["note"],
        )  # fmt: skip
        amount = tariffs.euros(row.amount_cents)
        return f"{tariffs.TITLES[row.item]}: {amount} EUR from {row.valid_from.isoformat()}."

    return _post("tariff", apply)


@bp.post("/pay/activity/<any(handover, meeting, exam):kind>")
@role_required(*MANAGERS)
def pay_add_activity(kind: str):  # noqa: ANN201
    def apply(data: dict) -> str:
        person, day = _person(data["person"]), _day(data["day"])
        who = f"user:{current_user.username}"
        if kind == "handover":
            app = db.session.scalar(
                select(Application).where(Application.key == (data["application"] or ""))
            )
            if app is None:
                raise Invalid("no such application", "application")
            activity.add_handover(person, app, day, actor=who)
        elif kind == "meeting":
            activity.add_meeting(person, day, actor=who)
        else:
            passed = data["passed"] if data["kind"] == "exam" else None
            activity.add_exam(person, day, data["kind"] or "", data["product_line"] or "",
                              passed, actor=who)  # fmt: skip
        return _(
            "Recorded: %(kind)s of %(name)s on %(day)s.",
            kind=kind,
            name=person.name,
            day=day.isoformat(),
        )

    return _post(kind, apply)


def _statement(key: str, quarter: str) -> tuple[Person, str]:
    person = db.session.scalar(select(Person).where(Person.key == key))
    if person is None:
        raise NotFound(f"no person {key!r}", "key")
    return person, quarters.parse(quarter)


@bp.get("/pay/people/<key>")
@role_required(*MANAGERS)
def pay_person(key: str):  # noqa: ANN201
    person, _ = _statement(key, "2000-Q1")
    return render_template(
        "admin/pay_person.html", person=person, found=activity.of(person),
        issued=db.session.scalars(
            select(Statement).where(Statement.person_id == person.id)
            .order_by(Statement.quarter.desc())
        ).all(),
    )  # fmt: skip


@bp.get("/pay/statements/<key>/<quarter>")
@role_required(*MANAGERS)
def pay_statement(key: str, quarter: str):  # noqa: ANN201
    person, label = _statement(key, quarter)
    return render_template("admin/pay_statement.html", s=statements.view(person, label))


@bp.get("/pay/statements/<key>/<quarter>.csv")
@role_required(*MANAGERS)
def pay_statement_csv(key: str, quarter: str):  # noqa: ANN201
    person, label = _statement(key, quarter)
    name = f"pay-{person.key}-{label}.csv"
    return Response(
        statements.as_csv(statements.view(person, label)), mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )  # fmt: skip


@bp.post("/pay/statements/<key>/<quarter>/issue")
@role_required(*MANAGERS)
def pay_issue(key: str, quarter: str):  # noqa: ANN201
    person, label = _statement(key, quarter)
    try:
        statements.issue(person, label, actor=f"user:{current_user.username}")
        db.session.commit()
        flash(
            _(
                "The statement of %(quarter)s for %(name)s is issued and frozen.",
                quarter=label,
                name=person.name,
            )
        )
    except HubError as exc:
        db.session.rollback()
        flash(_("Not issued: %(why)s", why=exc.message))
    return redirect(url_for("admin.pay_statement", key=person.key, quarter=label), 303)
