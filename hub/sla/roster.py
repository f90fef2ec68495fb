"""The duty roster: who is the 2nd line (application) for each product line, and when.

The seed's pattern is one duty of 2.5 days a month per associate. A month is tiled with
consecutive duties of ``days`` (60 hours) each, counted in the roster's local time from
``start_hour`` (08:00) on the 1st up to ``start_hour`` on the 1st of the next month; the
last duty is cut short there, so the months join without gap or overlap and a change of
duty falls at 08:00 or 20:00. The tiling is done on the wall clock and only then turned
into UTC, so a duty over a daylight-saving change lasts an hour less (March) or more
(October) and the handover hours stay put.

Each duty goes to an associate of the pool: active people of kind "associate" certified
for the product line. See :mod:`hub.sla.rosterplan` for how they are chosen fairly.

The functions change the session and leave the commit to the caller (as
:mod:`hub.calls` does), so that a refusal leaves nothing half-written.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from hub import audit
from hub.db import db, utcnow
from hub.errors import Conflict, Invalid
from hub.models import Application, Call, Handover, Person, Shift, Unavailability
from hub.sla.rosterplan import TIMEZONE, local_days, plan, tile, when, zone
from hub.vocab import OPEN_STATUSES, PRODUCT_LINES

DUTY_DAYS = 2.5
START_HOUR = 8
#: The line the associate on duty serves (DESIGN.md: "2nd line, application").
DUTY_LINE = "2-application"


def check_line(product_line: str) -> str:
    if product_line not in PRODUCT_LINES:
        raise Invalid(
            f"unknown product line {product_line!r}; expected one of {', '.join(PRODUCT_LINES)}",
            "line",
        )
    return product_line


def this_month(now: datetime | None = None, tz: str = TIMEZONE) -> tuple[int, int]:
    local = (now or utcnow()).astimezone(zone(tz))
    return local.year, local.month


def month_window(year: int, month: int, tz: str = TIMEZONE) -> tuple[datetime, datetime]:
    """The month from the 1st 00:00 to the next 1st 00:00 local, in UTC: a duty belongs to
    the month it starts in."""
    here = zone(tz)
    first = datetime(year, month, 1, tzinfo=here)
    after = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=here)
    return first.astimezone(UTC), after.astimezone(UTC)


def month_shifts(product_line: str, year: int, month: int, tz: str = TIMEZONE) -> list[Shift]:
    lo, hi = month_window(year, month, tz)
    return list(
        db.session.scalars(
            select(Shift)
            .options(joinedload(Shift.person), joinedload(Shift.handover))
            .where(Shift.product_line == product_line, Shift.starts_at >= lo, Shift.starts_at < hi)
            .order_by(Shift.starts_at)
        )
    )


def pool(product_line: str, *, lock: bool = False) -> list[Person]:
    """Who may be on duty for the product line: active associates certified for it.

    The certification is a JSON list, filtered here rather than in SQL (JSON containment
    differs between SQLite and PostgreSQL, and a pool is a handful of people). ``lock``
    takes the associates' rows FOR UPDATE (PostgreSQL; SQLite has one writer anyway).
    """
    stmt = select(Person).where(Person.active, Person.kind == "associate").order_by(Person.key)
    people = db.session.scalars(stmt.with_for_update() if lock else stmt)
    return [p for p in people if product_line in (p.certified or [])]


def set_certified(person: Person, product_lines: list[str]) -> Person:
    """Record the product lines a person passed training and exam for (the seed's
    certification); the roster draws its pool from these."""
    lines = sorted({check_line(line) for line in product_lines})
    with audit.changing("person.certify", "person", person.key, person):
        person.certified = lines
    return person


def _unavailable(person_ids: list[int], first: date, last: date) -> dict[int, dict[date, str]]:
    rows = db.session.scalars(
        select(Unavailability).where(
            Unavailability.person_id.in_(person_ids),
            Unavailability.day >= first,
            Unavailability.day <= last,
        )
    )
    out: dict[int, dict[date, str]] = {pid: {} for pid in person_ids}
    for row in rows:
        out[row.person_id][row.day] = row.reason or "unavailable"
    return out


def generate_month(
    product_line: str,
    year: int,
    month: int,
    *,
    tz: str = TIMEZONE,
    days: float = DUTY_DAYS,
    start_hour: int = START_HOUR,
    replace: bool = False,
    now: datetime | None = None,
) -> list[Shift]:
    """Tile the month with duties and give each to an associate of the pool, fairly.

    Refused (nothing written) when the month already has duties for the product line
    (unless ``replace``, and then only before the first of them has begun), when a duty
    would overlap another month's, when the pool is empty, or when nobody in it is
    available for some duty (the message names that duty and who is away).
    """
    check_line(product_line)
    now = now or utcnow()
    slots = tile(year, month, zone(tz), days=days, start_hour=start_hour)
    label = f"{year:04d}-{month:02d}"
    # Two managers planning the same month at once: the second waits here, then sees the
    # first one's duties below and is refused.
    people = pool(product_line, lock=True)
    existing = month_shifts(product_line, year, month, tz)
    if existing and not replace:
        raise Conflict(
            f"{product_line} already has {len(existing)} duties in {label}; "
            "replace them, or swap and reassign them one by one",
            "month",
        )
    if started := [s for s in existing if s.starts_at <= now]:
        raise Conflict(
            f"{label} has begun for {product_line}: the duty of {started[0].person.name} "
            f"from {when(started[0].starts_at, tz)} started; swap or reassign the others",
            "month",
        )
    lo, hi = slots[0].starts_at, slots[-1].ends_at
    clash = db.session.scalar(
        select(Shift).where(
            Shift.product_line == product_line,
            Shift.starts_at < hi,
            Shift.ends_at > lo,
            Shift.id.not_in([s.id for s in existing]),
        )
    )
    if clash is not None:
        raise Conflict(
            f"the duty of {clash.person.name} from {when(clash.starts_at, tz)} to "
            f"{when(clash.ends_at, tz)} overlaps {label}; start the duties at the same hour",
            "start_hour",
        )
    if not people:
        raise Invalid(f"no active associate is certified for {product_line}", "line")
    away = _unavailable([p.id for p in people], slots[0].days[0], slots[-1].days[-1])
    candidates = []
    for slot in slots:
        free = tuple(i for i, p in enumerate(people) if not set(slot.days) & away[p.id].keys())
        if not free:
            names = ", ".join(p.name for p in people)
            raise Invalid(
                f"nobody certified for {product_line} is available for the duty from "
                f"{when(slot.starts_at, tz)} to {when(slot.ends_at, tz)} "
                f"({names}: all unavailable on one of its days)",
                "month",
            )
        candidates.append(free)
    past = dict(
        db.session.execute(
            select(Shift.person_id, func.count())
            .where(Shift.product_line == product_line, Shift.starts_at < lo)
            .group_by(Shift.person_id)
        ).all()
    )
    ranking = sorted(range(len(people)), key=lambda i: (past.get(people[i].id, 0), people[i].key))
    index = {p.id: i for i, p in enumerate(people)}

    def neighbour(condition) -> int | None:  # noqa: ANN001
        pid = db.session.scalar(select(Shift.person_id).where(condition).limit(1))
        return index.get(pid)

    before = neighbour((Shift.product_line == product_line) & (Shift.ends_at == lo))
    after = neighbour((Shift.product_line == product_line) & (Shift.starts_at == hi))
    chosen = plan(candidates, ranking, before=before, after=after)
    for shift in existing:
        if shift.handover is not None:
            db.session.delete(shift.handover)
        db.session.delete(shift)
    db.session.flush()
    shifts = [
        Shift(
            person=people[who],
            product_line=product_line,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
        )
        for slot, who in zip(slots, chosen, strict=True)
    ]
    db.session.add_all(shifts)
    db.session.flush()
    return shifts


def _check_takes(person: Person, shift: Shift, tz: str, field: str) -> None:
    """Refuse to put ``person`` on ``shift`` when outside the pool or away that day."""
    if not (
        person.active and person.kind == "associate" and shift.product_line in person.certified
    ):
        raise Invalid(
            f"{person.name} is not an active associate certified for {shift.product_line}", field
        )
    days = local_days(shift, tz)
    away = _unavailable([person.id], days[0], days[-1])[person.id]
    if away:
        day, reason = min(away.items())
        raise Conflict(
            f"{person.name} is unavailable on {day.isoformat()} ({reason}), "
            f"a day of duty {shift.id}",
            field,
        )


def _not_over(shift: Shift, now: datetime, tz: str, field: str) -> None:
    if shift.ends_at <= now:
        raise Conflict(
            f"duty {shift.id} ended {when(shift.ends_at, tz)}; the past stays as it was", field
        )


def swap(
    a: Shift, b: Shift, *, tz: str = TIMEZONE, now: datetime | None = None
) -> tuple[Shift, Shift]:
    """Exchange the associates of two duties (both still to come or running)."""
    now = now or utcnow()
    if a.id == b.id:
        raise Invalid("choose two different duties to swap", "shift_b")
    _not_over(a, now, tz, "shift_a")
    _not_over(b, now, tz, "shift_b")
    if a.person_id == b.person_id:
        raise Invalid(f"both duties are {a.person.name}'s: nothing to swap", "shift_b")
    _check_takes(b.person, a, tz, "shift_a")
    _check_takes(a.person, b, tz, "shift_b")
    a.person, b.person = b.person, a.person
    return a, b


def reassign(
    shift: Shift, person: Person, *, tz: str = TIMEZONE, now: datetime | None = None
) -> Shift:
    """Give one duty (still to come or running) to another associate of the pool."""
    _not_over(shift, now or utcnow(), tz, "shift")
    if shift.person_id == person.id:
        raise Invalid(f"duty {shift.id} is already {person.name}'s", "person")
    _check_takes(person, shift, tz, "person")
    shift.person = person
    return shift


def add_unavailable(person: Person, day: date, reason: str | None = None) -> Unavailability:
    """Note a day on which ``person`` cannot be on duty; new rosters leave it free (one
    already made is not changed: see :func:`clashes`)."""
    if reason is not None and len(reason) > 200:
        raise Invalid("reason is longer than 200 characters", "reason")
    if not date(2000, 1, 1) <= day <= date(2100, 12, 31):
        raise Invalid("day must lie between 2000 and 2100", "day")
    taken = select(Unavailability.id).where(
        Unavailability.person_id == person.id, Unavailability.day == day
    )
    if db.session.scalar(taken) is not None:
        raise Conflict(f"{person.name} is already unavailable on {day.isoformat()}", "day")
    row = Unavailability(person=person, day=day, reason=reason or None)
    db.session.add(row)
    db.session.flush()
    return row


def clashes(
    person: Person, day: date, tz: str = TIMEZONE, now: datetime | None = None
) -> list[Shift]:
    """The duties of ``person`` that touch ``day`` and have not ended: to swap or reassign."""
    here = zone(tz)
    lo = datetime.combine(day, time(), here).astimezone(UTC)
    hi = datetime.combine(day + timedelta(days=1), time(), here).astimezone(UTC)
    return list(
        db.session.scalars(
            select(Shift)
            .where(
                Shift.person_id == person.id,
                Shift.starts_at < hi,
                Shift.ends_at > max(lo, now or utcnow()),
            )
            .order_by(Shift.starts_at)
        )
    )


def on_duty_shift(at: datetime, product_line: str) -> Shift | None:
    """The duty running at ``at`` (start inclusive, end exclusive): the latest one started
    by then, if it has not ended; shifts never overlap, so that is the one."""
    shift = db.session.scalar(
        select(Shift)
        .options(joinedload(Shift.person))
        .where(Shift.product_line == product_line, Shift.starts_at <= at)
        .order_by(Shift.starts_at.desc())
        .limit(1)
    )
    return shift if shift is not None and shift.ends_at > at else None


def on_duty(at: datetime, product_line: str) -> Person | None:
    """The associate on duty for the product line at ``at``, if any; one who has been
    made inactive since is on duty no more (the roster page still shows the duty)."""
    shift = on_duty_shift(at, product_line)
    return shift.person if shift is not None and shift.person.active else None


def next_duty(at: datetime, product_line: str) -> Shift | None:
    """The first duty of the product line that starts after ``at``."""
    return db.session.scalar(
        select(Shift)
        .options(joinedload(Shift.person))
        .where(Shift.product_line == product_line, Shift.starts_at > at)
        .order_by(Shift.starts_at)
        .limit(1)
    )


def duty_for_new_call(call: Call, at: datetime | None = None) -> Person | None:
    """Who receives a new 2nd-line call: the associate on duty now for the product line
    of the call's application; None without an application or a duty."""
    if call.application is None:
        return None
    return on_duty(at or utcnow(), call.application.product_line)


