"""The outbox with real ``slahub worker`` processes: killed, stopped, and side by side.

Each test starts workers as subprocesses on the test's database (SQLite file or
PostgreSQL), lets them deliver calls to the recorder plugin, and checks the recorder's
file: every delivery key exactly once, every outbox row done.
"""

from __future__ import annotations

import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from hub import outbox
from hub.db import db
from tests.support.recorder import records
from tests.support.workers import Workers, fetch, key, make_calls, outbox_rows

pytestmark = pytest.mark.slow


@pytest.fixture
def workers(db_url: str, record_file: Path, tmp_path: Path) -> Iterator[Workers]:
    procs = Workers(db_url, record_file, tmp_path)
    try:
        yield procs
    finally:
        procs.close()


def owner(row: dict, proc: subprocess.Popen) -> bool:
    """Whether ``row`` is leased by worker process ``proc`` (ids are host:pid:random)."""
    return bool(row["locked_by"]) and row["locked_by"].split(":")[-2] == str(proc.pid)


def all_done(db_url: str, n: int) -> Callable[[], bool]:
    """A poll predicate: the outbox has ``n`` rows and every one is done."""

    def check() -> bool:
        rows = outbox_rows(db_url)
        return len(rows) == n and all(r["state"] == "done" for r in rows)

    return check


def assert_exactly_once(record_file: Path, keys: list[str], db_url: str) -> list[dict]:
    got = records(record_file)
    counts = Counter(r["key"] for r in got)
    twice = sorted(k for k, n in counts.items() if n > 1)
    assert not twice, f"delivered more than once: {twice}"
    assert sorted(counts) == sorted(keys), "deliveries lost or unexpected"
    rows = outbox_rows(db_url)
    assert {r["state"] for r in rows} == {"done"}
    assert all(r["locked_by"] is None for r in rows)
    return got


def test_worker_killed_mid_delivery_is_taken_over(app, db_url, record_file, workers):
    keys = make_calls(app, 3)
    lease = 2
    first = workers.start(HUB_TEST_SLOW_SECONDS=1.0, HUB_OUTBOX_LEASE_SECONDS=lease)

    def mid_delivery() -> bool:
        # The batch is claimed by this worker and nothing is recorded yet: it is inside
        # the plugin call of its first delivery (or just before it).
        rows = outbox_rows(db_url)
        return all(owner(r, first) for r in rows) and not records(record_file)

    workers.kill_when(first, mid_delivery, timeout=60)
    assert all(r["state"] == "pending" and owner(r, first) for r in outbox_rows(db_url))

    second = workers.start(HUB_TEST_SLOW_SECONDS=0.2, HUB_OUTBOX_LEASE_SECONDS=lease)
    workers.wait_for(all_done(db_url, len(keys)), 60, "the second worker to deliver all")

    got = assert_exactly_once(record_file, keys, db_url)
    assert {r["pid"] for r in got} == {second.pid}


def test_worker_killed_between_deliveries_with_many_queued(app, db_url, record_file, workers):
    keys = make_calls(app, 40)
    lease = 2
    settings = dict(HUB_WORKER_BATCH=5, HUB_OUTBOX_LEASE_SECONDS=lease)
    first = workers.start(HUB_TEST_SLOW_SECONDS=0.1, **settings)
    left_leased: list[str] = []

    def between_deliveries() -> bool:
        # Some are done, many are still queued, part of a claimed batch is still leased
        # to this worker, and no delivery is recorded without being marked done.
        rows = outbox_rows(db_url)
        done = {key(r) for r in rows if r["state"] == "done"}
        leased = [key(r) for r in rows if r["state"] == "pending" and owner(r, first)]
        recorded = {r["key"] for r in records(record_file)}
        if 5 <= len(done) <= 30 and leased and recorded == done:
            left_leased[:] = leased
            return True
        return False

    workers.kill_when(first, between_deliveries, timeout=60)
    done_by_first = {r["key"] for r in records(record_file)}

    second = workers.start(**settings)
    workers.wait_for(all_done(db_url, len(keys)), 60, "the second worker to deliver all")

    got = assert_exactly_once(record_file, keys, db_url)
    by_second = {r["key"] for r in got if r["pid"] == second.pid}
    assert by_second == set(keys) - done_by_first
    assert set(left_leased) <= by_second, "the dead worker's leased batch was taken over"


