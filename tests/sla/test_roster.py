"""The duty roster: months tiled without gap or overlap (daylight saving included), duties
shared fairly within a month and over months, unavailable days kept free, refusals that
say what is wrong, swaps and reassignments, who is on duty at the boundaries, handovers.

The planning rules are also checked as plain functions (:mod:`hub.sla.rosterplan`)
against a brute-force search over small cases.
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from hub import calls, directory
from hub.db import db
from hub.errors import Conflict, Invalid
from hub.models import Handover, Person, Shift
from hub.sla import roster
from hub.sla.rosterplan import parse_month, plan, tile
from hub.vocab import PRODUCT_LINES

AMS = ZoneInfo("Europe/Amsterdam")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=AMS).astimezone(UTC)


def associates(n: int, line: str = "drupal") -> list[Person]:
    people = [
        directory.create_person(key=f"a{i:02d}", name=f"Associate {i:02d}", kind="associate",
                                certified=[line])
        for i in range(1, n + 1)
    ]  # fmt: skip
    db.session.flush()
    return people


def month(line: str, year: int, number: int, **kw) -> list[Shift]:  # noqa: ANN003
    return roster.generate_month(line, year, number, now=local(2000, 1, 1), **kw)


def keys(shifts: list[Shift]) -> list[str]:
    return [s.person.key for s in shifts]


def shift_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Shift))


# --- tiling ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "number", "duties", "last_hours", "total_hours"),
    [
        (2026, 12, 13, 24, 31 * 24),
        (2026, 11, 12, 60, 30 * 24),
        (2026, 2, 12, 12, 28 * 24),
        (2028, 2, 12, 36, 29 * 24),
        (2026, 3, 13, 24, 31 * 24 - 1),  # spring forward on Sunday 29 March
        (2026, 10, 13, 24, 31 * 24 + 1),  # fall back on Sunday 25 October
    ],
)
def test_a_month_is_tiled_with_consecutive_duties_from_08_00(
    year, number, duties, last_hours, total_hours
):
    slots = tile(year, number, AMS)
    assert len(slots) == duties
    assert slots[0].starts_at == local(year, number, 1, 8)
    assert slots[-1].ends_at == local(year + number // 12, number % 12 + 1, 1, 8)
    for before, after in itertools.pairwise(slots):
        assert before.ends_at == after.starts_at, "no gap, no overlap"
    assert all(s.starts_at.astimezone(AMS).hour in (8, 20) for s in slots), "wall-clock hours"
    hours = [(s.ends_at - s.starts_at) / timedelta(hours=1) for s in slots]
    assert hours[-1] == last_hours
    assert sum(hours) == total_hours


@pytest.mark.parametrize(("number", "day", "hours"), [(3, 29, 59), (10, 25, 61)])
def test_the_duty_over_a_daylight_saving_change_is_an_hour_shorter_or_longer(number, day, hours):
    slot = next(s for s in tile(2026, number, AMS) if date(2026, number, day) in s.days)
    assert (slot.ends_at - slot.starts_at) / timedelta(hours=1) == hours
    assert {slot.starts_at.astimezone(AMS).hour, slot.ends_at.astimezone(AMS).hour} == {8, 20}


def test_a_duty_touches_the_local_days_it_covers_end_exclusive():
    first = tile(2026, 12, AMS)[0]
    assert first.days == (date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 3))
    assert tile(2026, 12, AMS, days=1, start_hour=0)[0].days == (date(2026, 12, 1),)


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"days": 0.1}, "days", "days must be from 0.5 to 31"),
        ({"days": 2.51}, "days", "in whole hours"),
        ({"days": float("inf")}, "days", "days must be"),
        ({"start_hour": 24}, "start_hour", "from 0 to 23"),
        ({"start_hour": True}, "start_hour", "from 0 to 23"),
    ],
)
def test_a_bad_duty_length_or_hour_is_refused_naming_it(kwargs, field, message):
    with pytest.raises(Invalid, match=message) as caught:
        tile(2026, 12, AMS, **kwargs)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("text", "message"),
    [("2026-13", "from 01 to 12"), ("1999-12", "2000 to 2100"), ("26-12", "such as"),
     ("２０２６-12", "such as"), ("", "such as"), ("2026-1", "such as")],
)  # fmt: skip
def test_a_month_is_read_as_yyyy_mm_or_refused(text, message):
    assert parse_month("2026-12") == (2026, 12)
    with pytest.raises(Invalid, match=message):
        parse_month(text)


# --- planning as plain functions ----------------------------------------------------------


def fair(counts: Counter, people: range) -> bool:
    values = [counts.get(p, 0) for p in people]
    return max(values) - min(values) <= 1


def apart(chosen: list[int]) -> bool:
    return all(a != b for a, b in itertools.pairwise(chosen))


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5, 6, 12, 13, 20])
def test_with_everyone_free_the_counts_differ_by_at_most_one_and_no_one_is_twice_in_a_row(k):
    chosen = plan([tuple(range(k))] * 13, list(range(k)))
    counts = Counter(chosen)
    assert fair(counts, range(k))
    assert k == 1 or apart(chosen)
    extra = 13 % k
    assert sorted(p for p in range(k) if counts[p] > 13 // k) == list(range(extra))


def test_the_extra_duties_go_to_those_with_the_fewest_before():
    chosen = plan([tuple(range(5))] * 13, [3, 4, 0, 1, 2])
    assert {p for p, n in Counter(chosen).items() if n == 3} == {3, 4, 0}


def test_the_duties_next_to_the_month_count_as_neighbours():
    chosen = plan([(0, 1)] * 4, [0, 1], before=0, after=1)
    assert chosen == [1, 0, 1, 0]


def _best(candidates: list[tuple[int, ...]], ranking: list[int]) -> tuple[bool, bool]:
    """Brute force: does a plan exist with the fair share (and one also apart)?"""
    able = [p for p in ranking if any(p in c for c in candidates)]
    base, extra = divmod(len(candidates), len(able))
    target = {p: base + (i < extra) for i, p in enumerate(able)}
    fair_ok = apart_ok = False
    for chosen in itertools.product(*candidates):
        if Counter(chosen) == Counter({p: n for p, n in target.items() if n}):
            fair_ok = True
            apart_ok = apart_ok or apart(list(chosen))
    return fair_ok, apart_ok


@settings(max_examples=150, deadline=None, database=None)
@given(data=st.data(), n=st.integers(1, 6), k=st.integers(1, 4))
def test_the_plan_is_as_good_as_the_best_one_and_always_valid(data, n, k):
    candidates = [
        tuple(sorted(data.draw(st.sets(st.integers(0, k - 1), min_size=1)))) for _ in range(n)
    ]
    ranking = data.draw(st.permutations(range(k)))
    chosen = plan(candidates, ranking)
    assert chosen == plan(candidates, ranking), "deterministic"
    assert all(p in c for p, c in zip(chosen, candidates, strict=True)), "only free people"
    fair_ok, apart_ok = _best(candidates, ranking)
    able = [p for p in ranking if any(p in c for c in candidates)]
    base, extra = divmod(n, len(able))
    target = {p: base + (i < extra) for i, p in enumerate(able)}
    if fair_ok:
        assert all(Counter(chosen)[p] == t for p, t in target.items())
    if apart_ok:
        assert apart(chosen)


# --- generating months in the database ---------------------------------------------------


@pytest.mark.parametrize("k", [1, 2, 3, 5, 13, 14])
def test_a_generated_month_is_fair_and_has_no_two_duties_in_a_row(ctx, k):
    associates(k)
    shifts = month("drupal", 2027, 1)
    counts = Counter(keys(shifts))
    assert len(shifts) == 13 and set(counts) <= {f"a{i:02d}" for i in range(1, k + 1)}
    assert max(counts.values()) - min(counts.get(f"a{i:02d}", 0) for i in range(1, k + 1)) <= 1
    assert k == 1 or apart(keys(shifts))


def test_over_a_year_the_running_totals_differ_by_at_most_one(ctx):
    associates(5)
    total: Counter = Counter()
    previous = None
    for number in range(1, 13):
        shifts = month("drupal", 2027, number)
        if previous is not None:
            assert previous.ends_at == shifts[0].starts_at, "the months join"
            assert previous.person_id != shifts[0].person_id, "not twice in a row over months"
        previous = shifts[-1]
        mine = Counter(keys(shifts))
        total.update(mine)
        assert max(mine.values()) - min(mine.values()) <= 1
        assert max(total.values()) - min(total.values()) <= 1, (number, total)
    assert sum(total.values()) == sum(len(tile(2027, m, AMS)) for m in range(1, 13))


def test_the_same_input_gives_the_same_roster(ctx):
    associates(4)
    first = keys(month("drupal", 2027, 3))
    assert keys(month("drupal", 2027, 3, replace=True)) == first


def test_unavailable_days_are_kept_free(ctx):
    a01, a02, a03 = associates(3)
    away = {a01: range(5, 12), a02: range(20, 25), a03: [1]}
    for person, days in away.items():
        for day in days:
            roster.add_unavailable(person, date(2027, 3, day), "holiday")
    shifts = month("drupal", 2027, 3)
    for s in shifts:
        days = {d.day for d in roster.local_days(s)}
        assert not days & set(away[s.person]), (s.person.key, days)
    counts = Counter(keys(shifts))
    assert max(counts.values()) - min(counts.values()) <= 1


def test_a_month_with_duties_is_refused_unless_replaced_before_it_begins(ctx):
    associates(2)
    month("drupal", 2027, 1)
    before = shift_count()
    with pytest.raises(Conflict, match="drupal already has 13 duties in 2027-01") as caught:
        month("drupal", 2027, 1)
    assert caught.value.field == "month"
    with pytest.raises(Conflict, match="2027-01 has begun for drupal: the duty of Associate"):
        roster.generate_month("drupal", 2027, 1, replace=True, now=local(2027, 1, 1, 8))
    assert shift_count() == before
    assert len(month("drupal", 2027, 1, replace=True)) == 13
    assert shift_count() == before


def test_two_managers_planning_the_same_month_at_once_get_one_roster(ctx):
    associates(3)
    db.session.commit()
    start, results = threading.Barrier(2), []

    def plan_it() -> None:
        with ctx.app_context():
            start.wait()
            try:
                month("drupal", 2027, 5)
                db.session.commit()
                results.append("planned")
            except Conflict:
                db.session.rollback()
                results.append("refused")

    threads = [threading.Thread(target=plan_it) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == ["planned", "refused"]
    assert len(roster.month_shifts("drupal", 2027, 5)) == 13


def test_no_pool_or_nobody_free_is_refused_naming_the_duty(ctx):
    with pytest.raises(Invalid, match="no active associate is certified for lamp"):
        month("lamp", 2027, 1)
    people = associates(2)
    for person in people:
        roster.add_unavailable(person, date(2027, 12, 24), "Christmas")
    with pytest.raises(Invalid) as caught:
        month("drupal", 2027, 12)
    assert caught.value.message == (
        "nobody certified for drupal is available for the duty from Thu 23 Dec 2027 20:00 "
        "to Sun 26 Dec 2027 08:00 (Associate 01, Associate 02: all unavailable on one of "
        "its days)"
    )
    drupal = select(func.count()).select_from(Shift).where(Shift.product_line == "drupal")
    assert db.session.scalar(drupal) == 0, "nothing written"


def test_a_duty_overlapping_the_next_month_is_refused(ctx):
    associates(2)
    month("drupal", 2027, 1, start_hour=8)
    with pytest.raises(Conflict, match="overlaps 2027-02") as caught:
        month("drupal", 2027, 2, start_hour=0)  # would start 8 hours before January ends
    assert caught.value.field == "start_hour"


@pytest.mark.parametrize(
    ("args", "field"),
    [(("drupal", 2027, 13), "month"), (("drupal", 1999, 1), "month"), (("cobol", 2027, 1), "line")],
)
def test_bad_arguments_are_refused_naming_the_field(ctx, args, field):
    with pytest.raises(Invalid) as caught:
        month(*args)
    assert caught.value.field == field
    with pytest.raises(Invalid, match="unknown time zone"):
        month("drupal", 2027, 1, tz="Mars/Olympus")


# --- swaps, reassignments, unavailable days ----------------------------------------------


@pytest.fixture
def january(ctx) -> list[Shift]:  # noqa: ANN001
    associates(3)
    return month("drupal", 2027, 1)


def test_a_swap_exchanges_the_associates(january):
    a, b = january[0], january[1]
    first, second = a.person, b.person
    roster.swap(a, b, now=local(2026, 12, 1))
    assert (a.person, b.person) == (second, first)


def test_a_swap_is_refused_when_it_cannot_be(january):
    a, b = january[0], january[1]
    people = (a.person_id, b.person_id)
    same = next(s for s in january[1:] if s.person_id == a.person_id)
    early = local(2026, 12, 1)
    cases = [
        (a, a, early, Invalid, "choose two different duties"),
        (a, same, early, Invalid, f"both duties are {a.person.name}'s"),
        (a, b, local(2027, 1, 3, 21), Conflict, f"duty {a.id} ended Sun 03 Jan 2027 20:00"),
    ]
    for x, y, now, error, message in cases:
        with pytest.raises(error, match=message):
            roster.swap(x, y, now=now)
    roster.add_unavailable(b.person, date(2027, 1, 2), "dentist")
    with pytest.raises(
        Conflict, match=rf"{b.person.name} is unavailable on 2027-01-02 \(dentist\)"
    ):
        roster.swap(a, b, now=early)
    assert (a.person_id, b.person_id) == people, "nothing changed"


def test_a_reassignment_goes_to_a_free_certified_associate_only(january):
    shift = january[0]
    other = next(p for p in roster.pool("drupal") if p.id != shift.person_id)
    outsider = directory.create_person(key="zz", name="Zed", kind="associate", certified=["lamp"])
    db.session.flush()
    early = local(2026, 12, 1)
    with pytest.raises(Invalid, match="Zed is not an active associate certified for drupal"):
        roster.reassign(shift, outsider, now=early)
    with pytest.raises(Invalid, match="already"):
        roster.reassign(shift, shift.person, now=early)
    roster.add_unavailable(other, date(2027, 1, 3))
    with pytest.raises(Conflict, match="unavailable on 2027-01-03 \\(unavailable\\)"):
        roster.reassign(shift, other, now=early)
    free = next(p for p in roster.pool("drupal") if p not in (shift.person, other))
    roster.reassign(shift, free, now=early)
    assert shift.person == free


def test_an_unavailable_day_is_noted_once_and_its_duties_are_named(january):
    person = january[0].person
    roster.add_unavailable(person, date(2027, 1, 2), "course")
    with pytest.raises(Conflict, match="already unavailable on 2027-01-02") as caught:
        roster.add_unavailable(person, date(2027, 1, 2))
    assert caught.value.field == "day"
    with pytest.raises(Invalid, match="longer than 200"):
        roster.add_unavailable(person, date(2027, 1, 5), "x" * 201)
    assert roster.clashes(person, date(2027, 1, 2), now=local(2026, 12, 1)) == [january[0]]
    assert roster.clashes(person, date(2027, 1, 2), now=local(2027, 1, 4)) == []


# --- who is on duty ----------------------------------------------------------------------


def test_on_duty_and_next_at_the_boundaries(january):
    first, second = january[0], january[1]
    tick = timedelta(microseconds=1)
    assert roster.on_duty(first.starts_at - tick, "drupal") is None
    assert roster.next_duty(first.starts_at - tick, "drupal") == first
    assert roster.on_duty(first.starts_at, "drupal") == first.person, "start inclusive"
    assert roster.next_duty(first.starts_at, "drupal") == second
    assert roster.on_duty(first.ends_at - tick, "drupal") == first.person
    assert roster.on_duty(first.ends_at, "drupal") == second.person, "end exclusive"
    assert roster.on_duty(january[-1].ends_at, "drupal") is None
    assert roster.next_duty(january[-1].starts_at, "drupal") is None
    assert roster.on_duty(first.starts_at, "lamp") is None
    first.person.active = False
    assert roster.on_duty(first.starts_at, "drupal") is None, "an inactive associate is off"


def test_a_new_call_goes_to_the_associate_on_duty_for_its_product_line(january):
    directory.create_application(client="amarant", key="shop", name="Shop", product_line="drupal")
    db.session.flush()
    call = calls.create(actor="t", source="t", client="amarant", title="Bug", application="shop")
    at = january[4].starts_at + timedelta(hours=1)
    assert roster.duty_for_new_call(call, at) == january[4].person
    bare = calls.create(actor="t", source="t", client="amarant", title="No application")
    assert roster.duty_for_new_call(bare, at) is None


# --- handovers ---------------------------------------------------------------------------


def test_a_handover_lists_the_open_2nd_line_calls_of_the_product_line_once(ctx):
    associates(2)
    shifts = month("drupal", 2031, 5)
    directory.create_application(client="amarant", key="shop", name="Shop", product_line="drupal")
    db.session.flush()

    def call(title: str, **kw) -> int:  # noqa: ANN003
        made = calls.create(actor="t", source="t", client="amarant", title=title, **kw)
        db.session.flush()
        return made

    listed = call("Checkout broken", application="shop", line="2-application", priority="P1")
    later = call("Slow search", application="shop", line="2-application", priority="P3")
    done = call("Fixed already", application="shop", line="2-application")
    calls.transition(done, "acknowledged", actor="t")
    calls.transition(done, "resolved", actor="t")
    call("Not yet 2nd line", application="shop")
    call("Joomla, not Drupal", application="amarant-intranet", line="2-application")
    db.session.flush()
    during = shifts[1].starts_at + timedelta(minutes=1)
    assert roster.record_handovers(during) == 1
    assert roster.record_handovers(during) == 0, "idempotent"
    assert roster.record_handovers(shifts[1].ends_at - timedelta(seconds=1)) == 0
    handover = db.session.scalar(select(Handover).where(Handover.shift_id == shifts[1].id))
    assert handover.from_person_id == shifts[0].person_id
    assert handover.calls == [
        {"id": listed.id, "title": "Checkout broken", "priority": "P1", "status": "new"},
        {"id": later.id, "title": "Slow search", "priority": "P3", "status": "new"},
    ]
    assert shifts[0].handover is None, "a duty that ended gets no handover afterwards"
    assert roster.record_handovers(shifts[0].starts_at) == 1
    assert shifts[0].handover.from_person_id is None, "nobody before the first duty"


def test_the_handover_job_runs_through_the_scheduler(ctx):
    from hub import scheduler

    associates(2)
    shifts = month("drupal", 2031, 6)
    db.session.commit()
    jobs = {job.name: job for job in scheduler.collect()}
    assert jobs["roster_handover"].interval == 60
    with time_machine.travel(shifts[2].starts_at + timedelta(seconds=30), tick=False):
        assert jobs["roster_handover"].run() == 1
        assert jobs["roster_handover"].run() == 0
    assert db.session.scalar(select(func.count()).select_from(Handover)) >= 1


def test_certification_accepts_known_product_lines_only(ctx):
    person = associates(1)[0]
    roster.set_certified(person, ["joomla", "drupal", "joomla"])
    assert person.certified == ["drupal", "joomla"]
    with pytest.raises(Invalid, match="unknown product line 'cobol'"):
        roster.set_certified(person, ["cobol"])
    assert set(PRODUCT_LINES) >= set(person.certified)