def open_calls(product_line: str) -> list[Call]:
    """The open 2nd-line calls on applications of the product line: what a handover lists."""
    return list(
        db.session.scalars(
            select(Call)
            .join(Application, Call.application_id == Application.id)
            .where(
                Application.product_line == product_line,
                Call.line == DUTY_LINE,
                Call.status.in_(OPEN_STATUSES),
            )
            .order_by(Call.priority, Call.id)
        )
    )


def record_handovers(now: datetime | None = None) -> int:
    """Record the handover of each running duty that has none yet; returns how many.

    Only running duties: a duty that ended while no worker ran has nothing left to hand
    over. Run every minute by the ``roster_handover`` job; a second run finds nothing.
    """
    now = now or utcnow()
    due = db.session.scalars(
        select(Shift)
        .outerjoin(Handover, Handover.shift_id == Shift.id)
        .where(Shift.ends_at > now, Shift.starts_at <= now, Handover.id.is_(None))
        .order_by(Shift.starts_at, Shift.id)
    ).all()
    for shift in due:
        before = db.session.scalar(
            select(Shift.person_id).where(
                Shift.product_line == shift.product_line, Shift.ends_at == shift.starts_at
            )
        )
        snapshot = [
            {"id": c.id, "title": c.title, "priority": c.priority, "status": c.status}
            for c in open_calls(shift.product_line)
        ]
        db.session.add(Handover(shift=shift, calls=snapshot, from_person_id=before, created_at=now))
    db.session.flush()
    return len(due)
