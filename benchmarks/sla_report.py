"""The ``report`` sub-command of benchmarks/sla.py: one client's monthly SLA report with
1,000,000 calls in the database (SQLite), target under 1 s.

    .venv/bin/python benchmarks/sla.py report [--calls N] [--clients N] [--rounds N]
                                              [--client KEY] [--period 2026-11] [--rebuild]

The database is built once and kept under the system's temporary folder (its name holds
the sizes and the generator's version; ``--rebuild`` makes it anew); each run first
migrates it to the current schema, so a new migration is applied to the million rows as
it would be in production. The data, spread evenly by id over 2025 and 2026:

- ``--clients`` clients (100) with one contract each (Europe/Amsterdam, 100 h card);
- ``--calls`` calls (1,000,000) round-robin over the clients (10,000 each, about 420 a
  month), priorities and categories from a multiplicative hash of the id;
- a response and a resolution clock per call, each elapsed 0–1.5 × its target (about
  two thirds met, the rest breached with a cause); the newest 0.3 % still running;
  a collegial clock on every 20th call; a 5–94 minute time entry on every other call.

All rows are written by ``INSERT … SELECT`` over a recursive counting CTE, in the
SQLite format SQLAlchemy reads (``YYYY-MM-DD HH:MM:SS.ffffff`` UTC).

Then, in one app context as a web request would have, it times
:func:`hub.sla.reports.client_report` plus its JSON form (what the API answers) for the
chosen client and month: once cold (fresh connection), then ``--rounds`` times, and
prints the median against the 1 s target; a quarter and the CSV are shown beside it.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

#: Bump when the generated data changes, so that a cached database is not reused.
VERSION = 1
TARGET_S = 1.0
START = "2025-01-01 00:00:00"
SPAN_S = 2 * 365 * 86400
TARGETS = {"P1": (30, 240), "P2": (120, 960), "P3": (480, 2400), "P4": (960, 4800)}


def _hash(salt: int, n: str = "n") -> str:
    """SQL for a pseudo-random whole number 0..1000002 from the call id in column ``n``."""
    return f"(({n} * 2654435761 + {salt}) % 1000003)"


def _target(kind: int) -> str:
    whens = " ".join(f"WHEN '{p}' THEN {t[kind]}" for p, t in TARGETS.items())
    return f"CASE priority {whens} END"


def build(path: Path, calls: int, clients: int) -> float:
    """Make the database at ``path`` (migrated, then bulk-filled); returns the seconds."""
    from flask_migrate import upgrade

    from hub import create_app
    from hub.db import db

    began = time.perf_counter()
    part = path.with_suffix(".part")
    part.unlink(missing_ok=True)
    app = create_app(_config(part))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    con = sqlite3.connect(part, isolation_level=None)
    con.executescript("PRAGMA synchronous=OFF; PRAGMA cache_size=-400000;")
    con.execute("BEGIN")
    now = "2025-01-01 00:00:00.000000"
    con.execute(
        "INSERT INTO people (key, name, kind, lines, roles, active) "
        "VALUES ('bench', 'Bench', 'staff', '[]', '[]', 1)"
    )
    for i in range(1, clients + 1):
        key = f"client-{i:03d}"
        con.execute("INSERT INTO clients (id, key, name, created_at) VALUES (?, ?, ?, ?)",
                    (i, key, f"Client {i}", now))  # fmt: skip
        con.execute(
            "INSERT INTO contracts (id, client_id, reference, name, timezone, calendar, "
            "services, warning_percent, fixed_fee, hours_card, valid_from, created_at) "
            "VALUES (?, ?, ?, ?, 'Europe/Amsterdam', '{}', '[]', 75, 0, 100, '2025-01-01', ?)",
            (i, i, f"{key}-sla", f"SLA {i}", now),
        )
    seq = f"WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {calls})"
    at = f"strftime('%Y-%m-%d %H:%M:%S', '{START}', '+' || (n * {SPAN_S} / {calls}) || ' seconds') || '.000000'"  # noqa: E501
    con.execute(
        f"{seq} INSERT INTO calls (id, source, client_id, contract_id, title, description, "
        "priority, category, line, status, created_at, updated_at) "
        f"SELECT n, 'bench', n % {clients} + 1, n % {clients} + 1, 'Bench call ' || n, '', "
        f"'P' || ({_hash(1)} % 4 + 1), "
        f"CASE {_hash(2)} % 4 WHEN 0 THEN 'question' WHEN 1 THEN 'incident' "
        "WHEN 2 THEN 'problem' ELSE 'change' END, '1-general', 'closed', t, t "
        f"FROM (SELECT n, {at} AS t FROM seq)"
    )
    running = calls - calls * 3 // 1000  # the newest calls' clocks still run
    for kind, index, salt in (("response", 0, 3), ("resolution", 1, 4)):
        elapsed = f"({_target(index)}) * ({_hash(salt, 'id')} % 151) / 100.0"
        _clocks(con, kind, _target(index), elapsed, running)
    elapsed = f"({_hash(5, 'id')} % 91) * 1.0"
    _clocks(con, "collegial", "60", elapsed, running, pick="id % 20 = 0", line="'2-application'")
    con.execute(
        "INSERT INTO time_entries (call_id, person_id, minutes, created_at, created_by) "
        f"SELECT id, 1, 5 + {_hash(6, 'id')} % 90, created_at, 'bench' FROM calls WHERE id % 2 = 0"
    )
    con.execute("COMMIT")
    con.execute("ANALYZE")
    con.close()
    part.rename(path)
    return time.perf_counter() - began


def _clocks(
    con: sqlite3.Connection,
    kind: str,
    target: str,
    elapsed: str,
    running: int,
    *,
    pick: str = "1",
    line: str = "NULL",
) -> None:
    """A ``kind`` clock for each call that ``pick`` holds for: those with an id above
    ``running`` still run, the others stopped after ``elapsed`` minutes, met or breached."""
    con.execute(
        "INSERT INTO clocks (call_id, kind, line, priority, target_minutes, started_at, "
        "fired, stopped_at, elapsed_minutes, outcome, breached_at, cause) "
        f"SELECT id, '{kind}', {line}, priority, target, t, '[]', "
        "CASE WHEN run THEN NULL ELSE t END, CASE WHEN run THEN NULL ELSE e END, "
        "CASE WHEN run THEN NULL WHEN e <= target THEN 'met' ELSE 'breached' END, "
        "CASE WHEN NOT run AND e > target THEN t END, "
        "CASE WHEN NOT run AND e > target THEN 'on 1-general: nobody picked it up' END "
        f"FROM (SELECT id, priority, created_at AS t, {target} AS target, {elapsed} AS e, "
        f"id > {running} AS run FROM calls WHERE {pick})"
    )


def _config(path: Path) -> dict:
    return {"DATABASE_URL": f"sqlite:///{path}", "ENABLED_PLUGINS": [], "TESTING": False}


def run(args: argparse.Namespace) -> int:
    """The ``report`` sub-command: see the module docstring."""
    for name in [n for n in os.environ if n.startswith("HUB_")]:
        del os.environ[name]  # the shell's settings must not change the run
    path = Path(tempfile.gettempdir()) / (
        f"slahub-report-bench-v{VERSION}-{args.calls}-{args.clients}.sqlite3"
    )
    if args.rebuild:
        path.unlink(missing_ok=True)
    if path.exists():
        print(f"database: {path} (cached; --rebuild to make it anew)")
    else:
        print(f"building {path}: {args.calls:,} calls over {args.clients} clients …", flush=True)
        seconds = build(path, args.calls, args.clients)
        print(f"built in {seconds:.1f} s ({path.stat().st_size / 1e6:,.0f} MB)")

    from flask_migrate import upgrade

    from hub import create_app
    from hub.db import db
    from hub.sla.reports import client_report
    from hub.sla.reports_export import to_csv, to_json

    app = create_app(_config(path))
    with app.app_context():
        began = time.perf_counter()
        upgrade()
        print(f"migrated to the current schema in {time.perf_counter() - began:.1f} s")
        counts = {t: db.session.execute(db.text(f"SELECT count(*) FROM {t}")).scalar()
                  for t in ("calls", "clocks", "time_entries")}  # fmt: skip
        print("rows: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()))
        db.session.remove()
        db.engine.dispose()

        def timed(period: str, render=to_json) -> tuple[float, object]:  # noqa: ANN001
            began = time.perf_counter()
            report = client_report(args.client, period)
            render(report)
            db.session.rollback()
            return time.perf_counter() - began, report

        cold, report = timed(args.period)
        month = [timed(args.period)[0] for _ in range(args.rounds)]
        quarter = [timed(_quarter(args.period))[0] for _ in range(args.rounds)]
        as_csv = [timed(args.period, to_csv)[0] for _ in range(args.rounds)]
    median = statistics.median(month)
    print(
        f"\nreport of {args.client} for {args.period}: {report.calls_total} calls, "
        f"{report.breaches_total} breaches, response within target "
        f"{report.clocks['response'].outcomes.share:.1%}, median response "
        f"{report.clocks['response'].median:.0f} min"
    )
    print(f"  cold (first query on a new connection): {cold * 1000:.0f} ms")
    print(f"  month, JSON: median {median * 1000:.0f} ms over {args.rounds} runs "
          f"(min {min(month) * 1000:.0f}, max {max(month) * 1000:.0f})")  # fmt: skip
    print(f"  quarter {_quarter(args.period)}, JSON: median "
          f"{statistics.median(quarter) * 1000:.0f} ms")  # fmt: skip
    print(f"  month, CSV: median {statistics.median(as_csv) * 1000:.0f} ms")
    verdict = "under" if median < TARGET_S else "NOT under"
    print(f"target: a monthly report under {TARGET_S:.0f} s — {verdict} ({median:.3f} s)")
    return 0


def _quarter(period: str) -> str:
    year, month = period.split("-")
    return f"{year}-Q{(int(month) - 1) // 3 + 1}"


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``report`` on benchmarks/sla.py's sub-commands."""
    p = sub.add_parser("report", help="a client's monthly report over 1,000,000 calls")
    p.add_argument("--calls", type=int, default=1_000_000, help="calls in the database")
    p.add_argument("--clients", type=int, default=100, help="clients they are spread over")
    p.add_argument("--rounds", type=int, default=7, help="timed runs (the median is shown)")
    p.add_argument("--client", default="client-042", help="whose report")
    p.add_argument("--period", default="2026-11", help="which month (YYYY-MM)")
    p.add_argument("--rebuild", action="store_true", help="build the database anew")
    p.set_defaults(run=run)
