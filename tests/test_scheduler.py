"""Periodic jobs: one worker at a time, leases that run out, failures, the next run.

Most tests drive ``hub.scheduler`` and ``hub.worker.Worker`` in this process with
several worker ids; the last one runs two real worker processes with a test plugin job.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask

from hub import create_app, hookimpl, requestid, scheduler
from hub.db import db, utcnow
from hub.hooktypes import Job
from hub.models import ScheduledJob
from hub.pluginmanager import get_pm
from hub.worker import Worker
from tests.conftest import base_config
from tests.support.jobs_plugin import runs
from tests.support.recorder import records
from tests.support.workers import Workers, fetch, make_calls, outbox_rows, wait_until


def job_row(app: Flask, name: str) -> ScheduledJob:
    """The job's row as committed (read in a fresh app context)."""
    with app.app_context():
        row = db.session.get(ScheduledJob, name)
        db.session.expunge(row)
        return row


def nothing() -> None:
    return None


def test_racing_workers_claim_a_due_job_once(app):
    job = Job(name="race", interval=60, run=nothing)
    with app.app_context():
        scheduler.ensure_rows([job])
    racers = 6
    start = threading.Barrier(racers)

    def attempt(i: int) -> bool:
        with app.app_context():
            start.wait(timeout=30)
            return scheduler.try_claim(job, f"worker-{i}", 30)

    with ThreadPoolExecutor(racers) as pool:
        won = list(pool.map(attempt, range(racers)))
    assert won.count(True) == 1, won
    assert job_row(app, "race").locked_by == f"worker-{won.index(True)}"
    with app.app_context():
        assert not scheduler.try_claim(job, "late", 30), "the lease is held"


def test_a_job_runs_on_one_worker_and_waits_for_its_interval(app):
    ran: list[str] = []
    jobs = {w: [Job(name="tick", interval=60, run=lambda w=w: ran.append(w))] for w in "ab"}
    with app.app_context():
        scheduler.ensure_rows(jobs["a"])
        before = utcnow()
        assert scheduler.run_due(jobs["a"], "a", 30).ran == 1
        assert scheduler.run_due(jobs["b"], "b", 30).ran == 0
        assert scheduler.run_due(jobs["a"], "a", 30).ran == 0
    assert ran == ["a"]
    row = job_row(app, "tick")
    assert (row.locked_by, row.locked_until, row.last_error) == (None, None, None)
    assert before <= row.last_started_at <= row.last_finished_at
    assert row.next_run_at == row.last_finished_at + timedelta(seconds=60)


def test_next_run_advances_by_the_interval_each_run(app):
    job = Job(name="often", interval=0.3, run=nothing)
    with app.app_context():
        scheduler.ensure_rows([job])
    finished = []
    for worker in ("a", "b", "a"):
        with app.app_context():
            wait_until(lambda w=worker: scheduler.run_due([job], w, 30).ran, 10, f"{worker} to run")
        row = job_row(app, "often")
        assert row.next_run_at == row.last_finished_at + timedelta(seconds=0.3)
        if finished:
            assert row.last_started_at >= finished[-1] + timedelta(seconds=0.3)
        finished.append(row.last_finished_at)


def test_two_worker_instances_share_the_core_job(app, db_url):
    first, second = Worker(app, worker_id="worker-a"), Worker(app, worker_id="worker-b")
    first.run(once=True)
    row = job_row(app, "inbound")
    assert row.last_started_at is not None and row.locked_by is None
    second.run(once=True)  # interval 0: due again at once, taken by the other worker
    again = job_row(app, "inbound")
    assert again.last_started_at > row.last_started_at and again.locked_by is None
    names = sorted(row["name"] for row in fetch(db_url, "SELECT name FROM scheduled_jobs"))
    jobs = ["documentation_monthly", "inbound", "roster_handover", "site_checks", "sla_sweep"]
    assert names == jobs, "one row per job, two workers"


def test_an_expired_lease_lets_another_worker_take_the_job(app):
    ran: list[str] = []
    job = Job(name="stuck", interval=60, run=lambda: ran.append("b"))
    with app.app_context():
        scheduler.ensure_rows([job])
        assert scheduler.try_claim(job, "a", 2)  # worker a dies while running it
        assert scheduler.run_due([job], "b", 30).ran == 0, "a's lease still holds"
        wait_until(lambda: scheduler.run_due([job], "b", 30).ran, 10, "a's lease to run out")
    assert ran == ["b"]
    row = job_row(app, "stuck")
    assert row.locked_by is None
    assert row.next_run_at == row.last_finished_at + timedelta(seconds=60)


def test_a_worker_that_outlived_its_lease_leaves_the_new_holder_alone(app):
    running, release = threading.Event(), threading.Event()

    def slow() -> None:
        running.set()
        release.wait(timeout=30)

    job = Job(name="slow", interval=60, run=slow)

    def slow_worker() -> int:
        with app.app_context():
            return scheduler.run_due([job], "a", 0.3).ran

    with app.app_context():
        scheduler.ensure_rows([job])
    with ThreadPoolExecutor(1) as pool:
        a = pool.submit(slow_worker)
        try:
            assert running.wait(timeout=30)
            with app.app_context():
                wait_until(lambda: scheduler.try_claim(job, "b", 30), 10, "a's lease to run out")
        finally:
            release.set()
        assert a.result(timeout=30) == 1
    row = job_row(app, "slow")
    assert row.locked_by == "b", "a's late finish must not unlock b's run"
    assert row.locked_until > utcnow()
    assert row.last_finished_at is None, "b's run is the one to record"


