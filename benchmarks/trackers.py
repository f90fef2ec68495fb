"""Tracker bridge benchmarks (issue 5): the Mantis poll and a burst of Jira webhooks.

Run from the repository root, with the test extra installed (the fake MantisBT lives in
the tests)::

    .venv/bin/python benchmarks/trackers.py mantis [--issues N] [--changed N] [--rounds N]
    .venv/bin/python benchmarks/trackers.py jira [--burst N] [--rounds N]

``mantis``: a fake MantisBT (tests/support/fake_mantis.py, on loopback, speaking the real
REST API: newest-updated first, 1-based pages of 50) holds one project with ``--issues``
closed issues; the hub's real ``mantis_poll`` job runs once to take its cursor (a full
scan: every page), then each round a user changes ``--changed`` issues and the job runs
again. Printed per round: the requests the poll made, its time, the events it stored;
then the medians, and the requests of the full scan beside them. The poll should fetch
only the pages that hold changes (plus the cursor's overlap), not the project.

``jira``: the hub served by gunicorn (2 sync workers, SQLite, the worker beside, as in
``benchmarks/ingest.py``, whose load generator it uses) takes bursts of ``--burst``
signed ``jira:issue_created`` deliveries (X-Hub-Signature, X-Atlassian-Webhook-
Identifier) at /webhooks/jira, and as many no-op requests (``GET /healthz``); each round's
ratio is Jira deliveries/s over no-op requests/s; the figure is the median (target at
least 0.40). At the end every accepted delivery must have become a call.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from anywhere: the hub and the tests' fake servers
sys.path.insert(0, str(Path(__file__).resolve().parent))

RATIO_TARGET = 0.40
CONTRACT = "amarant-sla-2026"  # the demo's contract (hub/demo.py)


# -- mantis ----------------------------------------------------------------------------


def mantis(args: argparse.Namespace) -> int:
    """The ``mantis`` sub-command: see the module docstring."""
    for name in [n for n in os.environ if n.startswith("HUB_")]:
        del os.environ[name]  # the shell's settings must not change the run
    from flask_migrate import upgrade

    from hub import create_app, demo, inbound, scheduler
    from hub.db import db
    from tests.support.fake_mantis import FakeMantis, serve

    fake = FakeMantis()
    server = serve(fake)
    next(server)
    for n in range(args.issues):
        fake.add_issue(1, summary=f"Issue {n}", description="…", status="closed")
    folder = Path(tempfile.mkdtemp(prefix="slahub-trackers-"))
    settings = {
        "url": fake.url,
        "token": "hub-token",
        "timeout": 10,
        "contracts": json.dumps({CONTRACT: {"client": "amarant", "project": "Amarant intranet"}}),
    }
    app = create_app({
        "DATABASE_URL": f"sqlite:///{folder / 'hub.sqlite3'}", "TESTING": False,
        "ENABLED_PLUGINS": ["mantis"], "PLUGINS": {"mantis": settings},
    })  # fmt: skip
    rng = random.Random(args.seed)
    print(
        f"Mantis poll benchmark: one project of {args.issues:,} issues on a fake MantisBT "
        f"({fake.url}), {args.changed} changed per round, {args.rounds} rounds"
    )
    with app.app_context():
        upgrade()
        demo.load_if_empty()
        job = next(j for j in scheduler.collect() if j.name == "mantis_poll")
        full, _, _ = _poll(fake, job)
        print(f"first poll (takes the cursor, a full scan): {full} requests")
        counts, times, stored_all = [], [], 0
        for r in range(1, args.rounds + 1):
            for issue_id in rng.sample(sorted(fake.issues), args.changed):
                fake.user_change(issue_id, status="assigned" if r % 2 else "feedback")
            requests, seconds, stored = _poll(fake, job)
            inbound.drain(limit=10 * args.changed)
            db.session.commit()
            counts.append(requests)
            times.append(seconds)
            stored_all += stored
            print(
                f"round {r}: {requests} requests, {seconds * 1e3:7.1f} ms, {stored} events stored"
            )
            if stored != args.changed:
                print(f"  PROBLEM: {args.changed} issues changed, {stored} stored")
                return 1
    server.close()
    med = statistics.median
    print(
        f"\nSummary: a poll after {args.changed} of {args.issues:,} issues changed made "
        f"{med(counts):g} requests (median; the full scan: {full}) in {med(times) * 1e3:.1f} ms "
        f"(median, rounds {min(times) * 1e3:.1f}–{max(times) * 1e3:.1f} ms); "
        f"{stored_all} events stored in all, each changed issue once"
    )
    return 0


def _poll(fake, job) -> tuple[int, float, int]:  # noqa: ANN001
    """Run the poll job once: (requests made, seconds, issues stored)."""
    before = len(fake.requests)
    began = time.perf_counter()
    stored = job.run()
    return len(fake.requests) - before, time.perf_counter() - began, stored


# -- jira ------------------------------------------------------------------------------


def jira(args: argparse.Namespace) -> int:
    """The ``jira`` sub-command: see the module docstring."""
    import contextlib
    import sqlite3

    import ingest

    args.concurrency, args.rate, args.plugins = args.concurrency, 0, '["jira"]'
    secret = "jira-" + secrets.token_hex(16)
    bench = ingest.Bench(
        args,
        env={
            "HUB_JIRA_WEBHOOK_SECRET": secret,
            "HUB_JIRA_CLIENTS": json.dumps({"SD": "amarant"}),
        },
    )
    bench.secret = secret  # the load process signs with the Jira secret
    loader = None
    try:
        loader = ingest.LoadProcess()
        bench.prepare()
        bench.start_server()
        bench.start_worker()
        print(
            f"Jira webhook burst benchmark: gunicorn 2 sync workers on 127.0.0.1:{bench.port}, "
            f"SQLite, the worker beside; bursts of {args.burst} deliveries and of "
            f"{args.burst} no-op requests, {args.concurrency} connections, {args.rounds} rounds"
        )
        burst = {"count": args.burst, "flavour": "jira"}
        for kind in ("noop", "ingest"):  # warm-up, not counted
            bench.run(loader, kind, "closed", 600, **burst)
        ratios, noop_rates, jira_rates = [], [], []
        for r in range(1, args.rounds + 1):
            bench.settle()
            noop = bench.run(loader, "noop", "closed", 600, **burst)
            burst_run = bench.run(loader, "ingest", "closed", 600, **burst)
            noop_rates.append(noop.ok / noop.wall)
            jira_rates.append(burst_run.ok / burst_run.wall)
            ratios.append(jira_rates[-1] / noop_rates[-1])
            print(
                f"round {r}: no-op {noop_rates[-1]:7.1f} req/s, Jira {jira_rates[-1]:7.1f} "
                f"deliveries/s ({burst_run.ok} accepted, errors {dict(burst_run.errors) or 0}), "
                f"ratio {ratios[-1]:.3f}"
            )
        bench.stop_server()
        left, waited = bench.wait_applied()
        bench._stop(bench.worker)
        with contextlib.closing(sqlite3.connect(bench.db_path)) as db:
            calls = db.execute("SELECT count(*) FROM calls WHERE source = 'jira'").fetchone()[0]
        med = statistics.median
        ratio = med(ratios)
        met = "met" if ratio >= RATIO_TARGET else "MISSED"
        print(
            f"\nSummary (median of {args.rounds} rounds): no-op {med(noop_rates):.1f} req/s, "
            f"Jira {med(jira_rates):.1f} deliveries/s, ratio {ratio:.3f} (rounds "
            f"{min(ratios):.3f}–{max(ratios):.3f}); target >= {RATIO_TARGET:.2f}: {met}"
        )
        ok = calls == bench.accepted and left == 0
        print(
            f"Database check: {bench.accepted} deliveries accepted, {calls} calls from Jira, "
            f"{left} events left unapplied after {waited:.1f} s: {'OK' if ok else 'MISMATCH'}"
        )
        return 0 if ok else 1
    except ingest.RunBroken as exc:
        print(f"benchmark broken: {exc}", file=sys.stderr)
        return 2
    finally:
        try:
            if loader is not None:
                loader.close()
        finally:
            bench.cleanup()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = sub.add_parser("mantis", help="a poll of 10,000 issues of which 100 changed")
    p.add_argument("--issues", type=int, default=10_000, help="issues in the project")
    p.add_argument("--changed", type=int, default=100, help="issues changed before each poll")
    p.add_argument("--rounds", type=int, default=5, help="timed rounds (medians are shown)")
    p.add_argument("--seed", type=int, default=5, help="random seed of the changes")
    p.set_defaults(run=mantis)
    p = sub.add_parser("jira", help="bursts of Jira webhooks against no-op requests")
    p.add_argument("--burst", type=int, default=1000, help="deliveries (and no-ops) per burst")
    p.add_argument("--rounds", type=int, default=3, help="rounds (the median is shown)")
    p.add_argument("--concurrency", type=int, default=4, help="connections in flight")
    p.set_defaults(run=jira)
    args = ap.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
