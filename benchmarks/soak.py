"""Soak and fault test: the hub on PostgreSQL under steady mixed traffic while workers are
killed and the trackers and the wiki go away for a while.

Run from the repository root (PostgreSQL at 127.0.0.1:5432, user postgres, trust
authentication; Debian's MediaWiki and PHP, as the wiki tests need)::

    .venv/bin/python benchmarks/soak.py [--minutes 30] [--kill-every 5] [--outage-every 4]

It makes a database ``slahub_soak_<random>`` (or uses ``--database-url``), migrates it,
loads the demo and two more clients whose applications point at local fake Drupal sites,
and starts: the hub's server with 2 processes (``slahub serve --workers 2`` when that
command exists, else ``gunicorn -w 2 wsgi:app``), 2 ``slahub worker``, a fake MantisBT
and Jira (the tests' fakes), a real MediaWiki (the tests' one, PHP's built-in server),
fake Drupal sites and a local drupal.org feed server. For ``--minutes`` a few threads
send a steady mix (``--rate`` a second in all): signed webhooks from the generic
``monitor`` source, Jira and Mantis (new calls and notes, and re-sent duplicates), API
calls (a call's life: create, notes, status changes, escalation to the 3rd line, marked
for a knowledge article; lists) and admin page loads; the worker's site-check job checks
the fake sites every 5 minutes (the rules' least). Faults: every ``--kill-every``
minutes the oldest worker is SIGKILLed and a new one started; every ``--outage-every``
minutes Mantis, Jira and the wiki in turn stop listening for ``--outage-seconds``.

Then the traffic stops, the workers drain (``--drain-timeout``), and the checks print
their tables: every accepted webhook became exactly one call or note; every outbox
delivery is done or dead with a reason, and the fakes got nothing twice; no 5xx; RSS of
each hub process grew at most 10% after its first sixth of the run (5 minutes at most);
traffic totals and latencies. Exit status 0 when every check passed, 1 when one failed,
2 when the run itself broke.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the hub and the tests' fakes
sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg  # noqa: E402
import soak_checks  # noqa: E402
import soak_env  # noqa: E402
from soak_fakes import Fakes  # noqa: E402
from soak_traffic import Record, Sender  # noqa: E402


def log(start: float, text: str) -> None:
    print(f"[{(time.monotonic() - start) / 60:5.1f} min] {text}", flush=True)


def faults(args: argparse.Namespace, hub: soak_env.Hub, fakes: Fakes, start: float) -> None:
    """Run the traffic's time, killing workers and taking the fakes down on schedule."""
    end = start + args.minutes * 60
    next_kill = start + args.kill_every * 60
    next_outage = start + args.outage_every * 60
    down: tuple[object, float] | None = None
    turn = 0
    while (now := time.monotonic()) < end:
        if down is not None and now >= down[1]:
            down[0].up()
            log(start, f"{down[0].name} is back")
            down = None
        if now >= next_kill:
            pid = hub.kill_worker()
            log(start, f"SIGKILLed worker {pid}; started {hub.workers[-1].pid}")
            next_kill += args.kill_every * 60
        if now >= next_outage and down is None:
            part = fakes.outages[turn % len(fakes.outages)]
            turn += 1
            part.down()
            log(start, f"{part.name} stopped listening for {args.outage_seconds:g} s")
            down = (part, now + args.outage_seconds)
            next_outage += args.outage_every * 60
        time.sleep(0.5)
    if down is not None:
        down[0].up()
        log(start, f"{down[0].name} is back (the traffic's time is over)")


def drain(url: str, timeout: float, start: float) -> float:
    """Wait until no event is unapplied and no delivery pending; seconds waited."""
    began = time.monotonic()
    with psycopg.connect(url, autocommit=True) as conn:
        while True:
            left = conn.execute("SELECT count(*) FROM inbound_events WHERE status = 'received'")
            pending = conn.execute(soak_checks.PENDING)
            left, pending = left.fetchone()[0], pending.fetchone()[0]
            waited = time.monotonic() - began
            if (left == 0 and pending == 0) or waited > timeout:
                log(
                    start,
                    f"drain: {left} events unapplied, {pending} deliveries pending "
                    f"after {waited:.0f} s",
                )
                return waited
            time.sleep(2)


