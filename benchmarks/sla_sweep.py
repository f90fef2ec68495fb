"""The ``sweep`` sub-command of benchmarks/sla.py: the SLA sweep's cost follows what is
due, not the size of the table. Target: 1,000,000 calls with 1,000 due against 10,000
calls with 1,000 due, time ratio at most 2.

    .venv/bin/python benchmarks/sla.py sweep [--small N] [--large N] [--due N] [--rounds N]
                                             [--rebuild]

Both databases (SQLite) are made by the report benchmark's generator
(:func:`sla_report.build`: calls spread over two years, a response and a resolution clock
each, the newest few still running) and kept under the system's temporary folder.
Before each round the same ``--due`` response clocks (the newest) are set running,
started a month before, with their next alert in the past and nothing fired; the rest
have no alert due. A round is the sweep run until nothing is left, as the worker's job
runs it: each due clock fires its warning, its breach and its escalation levels (to the
next line, then to the SLA manager), with their history events and outbox deliveries.
What a round wrote is removed before the next. The figure is the median round time per
size, and their ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

TARGET_RATIO = 2.0
NOW = "2027-01-04 09:00:00.000000"  # a Monday morning: business hours, no quiet hours
#: Every armed clock started here, so each fires all its levels: the same work per clock
#: in both databases.
START = "2026-11-02 09:00:00.000000"


def _database(calls: int, rebuild: bool) -> Path:
    from sla_report import VERSION, build

    path = Path(tempfile.gettempdir()) / f"slahub-sweep-bench-v{VERSION}-{calls}.sqlite3"
    if rebuild:
        path.unlink(missing_ok=True)
    if path.exists():
        print(f"database: {path} (cached; --rebuild to make it anew)")
    else:
        print(f"building {path}: {calls:,} calls …", flush=True)
        seconds = build(path, calls, clients=max(1, min(100, calls // 100)))
        print(f"built in {seconds:.1f} s ({path.stat().st_size / 1e6:,.0f} MB)")
    return path


def _arm(db, due: int) -> tuple[int, int, int]:  # noqa: ANN001
    """Make the newest ``due`` response clocks due now; returns the high-water marks of the
    tables a round writes to, so that the round's rows can be removed afterwards."""
    text = db.text
    db.session.execute(text(
        "UPDATE clocks SET stopped_at = NULL, elapsed_minutes = NULL, outcome = NULL, "
        "breached_at = NULL, cause = NULL, fired = '[]', paused_since = NULL, "
        "due_at = NULL, next_alert_at = :now, started_at = :start "
        "WHERE id IN (SELECT id FROM clocks WHERE kind = 'response' ORDER BY id DESC LIMIT :n)"
    ), {"now": "2027-01-04 08:59:00.000000", "start": START, "n": due})  # fmt: skip
    db.session.execute(text("UPDATE calls SET line = '1-general', assignee_id = NULL"
                            " WHERE line != '1-general'"))  # fmt: skip
    marks = tuple(
        db.session.execute(text(f"SELECT coalesce(max(id), 0) FROM {table}")).scalar()
        for table in ("call_events", "outbox", "clocks")
    )
    db.session.execute(text("UPDATE clocks SET next_alert_at = NULL WHERE next_alert_at > :now"),
                       {"now": NOW})  # fmt: skip
    db.session.commit()
    return marks


def _clean(db, marks: tuple[int, int, int]) -> None:  # noqa: ANN001
    for table, mark in zip(("call_events", "outbox", "clocks"), marks, strict=True):
        db.session.execute(db.text(f"DELETE FROM {table} WHERE id > :m"), {"m": mark})
    db.session.commit()


def _time_rounds(path: Path, due: int, rounds: int) -> tuple[list[float], int, int]:
    """Median-ready round times, and the SLA events and clocks one round handled (more
    clocks than were armed when an escalation makes a call's other running clocks due)."""
    from datetime import UTC, datetime

    import time_machine
    from flask_migrate import upgrade

    from hub import create_app
    from hub.db import db
    from hub.sla import sweep

    now = datetime.fromisoformat(NOW).replace(tzinfo=UTC)
    app = create_app({"DATABASE_URL": f"sqlite:///{path}", "ENABLED_PLUGINS": [],
                      "TESTING": False})  # fmt: skip
    times, fired = [], 0
    with app.app_context():
        upgrade()
        for _ in range(rounds + 1):  # the first round warms the caches and is not counted
            marks = _arm(db, due)
            handled = 0
            with time_machine.travel(now, tick=False):
                began = time.perf_counter()
                while n := sweep.run(now):
                    handled += n
                times.append(time.perf_counter() - began)
            fired = db.session.execute(
                db.text("SELECT count(*) FROM call_events WHERE id > :m AND actor = 'sla'"),
                {"m": marks[0]},
            ).scalar()
            _clean(db, marks)
            if handled < due:
                raise SystemExit(f"the sweep handled {handled} clocks, {due} were due")
    return times[1:], fired, handled


def run(args: argparse.Namespace) -> int:
    """The ``sweep`` sub-command: see the module docstring."""
    for name in [n for n in os.environ if n.startswith("HUB_")]:
        del os.environ[name]  # the shell's settings must not change the run
    results = {}
    for calls in (args.small, args.large):
        path = _database(calls, args.rebuild)
        times, fired, handled = _time_rounds(path, args.due, args.rounds)
        results[calls] = statistics.median(times)
        print(
            f"{calls:>9,} calls, {args.due} due: median {results[calls]:.3f} s over "
            f"{args.rounds} rounds (rounds {min(times):.3f}–{max(times):.3f} s; "
            f"{handled} clocks and {fired} SLA events a round)",
            flush=True,
        )
    ratio = results[args.large] / results[args.small]
    verdict = "met" if ratio <= TARGET_RATIO else "MISSED"
    print(f"ratio {args.large:,} / {args.small:,} calls: {ratio:.2f} (target <= "
          f"{TARGET_RATIO:g}: {verdict})")  # fmt: skip
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sweep", help="sweep cost with many calls against few, as many due")
    p.add_argument("--small", type=int, default=10_000, help="calls in the small database")
    p.add_argument("--large", type=int, default=1_000_000, help="calls in the large database")
    p.add_argument("--due", type=int, default=1_000, help="clocks due in each")
    p.add_argument("--rounds", type=int, default=5, help="timed rounds (the median is shown)")
    p.add_argument("--rebuild", action="store_true", help="make the databases anew")
    p.set_defaults(run=run)
