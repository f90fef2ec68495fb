"""The outbox in one process: delivery, isolation, retry with backoff, dead, re-drive."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hub import calls, outbox
from hub.db import db, utcnow
from hub.errors import Conflict, NotFound
from hub.models import Call, OutboxDelivery
from hub.worker import drain_once
from tests.support.recorder import records

WORKER = "test-worker"


@pytest.fixture
def config_extra() -> dict:
    return {
        "PLUGIN_MODULES": ["tests.support.recorder", "tests.support.failing"],
        "OUTBOX_MAX_ATTEMPTS": 3,
        "OUTBOX_BACKOFF_BASE": 0.0,
        "OUTBOX_BACKOFF_CAP": 0.0,
    }


def deliveries(**where):  # noqa: ANN003,ANN201
    stmt = select(OutboxDelivery).order_by(OutboxDelivery.id)
    for name, value in where.items():
        stmt = stmt.where(getattr(OutboxDelivery, name) == value)
    return db.session.scalars(stmt).all()


def drain_all(app) -> None:  # noqa: ANN001
    while drain_once(app, WORKER):
        pass


def new_call() -> Call:
    call = calls.create(actor="t", source="t", client="amarant", title="Form broken")
    db.session.commit()
    return call


def test_one_delivery_per_implementing_plugin(ctx):
    db.session.execute(OutboxDelivery.__table__.delete())
    call = new_call()
    rows = deliveries(call_id=call.id)
    assert sorted((d.hook, d.plugin) for d in rows) == [
        ("hub_call_created", "tests.support.failing"),
        ("hub_call_created", "tests.support.recorder"),
    ]
    assert all(d.state == "pending" and d.payload["call"]["title"] == "Form broken" for d in rows)


def test_delivery_calls_the_plugin_and_links_what_it_returns(ctx, record_file):
    call = new_call()
    drain_all(ctx)
    mine = [r for r in records(record_file) if r["call"] == call.id]
    assert [r["hook"] for r in mine] == ["hub_call_created"]
    done = deliveries(call_id=call.id, plugin="tests.support.recorder")[0]
    assert (done.state, done.attempts, done.locked_by) == ("done", 1, None)
    assert mine[0]["key"] == f"outbox-{done.id}"
    db.session.refresh(call)
    assert [(k.system, k.key) for k in call.links] == [("recorder", f"R-{call.id}")]
    assert (
        call.events[-1].kind == "linked"
        and call.events[-1].actor == "plugin:tests.support.recorder"
    )


def test_a_failing_plugin_is_retried_then_dead_and_never_blocks_another(
    ctx, record_file, monkeypatch
):
    monkeypatch.setenv("HUB_TEST_FAILING", "1")
    call = new_call()
    drain_all(ctx)
    ok = deliveries(call_id=call.id, plugin="tests.support.recorder")[0]
    bad = deliveries(call_id=call.id, plugin="tests.support.failing")[0]
    assert ok.state == "done"
    assert [r["call"] for r in records(record_file)].count(call.id) == 1
    assert (bad.state, bad.attempts) == ("dead", 3)
    assert "OutsideSystemDown: tracker unreachable" in bad.last_error
    assert "attempt 3" in bad.last_error
    # Re-drive after the outside system is back: delivered once more, done.
    monkeypatch.delenv("HUB_TEST_FAILING")
    outbox.redrive(bad.id)
    db.session.commit()
    assert (bad.state, bad.attempts) == ("pending", 0)
    drain_all(ctx)
    db.session.refresh(bad)
    assert (bad.state, bad.attempts, bad.last_error) == ("done", 1, None)


def test_a_configuration_error_is_dead_at_once_not_retried(ctx, record_file, monkeypatch):
    monkeypatch.setenv("HUB_TEST_FAILING", "config")
    call = new_call()
    drain_all(ctx)
    bad = deliveries(call_id=call.id, plugin="tests.support.failing")[0]
    assert (bad.state, bad.attempts) == ("dead", 1)  # OUTBOX_MAX_ATTEMPTS is 3
    assert "ConfigurationError: tracker answered 401" in bad.last_error
    assert deliveries(call_id=call.id, plugin="tests.support.recorder")[0].state == "done"


def test_a_failed_attempt_waits_for_its_backoff(ctx, monkeypatch):
    ctx.config.update(OUTBOX_BACKOFF_BASE=60.0, OUTBOX_BACKOFF_CAP=3600.0)
    monkeypatch.setenv("HUB_TEST_FAILING", "1")
    call = new_call()
    before = utcnow()
    drain_all(ctx)
    bad = deliveries(call_id=call.id, plugin="tests.support.failing")[0]
    assert (bad.state, bad.attempts) == ("pending", 1)
    wait = (bad.next_attempt_at - before).total_seconds()
    assert 30 <= wait <= 61  # 60 s with equal jitter: between half and all of it
    assert drain_once(ctx, WORKER) == 0  # not due yet


def test_backoff_grows_exponentially_with_jitter_and_a_cap():
    for attempt in range(1, 12):
        full = min(100.0, 2.0 * 2 ** (attempt - 1))
        samples = [outbox.backoff(attempt, 2.0, 100.0) for _ in range(200)]
        assert all(full / 2 <= s <= full for s in samples)
        assert len(set(samples)) > 1  # jittered
    assert outbox.backoff(30, 2.0, 100.0) <= 100.0


def test_redrive_refuses_what_is_not_dead(ctx):
    call = new_call()
    pending = deliveries(call_id=call.id)[0]
    with pytest.raises(Conflict, match="only dead deliveries"):
        outbox.redrive(pending.id)
    with pytest.raises(NotFound):
        outbox.redrive(999_999)


def test_a_delivery_whose_lease_was_taken_over_is_not_marked_by_the_old_worker(ctx):
    new_call()
    [first, *_] = outbox.claim("old-worker", 10, lease_seconds=300)
    # Another worker took the delivery over (the old one's lease ran out).
    row = db.session.get(OutboxDelivery, first)
    row.locked_by = "new-worker"
    db.session.commit()
    assert outbox.mark_done(first, "old-worker", 1) is False
    assert db.session.get(OutboxDelivery, first).state == "pending"


def test_counts_by_state(ctx, monkeypatch):
    monkeypatch.setenv("HUB_TEST_FAILING", "1")
    new_call()
    drain_all(ctx)
    counts = outbox.counts()
    assert counts["dead"] >= 1 and counts["done"] >= 1


def test_a_delivery_that_kills_its_worker_every_time_still_ends_dead(ctx, record_file):
    """The attempt counts from its start: a worker that dies mid-call still used it up."""
    from datetime import timedelta

    from sqlalchemy import update

    from hub.worker import deliver

    db.session.execute(OutboxDelivery.__table__.delete())
    call = new_call()
    [row] = deliveries(call_id=call.id, plugin="tests.support.recorder")
    for n, worker in enumerate(("w1", "w2", "w3"), 1):
        assert outbox.claim(worker, 10, lease_seconds=300) == [d.id for d in deliveries()]
        assert outbox.renew(row.id, worker, 300)  # the attempt starts ...
        db.session.commit()
        # ... and the worker dies: its lease runs out without a word.
        db.session.execute(
            update(OutboxDelivery).values(locked_until=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
        db.session.refresh(row)
        assert (row.state, row.attempts) == ("pending", n)
    assert outbox.claim("w4", 10, lease_seconds=300)
    assert deliver(row.id, "w4") is False  # 4 > OUTBOX_MAX_ATTEMPTS (3): given up, not called
    db.session.refresh(row)
    assert (row.state, row.attempts) == ("dead", 3)
    assert "gave up after 3 attempts; the worker stopped during the last" in row.last_error
    assert [r for r in records(record_file) if r["call"] == call.id] == []


def test_discard_keeps_a_dead_delivery_as_discarded_and_refuses_others(ctx):
    call = new_call()
    dead = OutboxDelivery(hook="hub_call_created", plugin="x", payload={}, state="dead")
    live = OutboxDelivery(hook="hub_call_created", plugin="y", payload={}, call_id=call.id)
    db.session.add_all([dead, live])
    db.session.commit()
    assert outbox.discard(dead.id).state == "discarded"
    db.session.commit()
    with pytest.raises(Conflict, match="only dead deliveries are discarded"):
        outbox.discard(live.id)
    with pytest.raises(NotFound):
        outbox.discard(999999)