def run(args: argparse.Namespace, fakes: Fakes, folder: Path, db_url: str) -> int:
    port = soak_env.free_port()
    hub_url = f"http://127.0.0.1:{port}"
    fakes.start([soak_env.DEMO_APP, *(app for _, _, app in soak_env.CLIENTS)])
    base = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env = {**base, **soak_env.settings(db_url, folder, fakes, hub_url)}
    password = soak_env.load_data(env, fakes)["admin"]
    token = soak_env.create_token(env)
    hub = soak_env.Hub(env, folder, port=port)
    try:
        return _soak(args, fakes, hub, db_url, password, token)
    finally:
        hub.stop()


def _soak(
    args: argparse.Namespace,
    fakes: Fakes,
    hub: soak_env.Hub,
    db_url: str,
    password: str,
    token: str,
) -> int:
    """Start the hub, send the traffic with its faults, drain, check."""
    hub.start()
    env, hub_url = hub.env, hub.url
    start = time.monotonic()
    log(
        start,
        f"hub at {hub_url}: {' '.join(hub.server_command[:2])}… with 2 processes, "
        f"2 workers; database {db_url.rsplit('/', 1)[1]}; logs in {hub.folder}",
    )
    sampler = soak_env.RssSampler(hub)
    sampler.start()
    record, stop = Record(), threading.Event()
    keys = {
        "monitor": json.loads(env["HUB_WEBHOOK_SECRETS"])["monitor"],
        "mantis": env["HUB_MANTIS_WEBHOOK_SECRET"],
        "jira": env["HUB_JIRA_WEBHOOK_SECRET"],
    }
    senders = [
        Sender(n, hub_url, token, password, keys, fakes, record, args.rate / args.threads, stop)
        for n in range(args.threads)
    ]
    for sender in senders:
        sender.start()
    try:
        faults(args, hub, fakes, start)
    finally:
        stop.set()
        for sender in senders:
            sender.join(60)
    seconds = time.monotonic() - start
    log(start, f"traffic stopped: {sum(len(v) for v in record.latencies.values()):,} answers")
    drain(db_url, args.drain_timeout, start)
    sampler.halt.set()
    sampler.join(15)
    hub.stop()
    problems = soak_checks.check_events(db_url, record)
    problems += soak_checks.check_outbox(db_url, fakes, record)
    problems += soak_checks.check_errors(record)
    warmup = min(300.0, args.minutes * 60 / 6)
    problems += soak_checks.check_rss(sampler.series, warmup)
    soak_checks.totals(record, seconds)
    print(
        f"\n{args.minutes:g} min, {hub.kills} workers killed, outages every "
        f"{args.outage_every:g} min for {args.outage_seconds:g} s (Mantis, Jira, wiki)"
    )
    if problems:
        print("\nFAILED:")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    print("\nAll checks passed.")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=30.0, help="traffic time")
    ap.add_argument("--kill-every", type=float, default=5.0, help="minutes between worker kills")
    ap.add_argument(
        "--outage-every",
        type=float,
        default=4.0,
        help="minutes between outages of Mantis, Jira, the wiki (in turn)",
    )
    ap.add_argument("--outage-seconds", type=float, default=60.0, help="length of an outage")
    ap.add_argument("--rate", type=float, default=12.0, help="requests a second, all threads")
    ap.add_argument("--threads", type=int, default=4, help="traffic threads")
    ap.add_argument(
        "--drain-timeout",
        type=float,
        default=300.0,
        help="seconds to wait for the workers to catch up at the end",
    )
    ap.add_argument(
        "--server",
        default="postgresql://postgres@127.0.0.1:5432",
        help="PostgreSQL server for the new database",
    )
    ap.add_argument("--database-url", help="use this (empty) database instead of a new one")
    ap.add_argument("--keep", action="store_true", help="keep the database and the logs")
    args = ap.parse_args(argv)
    if args.outage_seconds >= args.outage_every * 60:
        ap.error("--outage-seconds must be shorter than --outage-every")
    for name in [n for n in os.environ if n.startswith("HUB_")]:
        del os.environ[name]  # the shell's settings must not change the run
    folder = Path(tempfile.mkdtemp(prefix="slahub-soak-"))
    fakes = Fakes()
    db_url = args.database_url
    try:
        db_url = db_url or soak_env.create_database(args.server)
        return run(args, fakes, folder, db_url)
    except Exception:  # noqa: BLE001 - the run broke: say where, exit 2
        traceback.print_exc()
        return 2
    finally:
        fakes.stop()
        if not args.keep:
            if db_url and not args.database_url:
                soak_env.drop_database(db_url)
            shutil.rmtree(folder, ignore_errors=True)
            shutil.rmtree(fakes.folder, ignore_errors=True)
        else:
            print(f"kept: database {db_url}, logs {folder}")


if __name__ == "__main__":
    sys.exit(main())
