"""Associate pay through the API: tariff versions, recorded activity (handover sessions,
team meetings, trainings and exams) and quarterly statements (preview, issue, CSV).

Managers only (admin, SLA manager): pay is between the provider and each associate.
Money is in integer cents (``amount_cents``) with a decimal string beside it (``amount``).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from flask import Response, jsonify
from pydantic import Field, StringConstraints
from sqlalchemy import select

from hub.api import actor, bp, doc, parse
from hub.api.schemas import In, Key, Short
from hub.db import db
from hub.errors import Invalid, NotFound
from hub.models import Application, Person
from hub.pay import activity, quarters, statements, tariffs

MANAGERS = ("admin", "sla_manager")
Cents = Annotated[int, Field(ge=0, le=tariffs.MAX_CENTS)]
Quarter = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-Q[1-4]$")]
Note = Annotated[str, StringConstraints(max_length=2000)]
Day = Annotated[date, Field(ge=date(1900, 1, 1), le=date(9998, 12, 31))]


class TariffIn(In):
    item: Literal["handover", "meeting", "training", "duty", "call"]
    valid_from: Day
    amount_cents: Cents
    unit: Literal["each", "hour"] | None = None
    min_minutes: Annotated[int, Field(ge=0, le=1440)] | None = None
    max_minutes: Annotated[int, Field(ge=0, le=1440)] | None = None
    note: Short | None = None


class HandoverIn(In):
    person: Key
    application: Key
    day: Day
    note: Note | None = None


class MeetingIn(In):
    person: Key
    day: Day
    note: Note | None = None


class ExamIn(In):
    person: Key
    day: Day
    kind: Literal["training", "exam"]
    product_line: Literal["drupal", "joomla", "lamp", "other"]
    passed: bool | None = None


class IssueIn(In):
    person: Key
    quarter: Quarter


def _person(key: str, field: str = "person", *, body: bool = True) -> Person:
    person = db.session.scalar(select(Person).where(Person.key == key))
    if person is None:
        cls = Invalid if body else NotFound
        raise cls(f"no person {key!r}", field)
    return person


@bp.get("/pay/tariffs")
@doc("Associate tariffs: the seed's defaults and every dated version", roles=MANAGERS)
def pay_tariffs():  # noqa: ANN201
    return jsonify({"currency": "EUR", "tariffs": tariffs.listing()})


@bp.post("/pay/tariffs")
@doc("Add a tariff version, valid from its date on", body=TariffIn, roles=MANAGERS)
def add_tariff():  # noqa: ANN201
    data = parse(TariffIn)
    row = tariffs.add_version(
        data.item, data.valid_from, data.amount_cents, actor=actor(), unit=data.unit,
        min_minutes=data.min_minutes, max_minutes=data.max_minutes, note=data.note,
    )  # fmt: skip
    db.session.commit()
    return jsonify(tariffs.Book().on(row.item, row.valid_from).json()), 201


@bp.get("/pay/people/<key>/activity")
@doc("An associate's handover sessions, team meetings, trainings and exams", roles=MANAGERS)
def pay_activity(key: str):  # noqa: ANN201
    person = _person(key, "key", body=False)
    return jsonify({"person": person.key, **activity.as_json(activity.of(person))})


def _created(kind: str, row_id: int, person: Person):  # noqa: ANN202
    body = {"id": row_id, "kind": kind, **activity.as_json(activity.of(person))}
    return jsonify({"person": person.key, **body}), 201


@bp.post("/pay/handovers")
@doc("Record a handover session (once per associate and application)", body=HandoverIn,
     roles=MANAGERS)  # fmt: skip
def add_handover_session():  # noqa: ANN201
    data = parse(HandoverIn)
    person = _person(data.person)
    app = db.session.scalar(select(Application).where(Application.key == data.application))
    if app is None:
        raise Invalid(f"no application {data.application!r}", "application")
    row = activity.add_handover(person, app, data.day, actor=actor(), note=data.note)
    db.session.commit()
    return _created("handover", row.id, person)


@bp.post("/pay/meetings")
@doc("Record a team meeting an associate attended", body=MeetingIn, roles=MANAGERS)
def add_team_meeting():  # noqa: ANN201
    data = parse(MeetingIn)
    person = _person(data.person)
    row = activity.add_meeting(person, data.day, actor=actor(), note=data.note)
    db.session.commit()
    return _created("meeting", row.id, person)


@bp.post("/pay/exams")
@doc("Record a training or exam; a passed exam certifies for the product line", body=ExamIn,
     roles=MANAGERS)  # fmt: skip
def add_exam():  # noqa: ANN201
    data = parse(ExamIn)
    person = _person(data.person)
    row = activity.add_exam(
        person, data.day, data.kind, data.product_line, data.passed, actor=actor()
    )
    db.session.commit()
    return _created("exam", row.id, person)


@bp.get("/pay/statements/<key>/<quarter>")
@doc("An associate's statement of a quarter: the issued one, else a preview", roles=MANAGERS)
def get_statement(key: str, quarter: str):  # noqa: ANN201
    person = _person(key, "key", body=False)
    return jsonify(statements.view(person, quarters.parse(quarter)))


@bp.get("/pay/statements/<key>/<quarter>.csv")
@doc("An associate's statement of a quarter as CSV", roles=MANAGERS)
def get_statement_csv(key: str, quarter: str):  # noqa: ANN201
    person = _person(key, "key", body=False)
    label = quarters.parse(quarter)
    name = f"pay-{person.key}-{label}.csv"
    return Response(
        statements.as_csv(statements.view(person, label)), mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )  # fmt: skip


@bp.post("/pay/statements")
@doc("Issue (freeze) an associate's statement of an ended quarter", body=IssueIn,
     roles=MANAGERS)  # fmt: skip
def issue_statement():  # noqa: ANN201
    data = parse(IssueIn)
    person = _person(data.person)
    statements.issue(person, quarters.parse(data.quarter), actor=actor())
    db.session.commit()
    return jsonify(statements.view(person, data.quarter)), 201
