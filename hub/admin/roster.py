"""The duty roster in the admin pages: a month as a calendar grid, and its changes.

Everyone on the staff sees the roster. Managers (admin, SLA manager) plan a month, swap
two duties, give one to someone else and certify associates for a product line; an
associate notes (and takes back) their own unavailable days. Client viewers get the 403
page. Each form's errors are shown beside its fields on the month page, nothing saved.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from typing import Any

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from hub.admin import NavEntry, add_nav, bp
from hub.admin.access import role_required
from hub.admin.forms import Field, choices, read, refusal
from hub.db import db, utcnow
from hub.errors import HubError
from hub.models import Person, Shift, Unavailability
from hub.sla import roster
from hub.sla.rosterplan import local_days, parse_month, when, zone
from hub.vocab import PRODUCT_LINES

MANAGERS = ("admin", "sla_manager")
STAFF = ("admin", "sla_manager", "associate")

add_nav(NavEntry("Roster", "admin.roster_month", roles=STAFF))


@bp.app_template_filter("local_time")
def local_time(value: datetime | None) -> str:
    """An instant on the roster's clock in the reader's words ("Sat 14 Mar 2026 08:00",
    "za 14 mrt 2026 08:00"): Flask-Babel shows it on the same Europe/Amsterdam clock."""
    return format_datetime(value, "EEE dd MMM y HH:mm") if value is not None else "—"


def _associates() -> list[Person]:
    return list(
        db.session.scalars(
            select(Person).where(Person.active, Person.kind == "associate").order_by(Person.key)
        )
    )


def _where() -> tuple[int, int, str]:
    """The month and product line the page shows: ``?month=2026-12&line=drupal``; the
    current month and the first product line with a pool when not given."""
    try:
        year, month = parse_month(request.args["month"]) if "month" in request.args else (0, 0)
    except HubError:
        year = month = 0
    if not year:
        year, month = roster.this_month()
    line = request.args.get("line", "")
    if line not in PRODUCT_LINES:
        certified = {c for p in _associates() for c in (p.certified or [])}
        line = next((x for x in PRODUCT_LINES if x in certified), PRODUCT_LINES[0])
    return year, month, line


def _back(year: int, month: int, line: str):  # noqa: ANN202
    return redirect(url_for("admin.roster_month", month=f"{year:04d}-{month:02d}", line=line), 303)


# --- the forms -------------------------------------------------------------------------


def _generate_fields() -> list[Field]:
    return [
        Field("month", "Month", required=True, maxlength=7, help="As 2026-12."),
        Field("line", "Product line", "select", choices(PRODUCT_LINES), required=True),
        Field("days", "Days per duty", "decimal", required=True, maxlength=5,
              help="2.5 days is 60 hours; the last duty of the month is cut short."),
        Field("start_hour", "Duties change at hour", "number", required=True,
              help="Local time (Europe/Amsterdam), 0 to 23."),
        Field("replace", "Replace the month's duties (only before the first has begun)",
              "checkbox"),
    ]  # fmt: skip


def _shift_choices(shifts: list[Shift]) -> tuple:
    now = utcnow()
    return tuple(
        (str(s.id), f"{when(s.starts_at)} – {s.person.name}") for s in shifts if s.ends_at > now
    )


def _change_fields(shifts: list[Shift], people: list[Person]) -> dict[str, list[Field]]:
    duties = _shift_choices(shifts)
    names = tuple((p.key, p.name) for p in people)
    mine = current_user.person if current_user.role == "associate" else None
    who = ((mine.key, mine.name),) if mine is not None else names
    return {
        "swap": [
            Field("shift_a", "Duty", "select", duties, required=True),
            Field("shift_b", "Swap with duty", "select", duties, required=True),
        ],
        "reassign": [
            Field("shift", "Duty to give away", "select", duties, required=True),
            Field("person", "Give it to", "select", names, required=True),
        ],
        "unavailable": [
            Field("who", "Associate", "select", who, required=True),
            Field("day", "Unavailable on", "date", required=True),
            Field("reason", "Reason", maxlength=200),
        ],
    }


# --- the month page --------------------------------------------------------------------


def _grid(year: int, month: int, shifts: list[Shift], away: list[Unavailability]) -> list:
    """Weeks × days; each day with its duties (who, from, until) and who is away."""
    here = zone()
    today = utcnow().astimezone(here).date()
    weeks = []
    for week in calendar.Calendar().monthdatescalendar(year, month):
        row = []
        for day in week:
            duties = []
            for s in shifts:
                if day in local_days(s):
                    start, end = s.starts_at.astimezone(here), s.ends_at.astimezone(here)
                    duties.append({
                        "name": s.person.name,
                        "from": start.strftime("%H:%M") if start.date() == day else None,
                        "until": end.strftime("%H:%M") if end.date() == day else None,
                    })  # fmt: skip
            row.append({
                "day": day, "in_month": day.month == month, "today": day == today,
                "duties": duties, "away": [u.person.name for u in away if u.day == day],
            })  # fmt: skip
        weeks.append(row)
    return weeks


def _page(year: int, month: int, line: str, forms: dict[str, tuple] | None = None):  # noqa: ANN202
    """The month page; ``forms`` holds (values, errors) of a form that was refused."""
    lo, hi = roster.month_window(year, month)
    shifts = roster.month_shifts(line, year, month)
    first = date(year, month, 1)
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    shown = list(
        db.session.scalars(  # the month's duties plus the one that spills into the 1st
            select(Shift)
            .where(Shift.product_line == line, Shift.starts_at < hi, Shift.ends_at > lo)
            .order_by(Shift.starts_at)
        )
    )
    people = roster.pool(line)
    away = list(
        db.session.scalars(
            select(Unavailability)
            .where(Unavailability.day >= first, Unavailability.day <= last)
            .order_by(Unavailability.day, Unavailability.person_id)
        )
    )
    counts: dict[str, list[float]] = {p.name: [0, 0.0] for p in people}
    for s in shifts:
        counts.setdefault(s.person.name, [0, 0.0])
        counts[s.person.name][0] += 1
        counts[s.person.name][1] += s.hours
    forms = forms or {}
    generate_values = {"month": f"{year:04d}-{month:02d}", "line": line, "days": "2.5",
                       "start_hour": "8"}  # fmt: skip
    prev_month = (year - 1, 12) if month == 1 else (year, month - 1)
    next_month = (year + 1, 1) if month == 12 else (year, month + 1)
    manager = current_user.role in MANAGERS
    own = current_user.person_id if current_user.role == "associate" else None
    page = render_template(
        "admin/roster.html",
        year=year, month=month, line=line, label=format_date(first, "LLLL y"),
        here={"month": f"{year:04d}-{month:02d}", "line": line},
        lines=PRODUCT_LINES, weeks=_grid(year, month, shown, away), shifts=shifts,
        counts=counts, away=away, pool=people, associates=_associates() if manager else [],
        handovers=[s for s in shifts if s.handover is not None],
        prev=f"{prev_month[0]:04d}-{prev_month[1]:02d}",
        next=f"{next_month[0]:04d}-{next_month[1]:02d}",
        manager=manager, own=own, now=utcnow(),
        generate=_generate_fields(), fields=_change_fields(shifts, _associates()),
        values={"generate": generate_values, **{k: v[0] for k, v in forms.items()}},
        errors={k: v[1] for k, v in forms.items()},
    )  # fmt: skip
    return page, 422 if forms else 200


@bp.get("/roster")
@role_required(*STAFF)
def roster_month():  # noqa: ANN201
    return _page(*_where())


# --- the changes -----------------------------------------------------------------------


def _refused(where: tuple[int, int, str], form: str, raw: dict, errors: dict):  # noqa: ANN202
    db.session.rollback()
    return _page(*where, forms={form: (raw, errors)})


@bp.post("/roster/generate")
@role_required(*MANAGERS)
def roster_generate():  # noqa: ANN201
    fields = _generate_fields()
    data, errors, raw = read(fields, request.form)
    where = _where()
    try:
        if "month" not in errors:
            year, month = parse_month(data["month"])
            where = (year, month, where[2])
        days = float((data["days"] or "x").replace(",", "."))
    except HubError as exc:
        errors.setdefault("month", exc.message)
    except ValueError:
        errors.setdefault("days", "a number of days such as 2.5, please")
    if data["line"] in PRODUCT_LINES:
        where = (*where[:2], data["line"])
    if errors:
        return _refused(where, "generate", raw, errors)
    try:
        shifts = roster.generate_month(
            data["line"], where[0], where[1], days=days, start_hour=data["start_hour"],
            replace=data["replace"],
        )  # fmt: skip
        db.session.commit()
    except HubError as exc:
        return _refused(where, "generate", raw, refusal(exc, fields))
    month = f"{where[0]:04d}-{where[1]:02d}"
    flash(
        _(
            "%(n)s duties planned for %(line)s in %(month)s.",
            n=len(shifts),
            line=data["line"],
            month=month,
        )
    )
    return _back(*where)


def _shift(value: str | None, field: str) -> Shift:
    number = value if value and value.isascii() and value.isdigit() and len(value) < 10 else ""
    shift = db.session.get(Shift, int(number)) if number else None
    if shift is None:
        raise HubError("no such duty; reload the roster", field, status=422)
    return shift


def _person(key: str | None, field: str) -> Person:
    person = db.session.scalar(select(Person).where(Person.key == (key or "")))
    if person is None:
        raise HubError("no such person", field, status=422)
    return person


def _change(form: str, apply) -> Any:  # noqa: ANN001
    """Read one of the change forms, apply it, commit; or show it again with the errors."""
    where = _where()
    fields = _change_fields(roster.month_shifts(where[2], where[0], where[1]), _associates())
    data, errors, raw = read(fields[form], request.form)
    if errors:
        return _refused(where, form, raw, errors)
    try:
        message = apply(data)
        db.session.commit()
    except HubError as exc:
        return _refused(where, form, raw, refusal(exc, fields[form]))
    flash(message)
    return _back(*where)


@bp.post("/roster/swap")
@role_required(*MANAGERS)
def roster_swap():  # noqa: ANN201
    def apply(data: dict) -> str:
        a, b = _shift(data["shift_a"], "shift_a"), _shift(data["shift_b"], "shift_b")
        roster.swap(a, b)
        first, second = (
            f"{when(a.starts_at)}: {a.person.name}",
            f"{when(b.starts_at)}: {b.person.name}",
        )
        return _("Swapped. %(first)s; %(second)s.", first=first, second=second)

    return _change("swap", apply)


@bp.post("/roster/reassign")
@role_required(*MANAGERS)
def roster_reassign():  # noqa: ANN201
    def apply(data: dict) -> str:
        shift = _shift(data["shift"], "shift")
        roster.reassign(shift, _person(data["person"], "person"))
        return _(
            "The duty from %(when)s is %(name)s's now.",
            when=when(shift.starts_at),
            name=shift.person.name,
        )

    return _change("reassign", apply)


def _only_own(person_id: int) -> None:
    """Associates change their own unavailable days only (the 403 page otherwise)."""
    if current_user.role == "associate" and current_user.person_id != person_id:
        page = render_template("admin/403.html", reason="Associates note their own days only.")
        abort(make_response(page, 403))


@bp.post("/roster/unavailable")
@role_required(*STAFF)
def roster_unavailable():  # noqa: ANN201
    def apply(data: dict) -> str:
        person = _person(data["who"], "who")
        _only_own(person.id)
        try:
            day = date.fromisoformat(data["day"])
        except ValueError:
            raise HubError("a date such as 2026-12-24, please", "day", status=422) from None
        roster.add_unavailable(person, day, data["reason"])
        clash = roster.clashes(person, day)
        extra = (
            " "
            + _("Still on duty then: %(when)s; swap or reassign it.", when=when(clash[0].starts_at))
            if clash
            else ""
        )
        return (
            _("%(name)s is unavailable on %(day)s.", name=person.name, day=day.isoformat()) + extra
        )

    return _change("unavailable", apply)


@bp.post("/roster/unavailable/<int:row_id>/remove")
@role_required(*STAFF)
def roster_unavailable_remove(row_id: int):  # noqa: ANN201
    row = db.session.get(Unavailability, row_id)
    if row is None:
        flash(_("That unavailable day was already taken back."))
    else:
        _only_own(row.person_id)
        flash(
            _(
                "%(name)s is available on %(day)s again.",
                name=row.person.name,
                day=row.day.isoformat(),
            )
        )
        db.session.delete(row)
        db.session.commit()
    return _back(*_where())


@bp.post("/roster/certify")
@role_required(*MANAGERS)
def roster_certify():  # noqa: ANN201
    """Certify an associate for the page's product line, or withdraw it (a button each)."""
    where = _where()
    person = db.session.scalar(
        select(Person).where(Person.key == request.form.get("associate", ""))
    )
    if person is None:
        flash(_("Nothing saved: no such associate."))
        return _back(*where)
    lines = set(person.certified or [])
    wanted = request.form.get("certified") == "1"
    lines = lines | {where[2]} if wanted else lines - {where[2]}
    roster.set_certified(person, sorted(lines))
    db.session.commit()
    flash(
        _("%(name)s is now certified for %(line)s.", name=person.name, line=where[2])
        if wanted
        else _("%(name)s is no longer certified for %(line)s.", name=person.name, line=where[2])
    )
    return _back(*where)