def test_lease_running_out_in_a_claimed_batch_does_not_deliver_twice(
    app, db_url, record_file, workers
):
    """A worker works through a batch longer than the lease while another worker polls.

    Deliveries still waiting in the first worker's batch when their lease runs out may be
    taken by the second worker; the first must then leave them alone.
    """
    settings = dict(HUB_TEST_SLOW_SECONDS=0.5, HUB_OUTBOX_LEASE_SECONDS=1.5)
    procs = [workers.start(**settings) for _ in range(2)]
    workers.wait_for(lambda: len(workers_seen(db_url)) == 2, 60, "both workers polling")
    keys = make_calls(app, 12)  # one batch (20) takes all: 6 s of work on a 1.5 s lease
    workers.wait_for(all_done(db_url, len(keys)), 60, "all deliveries")
    got = assert_exactly_once(record_file, keys, db_url)
    assert {r["pid"] for r in got} == {p.pid for p in procs}, "the lease never ran out"


def workers_seen(db_url: str) -> list[dict]:
    return fetch(db_url, "SELECT worker_id FROM worker_heartbeats")


# Several workers side by side are supported on PostgreSQL only.
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_four_workers_drain_a_thousand_deliveries(app, db_url, record_file, workers):
    procs = [workers.start() for _ in range(4)]
    workers.wait_for(
        lambda: len(workers_seen(db_url)) == len(procs), 60, "every worker's first heartbeat"
    )
    keys = make_calls(app, 1000)
    started = time.monotonic()
    workers.wait_for(all_done(db_url, len(keys)), 180, "1,000 deliveries")
    took = time.monotonic() - started

    got = assert_exactly_once(record_file, keys, db_url)
    pids = Counter(r["pid"] for r in got)
    assert set(pids) <= {p.pid for p in procs}
    assert len(pids) > 1, f"one worker did all the work: {pids}"
    print(f"1,000 deliveries by 4 workers in {took:.1f} s; per worker: {dict(pids)}")


def test_sigterm_lets_the_current_delivery_finish(app, db_url, record_file, workers):
    keys = make_calls(app, 3)
    worker = workers.start(HUB_TEST_SLOW_SECONDS=1.5)  # the default lease: 300 s
    workers.wait_for(
        lambda: all(owner(r, worker) for r in outbox_rows(db_url)), 60, "the batch claimed"
    )
    workers.terminate(worker)
    try:
        code = worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail(f"worker did not stop after SIGTERM\n{workers.logs()}")
    assert code == 0, workers.logs()
    assert "stopped" in workers.logs()

    # The delivery in progress was finished; the rest of the batch was handed back.
    assert [r["key"] for r in records(record_file)] == keys[:1]
    rows = outbox_rows(db_url)
    assert [r["state"] for r in rows] == ["done", "pending", "pending"]
    assert [r["locked_by"] for r in rows] == [None, None, None]

    # So another worker delivers the rest now, not after the 300 s lease.
    workers.start()
    workers.wait_for(all_done(db_url, len(keys)), 30, "the rest delivered")
    assert_exactly_once(record_file, keys, db_url)


def test_a_delivery_for_a_plugin_the_worker_lacks_is_not_marked_done(
    app, db_url, record_file, workers
):
    keys = make_calls(app, 2)
    lacking = workers.start(HUB_PLUGIN_MODULES="[]", HUB_OUTBOX_MAX_ATTEMPTS=2)

    def all_dead() -> list[dict]:
        rows = outbox_rows(db_url)
        return rows if rows and all(r["state"] == "dead" for r in rows) else []

    rows = workers.wait_for(all_dead, 60, "the deliveries to go dead")
    assert [r["attempts"] for r in rows] == [2, 2]
    errors = {r["last_error"] for r in fetch(db_url, "SELECT last_error FROM outbox")}
    assert errors == {
        "LookupError: plugin 'tests.support.recorder' with hub_call_created is not loaded"
    }
    assert records(record_file) == []

    # Once the workers have the plugin, a re-drive delivers them.
    workers.terminate(lacking)
    assert lacking.wait(timeout=30) == 0
    with app.app_context():
        for row in rows:
            outbox.redrive(row["id"])
        db.session.commit()
    workers.start()
    workers.wait_for(all_done(db_url, len(keys)), 60, "the re-driven deliveries")
    assert_exactly_once(record_file, keys, db_url)


# Dropping a server connection is a PostgreSQL matter.
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_worker_survives_losing_its_database_connection(app, db_url, record_file, workers):
    worker = workers.start()
    workers.wait_for(lambda: workers_seen(db_url), 60, "the worker's first heartbeat")
    # What a database restart or failover does to every open connection.
    with psycopg.connect(db_url, autocommit=True) as conn:
        dropped = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    assert dropped, "the worker had a connection"
    with app.app_context():
        db.engine.dispose()  # this process's connections were dropped too

    keys = make_calls(app, 5)
    workers.wait_for(all_done(db_url, len(keys)), 60, "deliveries after the reconnect")
    assert_exactly_once(record_file, keys, db_url)
    # (Usually it logs "database error, retrying"; when the drop lands just as the worker
    # hands its connection back to the pool, the pool quietly replaces the connection.)
    assert worker.poll() is None
