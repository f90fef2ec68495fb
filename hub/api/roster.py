"""The duty roster through the API: a month's duties, planning a month, swaps and
reassignments, unavailable days, certifications, and who is on duty now.

Staff read; managers change. An associate may note their own unavailable days (as on
the admin page), nobody else's.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from flask import jsonify, request
from pydantic import Field, StringConstraints
from sqlalchemy import select

from hub import directory
from hub.api import MAX_ID, bp, current_user, doc, parse
from hub.api.schemas import In, Key
from hub.db import db, utcnow
from hub.errors import Forbidden, HubError, Invalid, NotFound
from hub.models import Person, Shift, Unavailability
from hub.sla import roster
from hub.sla.rosterplan import TIMEZONE, parse_month
from hub.vocab import PRODUCT_LINES

MANAGERS = ("admin", "sla_manager")
STAFF = ("admin", "sla_manager", "associate")

Month = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-[0-9]{2}$")]
ProductLine = Literal["drupal", "joomla", "lamp", "other"]
ShiftId = Annotated[int, Field(ge=1, le=MAX_ID)]
MONTH_QUERY = {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"}
LINE_QUERY = {"type": "string", "enum": list(PRODUCT_LINES)}


class GenerateIn(In):
    month: Month
    line: ProductLine
    days: Annotated[float, Field(ge=0.5, le=31)] = roster.DUTY_DAYS
    start_hour: Annotated[int, Field(ge=0, le=23)] = roster.START_HOUR
    replace: bool = False


class SwapIn(In):
    a: ShiftId
    b: ShiftId


class ReassignIn(In):
    shift: ShiftId
    person: Key


class UnavailableIn(In):
    day: date
    reason: Annotated[str, StringConstraints(max_length=200)] | None = None


class CertifiedIn(In):
    product_lines: Annotated[list[ProductLine], Field(max_length=len(PRODUCT_LINES))]


def shift_json(s: Shift) -> dict[str, Any]:
    return {
        "id": s.id,
        "product_line": s.product_line,
        "person": s.person.key,
        "name": s.person.name,
        "starts_at": s.starts_at.isoformat(),
        "ends_at": s.ends_at.isoformat(),
        "hours": s.hours,
    }


def _line(required: bool = True) -> str | None:
    line = request.args.get("line")
    if line is None:
        if required:
            raise Invalid("line is required (a product line)", "line")
        return None
    return roster.check_line(line)


def _shift(shift_id: int, field: str) -> Shift:
    shift = db.session.get(Shift, shift_id)
    if shift is None:
        raise NotFound(f"no duty {shift_id}", field)
    return shift


@bp.get("/roster")
@doc("A month's duties for a product line", query={"month": MONTH_QUERY, "line": LINE_QUERY},
     roles=STAFF)  # fmt: skip
def get_roster():  # noqa: ANN201
    line = _line()
    month = request.args.get("month")
    year, number = parse_month(month) if month is not None else roster.this_month()
    shifts = roster.month_shifts(line, year, number)
    first = date(year, number, 1)
    after = date(year + number // 12, number % 12 + 1, 1)
    away = db.session.scalars(
        select(Unavailability)
        .where(Unavailability.day >= first, Unavailability.day < after)
        .order_by(Unavailability.day, Unavailability.id)
    )
    counts = {p.key: 0 for p in roster.pool(line)}
    for s in shifts:
        counts[s.person.key] = counts.get(s.person.key, 0) + 1
    return jsonify({
        "month": f"{year:04d}-{number:02d}", "line": line, "timezone": TIMEZONE,
        "shifts": [shift_json(s) for s in shifts], "counts": counts,
        "unavailable": [{"person": u.person.key, "day": u.day.isoformat(), "reason": u.reason}
                        for u in away],
        "handovers": [{"shift": s.id, "at": s.handover.created_at.isoformat(),
                       "from": s.handover.from_person.key if s.handover.from_person else None,
                       "to": s.person.key, "calls": s.handover.calls}
                      for s in shifts if s.handover is not None],
    })  # fmt: skip


@bp.post("/roster/generate")
@doc("Plan a month's duties for a product line", body=GenerateIn, roles=MANAGERS)
def generate_roster():  # noqa: ANN201
    data = parse(GenerateIn)
    year, month = parse_month(data.month)
    shifts = roster.generate_month(
        data.line, year, month, days=data.days, start_hour=data.start_hour, replace=data.replace
    )
    db.session.commit()
    body = {"month": data.month, "line": data.line, "shifts": [shift_json(s) for s in shifts]}
    return jsonify(body), 201


@bp.post("/roster/swap")
@doc("Exchange the associates of two duties", body=SwapIn, roles=MANAGERS)
def swap_duties():  # noqa: ANN201
    data = parse(SwapIn)
    a, b = _shift(data.a, "a"), _shift(data.b, "b")
    try:
        roster.swap(a, b)
    except HubError as exc:  # the service names the admin form's fields
        exc.field = {"shift_a": "a", "shift_b": "b"}.get(exc.field, exc.field)
        raise
    db.session.commit()
    return jsonify({"shifts": [shift_json(a), shift_json(b)]})


@bp.post("/roster/reassign")
@doc("Give a duty to another certified associate", body=ReassignIn, roles=MANAGERS)
def reassign_duty():  # noqa: ANN201
    data = parse(ReassignIn)
    shift = _shift(data.shift, "shift")
    roster.reassign(shift, directory.get(Person, "key", data.person))
    db.session.commit()
    return jsonify(shift_json(shift))


@bp.post("/people/<key>/unavailable")
@doc("Note a day on which a person cannot be on duty", body=UnavailableIn, roles=STAFF)
def add_unavailable(key: str):  # noqa: ANN201
    data = parse(UnavailableIn)
    person = directory.get(Person, "key", key)
    user = current_user()
    if user.role == "associate" and user.person_id != person.id:
        raise Forbidden("associates note their own unavailable days only")
    row = roster.add_unavailable(person, data.day, data.reason)
    clashes = roster.clashes(person, data.day)
    db.session.commit()
    body = {"person": person.key, "day": row.day.isoformat(), "reason": row.reason,
            "clashes": [shift_json(s) for s in clashes]}  # fmt: skip
    return jsonify(body), 201


@bp.put("/people/<key>/certified")
@doc("Set the product lines a person is certified for", body=CertifiedIn, roles=MANAGERS)
def set_certified(key: str):  # noqa: ANN201
    data = parse(CertifiedIn)
    person = roster.set_certified(directory.get(Person, "key", key), data.product_lines)
    db.session.commit()
    return jsonify({"key": person.key, "certified": person.certified})


@bp.get("/roster/now")
@doc("Who is on duty now and next, per product line", query={"line": LINE_QUERY}, roles=STAFF)
def duty_now():  # noqa: ANN201
    line = _line(required=False)
    now = utcnow()
    found = []
    for each in [line] if line else PRODUCT_LINES:
        current, coming = roster.on_duty_shift(now, each), roster.next_duty(now, each)
        found.append({
            "line": each,
            "now": shift_json(current) if current is not None else None,
            "next": shift_json(coming) if coming is not None else None,
        })  # fmt: skip
    return jsonify({"at": now.isoformat(), "lines": found})