def test_a_failing_job_records_its_error_and_the_next_run_clears_it(app):
    outcomes = [RuntimeError("tracker down"), None]
    ran: list[str] = []

    def flaky() -> None:
        outcome = outcomes.pop(0)
        if outcome is not None:
            raise outcome

    jobs = [
        Job(name="flaky", interval=0, run=flaky),
        Job(name="after", interval=0, run=lambda: ran.append("after")),
    ]
    with app.app_context():
        scheduler.ensure_rows(jobs)
        assert scheduler.run_due(jobs, "a", 30).ran == 2, "the failure did not stop the round"
    assert ran == ["after"]
    row = job_row(app, "flaky")
    assert row.last_error == "RuntimeError: tracker down"
    assert row.locked_by is None
    assert row.next_run_at == row.last_finished_at
    with app.app_context():
        assert scheduler.run_due(jobs, "b", 30).ran == 2
    assert job_row(app, "flaky").last_error is None


def test_only_a_count_a_job_returns_counts_as_work(app):
    def failing() -> int:
        raise RuntimeError("boom")

    jobs = [
        Job(name="counted", interval=0, run=lambda: 3),
        Job(name="idle", interval=0, run=lambda: 0),
        Job(name="silent", interval=0, run=lambda: None),
        Job(name="failing", interval=0, run=failing),
    ]
    with app.app_context():
        scheduler.ensure_rows(jobs)
        assert scheduler.run_due(jobs, "a", 30) == scheduler.Round(ran=4, handled=3)
        assert scheduler.run_due(jobs[1:], "a", 30) == scheduler.Round(ran=3, handled=0)


def test_a_worker_run_once_stops_beside_an_always_due_job(app):
    ran: list[int] = []
    app.config["WORKER_IDLE_SECONDS"] = 0.01
    job = Job(name="always", interval=0, run=lambda: ran.append(1))
    get_pm(app).register(_AlwaysDue(job), name="always-due")
    try:
        done = threading.Event()
        worker = Worker(app)
        thread = threading.Thread(target=lambda: (worker.run(once=True), done.set()))
        thread.start()
        assert done.wait(timeout=30), "run(once=True) kept looping on a job that does no work"
    finally:
        worker.stop()
        thread.join(timeout=30)
        get_pm(app).unregister(name="always-due")
    assert ran == [1]


class _AlwaysDue:
    def __init__(self, job: Job) -> None:
        self.job = job

    @hookimpl
    def hub_register_jobs(self) -> list[Job]:
        return [self.job]


def test_a_failing_plugin_job_does_not_stop_the_worker(db_url, record_file, monkeypatch):
    monkeypatch.setenv("HUB_TEST_JOB_FAIL", "1")
    modules = ["tests.support.recorder", "tests.support.jobs_plugin"]
    app = create_app(base_config(db_url, PLUGIN_MODULES=modules))
    try:
        keys = make_calls(app, 2)
        Worker(app, worker_id="worker-a").run(once=True)
        row = job_row(app, "test-failing")
        assert row.last_error == "JobFailed: outside system unreachable"
        assert row.locked_by is None
        assert sorted(r["key"] for r in records(record_file)) == keys
        assert {r["state"] for r in outbox_rows(db_url)} == {"done"}
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def workers(db_url: str, record_file: Path, tmp_path: Path) -> Iterator[Workers]:
    procs = Workers(db_url, record_file, tmp_path)
    try:
        yield procs
    finally:
        procs.close()


@pytest.mark.slow
def test_two_worker_processes_never_run_a_job_at_once(app, db_url, tmp_path, workers):
    timeline = tmp_path / "jobs.jsonl"
    env = dict(
        HUB_PLUGIN_MODULES='["tests.support.recorder", "tests.support.jobs_plugin"]',
        HUB_TEST_JOBS_FILE=timeline,
        HUB_TEST_JOB_SECONDS=0.2,
        HUB_TEST_JOB_INTERVAL=0,
    )
    procs = [workers.start(**env) for _ in range(2)]

    def both_took_turns() -> bool:
        done = runs(timeline)
        return len(done) >= 12 and {r["pid"] for r in done} == {p.pid for p in procs}

    workers.wait_for(both_took_turns, 90, "both workers to run the job, 12 runs in all")
    for proc in procs:
        workers.terminate(proc)
    assert [proc.wait(timeout=30) for proc in procs] == [0, 0], workers.logs()

    done = sorted(runs(timeline), key=lambda r: r["start"])
    overlaps = [(a, b) for a, b in zip(done, done[1:], strict=False) if b["start"] < a["end"]]
    assert not overlaps, f"runs overlapped: {overlaps}"
    row = job_row(app, "test-timeline")
    assert row.locked_by is None and row.last_error is None


def test_each_job_run_has_its_own_request_id(app):
    seen: list[str | None] = []
    job = Job(name="ids", interval=0, run=lambda: seen.append(requestid.current()))
    with app.app_context():
        scheduler.ensure_rows([job])
        scheduler.run_due([job], "w1", lease_seconds=60)
        scheduler.run_due([job], "w1", lease_seconds=60)
    assert len(seen) == 2 and all(seen) and seen[0] != seen[1]
    assert requestid.current() is None
