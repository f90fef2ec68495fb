"""One plugin gets one call's deliveries in order, and sees the call's links as they are
when the delivery is made: a note made while the tracker was down reaches the issue the
retried creation made (found by benchmarks/soak.py: notes never reached Mantis)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from hub import calls
from hub.db import db, utcnow
from hub.models import OutboxDelivery
from hub.worker import deliver, drain_once
from tests.support.recorder import records

WORKER = "test-worker"
ORDERED = "tests.support.ordered"


@pytest.fixture
def config_extra() -> dict:
    return {
        "PLUGIN_MODULES": ["tests.support.recorder", ORDERED],
        "OUTBOX_BACKOFF_BASE": 600.0,  # a failed attempt waits: later ones must wait too
        "OUTBOX_BACKOFF_CAP": 600.0,
    }


def drain_all(app) -> None:  # noqa: ANN001
    while drain_once(app, WORKER):
        pass


def rows(call_id: int, plugin: str) -> list[OutboxDelivery]:
    db.session.expire_all()
    return db.session.scalars(
        select(OutboxDelivery)
        .where(OutboxDelivery.call_id == call_id, OutboxDelivery.plugin == plugin)
        .order_by(OutboxDelivery.id)
    ).all()


def seen(record_file, call_id: int) -> list[dict]:  # noqa: ANN001
    return [r for r in records(record_file) if r["hook"] == "ordered_changed"
            and r["call"] == call_id]  # fmt: skip


def test_a_note_waits_for_the_issue_and_then_reaches_it(ctx, record_file, monkeypatch):
    monkeypatch.setenv("HUB_TEST_TRACKER_DOWN", "1")
    call = calls.create(actor="t", source="t", client="amarant", title="Form broken")
    db.session.commit()
    other = calls.create(actor="t", source="t", client="amarant", title="Other call")
    db.session.commit()
    drain_all(ctx)  # both creations fail and wait 5-10 minutes
    calls.add_note(call, actor="t", note="Looked at the logs")
    db.session.commit()
    monkeypatch.delenv("HUB_TEST_TRACKER_DOWN")
    calls.add_note(other, actor="t", note="Other note")
    drain_all(ctx)

    created, noted = rows(call.id, ORDERED)
    assert (created.state, created.attempts) == ("pending", 1)
    assert (noted.state, noted.attempts) == ("pending", 0)  # not tried before the issue
    assert seen(record_file, call.id) == []
    # Another plugin is not held up by this one, nor is it by another call.
    assert {r.state for r in rows(call.id, "tests.support.recorder")} == {"done"}

    # The tracker is back and the creation's retry is due: the issue, then the note on it.
    db.session.execute(update(OutboxDelivery).where(OutboxDelivery.id == created.id)
                       .values(next_attempt_at=utcnow()))  # fmt: skip
    db.session.commit()
    drain_all(ctx)
    created, noted = rows(call.id, ORDERED)
    assert (created.state, noted.state) == ("done", "done")
    assert created.delivered_at <= noted.delivered_at
    assert seen(record_file, call.id) == [
        {
            "hook": "ordered_changed",
            "call": call.id,
            "note": "Looked at the logs",
            "links": [f"recorder:R-{call.id}", f"ordered:O-{call.id}"],
        }  # fmt: skip
    ]


def test_another_call_is_not_held_up(ctx, record_file, monkeypatch):
    monkeypatch.setenv("HUB_TEST_TRACKER_DOWN", "1")
    stuck = calls.create(actor="t", source="t", client="amarant", title="Stuck")
    db.session.commit()
    drain_all(ctx)
    monkeypatch.delenv("HUB_TEST_TRACKER_DOWN")
    free = calls.create(actor="t", source="t", client="amarant", title="Free")
    db.session.commit()
    calls.add_note(free, actor="t", note="On its way")
    db.session.commit()
    drain_all(ctx)
    assert [r.state for r in rows(stuck.id, ORDERED)] == ["pending"]
    assert [r.state for r in rows(free.id, ORDERED)] == ["done", "done"]
    assert f"ordered:O-{free.id}" in seen(record_file, free.id)[0]["links"]


def test_in_one_batch_a_failure_stops_the_rest_of_its_chain(ctx, record_file, monkeypatch):
    monkeypatch.setenv("HUB_TEST_TRACKER_DOWN", "1")
    call = calls.create(actor="t", source="t", client="amarant", title="Both at once")
    calls.add_note(call, actor="t", note="Straight away")
    db.session.commit()
    drain_all(ctx)  # the creation and the note are claimed together; the creation fails
    created, noted = rows(call.id, ORDERED)
    assert (created.state, created.attempts) == ("pending", 1)
    assert (noted.state, noted.attempts, noted.locked_by) == ("pending", 0, None)
    assert seen(record_file, call.id) == []


def test_a_delivery_taken_beside_an_earlier_one_is_handed_back_untried(ctx, record_file):
    # Two workers claiming at once can each see the other's row as free (SKIP LOCKED):
    # worker 1 holds the creation, worker 2 got the note. The note must not go first.
    call = calls.create(actor="t", source="t", client="amarant", title="Raced")
    calls.add_note(call, actor="t", note="Too early")
    db.session.commit()
    created, noted = rows(call.id, ORDERED)
    later = utcnow() + timedelta(minutes=5)
    for row, worker in ((created, "w1"), (noted, "w2")):
        db.session.execute(update(OutboxDelivery).where(OutboxDelivery.id == row.id)
                           .values(locked_by=worker, locked_until=later))  # fmt: skip
    db.session.commit()
    assert deliver(noted.id, "w2") is False
    created, noted = rows(call.id, ORDERED)
    assert (noted.state, noted.attempts, noted.locked_by) == ("pending", 0, None)
    assert seen(record_file, call.id) == []
    assert deliver(created.id, "w1") is True  # the creation, then the note, with its link
    drain_all(ctx)
    assert f"ordered:O-{call.id}" in seen(record_file, call.id)[0]["links"]
