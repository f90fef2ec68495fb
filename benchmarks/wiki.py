"""Service wiki benchmark (issue 6), against a real local MediaWiki.

Run from the repository root (needs Debian's mediawiki and php, as the tests do)::

    .venv/bin/python benchmarks/wiki.py [--clients N] [--changed N] [--rounds N]

A wiki is installed and served as in the tests (tests/support/mediawiki.py: MediaWiki
1.39, PHP's built-in server, SQLite); the hub (SQLite, the wiki plugin enabled) holds
``--clients`` clients with a contract each, and their service pages are written once.
Then each round times:

- reading the pages: one read of each page through the plugin's own client (the
  baseline: the 200 pages read one by one);
- a sync with nothing changed, as ``slahub wiki sync`` runs it: every client page
  rendered from the hub's data and compared with the wiki's text, nothing saved (target:
  0 edits, at most 1.5x the reading time; the ratio is taken per round, the median
  shown). The sync reads the wiki ahead, 50 pages a request; the time of that bulk read
  alone is printed beside, so the sync's own work is visible too.

Last, ``--changed`` contracts change and a sync runs: exactly that many pages must be
edited (checked in the wiki's own page histories too).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the hub and the tests' wiki support

RATIO_TARGET = 1.5


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=200, help="client service pages")
    ap.add_argument("--changed", type=int, default=20, help="contracts changed at the end")
    ap.add_argument("--rounds", type=int, default=5, help="timed rounds (medians are shown)")
    args = ap.parse_args(argv)
    for name in [n for n in os.environ if n.startswith("HUB_")]:
        del os.environ[name]  # the shell's settings must not change the run

    from tests.support.mediawiki import copy_wiki, install_template, missing_parts

    if missing := missing_parts():
        print(f"{missing}: apt-get install mediawiki php-cli php-sqlite3 …", file=sys.stderr)
        return 2
    folder = Path(tempfile.mkdtemp(prefix="slahub-wiki-bench-"))
    print("installing a MediaWiki …", flush=True)
    wiki = copy_wiki(install_template(folder / "template"), folder / "wiki")
    wiki.start()
    try:
        return _run(args, wiki, folder)
    finally:
        wiki.stop()


def _run(args: argparse.Namespace, wiki, folder: Path) -> int:  # noqa: ANN001
    from flask_migrate import upgrade
    from sqlalchemy import delete, select

    from hub import create_app, directory, docdata
    from hub.db import db
    from hub.models import Contract, OutboxDelivery
    from plugins.mediawiki import render, settings

    app = create_app({
        "DATABASE_URL": f"sqlite:///{folder / 'hub.sqlite3'}", "TESTING": False,
        "ENABLED_PLUGINS": ["mediawiki"],
        "PLUGINS": {"mediawiki": {"url": f"{wiki.url}/", "user": wiki.bot_user,
                                  "bot_password": wiki.bot_password, "timeout": 30}},
    })  # fmt: skip
    with app.app_context():
        upgrade()
        keys = [f"client-{n:03d}" for n in range(args.clients)]
        for key in keys:
            directory.create_client(key=key, name=f"Client {key[-3:]}")
            directory.create_contract(
                client=key, reference=f"{key}-sla", name="Service level agreement",
                services=["helpdesk", "incident_management"], fixed_fee=Decimal("1200.00"),
                hours_card=Decimal("20.00"), valid_from=date(2026, 1, 1),
                targets={"P1": {"response_minutes": 30, "resolution_minutes": 240},
                         "P3": {"response_minutes": 480, "resolution_minutes": 2400}},
            )  # fmt: skip
        db.session.execute(delete(OutboxDelivery))  # the benchmark syncs by itself
        db.session.commit()
        subjects = [docdata.subject("client", key, "benchmark") for key in keys]
        titles = [render.title(s, settings.text("namespace")) for s in subjects]
        print(
            f"Service wiki benchmark: {args.clients} client service pages on MediaWiki at "
            f"{wiki.url}, {args.rounds} rounds; then {args.changed} contracts change"
        )
        t0 = time.perf_counter()
        first = _sync(keys)
        print(f"first sync: {first} in {time.perf_counter() - t0:.1f} s")
        client = settings.client()
        prefix = f"{settings.text('namespace')}:"
        reads, bulk_reads, syncs, ratios = [], [], [], []
        for r in range(1, args.rounds + 1):
            t0 = time.perf_counter()
            for title in titles:
                client.read(title)
            reads.append(time.perf_counter() - t0)
            client._ahead_at, client._ahead_pages = 0.0, {}  # (a read-ahead from scratch)
            t0 = time.perf_counter()
            client.read_ahead(prefix)
            bulk_reads.append(time.perf_counter() - t0)
            client._ahead_at, client._ahead_pages = 0.0, {}  # the sync reads for itself
            t0 = time.perf_counter()
            results = _sync(keys)
            syncs.append(time.perf_counter() - t0)
            ratios.append(syncs[-1] / reads[-1])
            print(
                f"round {r}: reading {reads[-1] * 1e3:7.1f} ms (in bulk {bulk_reads[-1] * 1e3:6.1f}"
                f" ms), sync {syncs[-1] * 1e3:7.1f} ms ({results}), ratio {ratios[-1]:.2f}"
            )
            if set(results) != {"unchanged"}:
                print("  PROBLEM: a sync with nothing changed edited pages", file=sys.stderr)
                return 1
        changed = keys[:: max(1, len(keys) // args.changed)][: args.changed]
        before = {t: len(wiki.person.revisions(t)) for t in titles}
        for key in changed:
            contract = db.session.scalar(select(Contract).where(Contract.reference == f"{key}-sla"))
            contract.hours_card = Decimal("40.00")
        db.session.commit()
        results = _sync(keys)
        after = {t: len(wiki.person.revisions(t)) for t in titles}
        edited = sum(after[t] != before[t] for t in titles)
    med = statistics.median
    ratio = med(ratios)
    met = "met" if ratio <= RATIO_TARGET else "MISSED"
    print(
        f"\nSummary (median of {args.rounds} rounds): reading {args.clients} pages "
        f"{med(reads) * 1e3:.1f} ms, a sync with nothing changed {med(syncs) * 1e3:.1f} ms "
        f"with 0 edits; ratio {ratio:.2f} (rounds {min(ratios):.2f}–{max(ratios):.2f}); "
        f"target <= {RATIO_TARGET:g}: {met}"
    )
    print(
        f"  for comparison: reading the same pages in bulk (50 a request, as the sync reads "
        f"them) {med(bulk_reads) * 1e3:.1f} ms; the sync's own work (data, templates, the "
        f"comparison, the record) is the rest"
    )
    ok = results.get("edited") == args.changed == edited
    print(
        f"{args.changed} contracts changed: the sync says {dict(results)}, the wiki's histories "
        f"show {edited} pages with a new revision: {'OK' if ok else 'MISMATCH'}"
    )
    return 0 if ok else 1


def _sync(keys: list[str]) -> dict[str, int]:
    """Every client page, as ``slahub wiki sync`` does it: {result: pages}."""
    from collections import Counter

    from hub import documentation
    from hub.db import db
    from hub.hooktypes import DocSubject

    counts: Counter = Counter()
    for key in keys:  # the data is read as the sync goes (documentation.fill)
        subject = DocSubject("client", key, "contract changed (benchmark)", bulk=True)
        for page in documentation.collect(subject)["mediawiki"]:
            counts[page.result] += 1
        db.session.commit()
    return dict(counts)


if __name__ == "__main__":
    sys.exit(main())
