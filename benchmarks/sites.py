"""Site-check benchmark (issue 7): the Drupal plugin's runner over many slow sites.

Run from the repository root::

    .venv/bin/python benchmarks/sites.py [--sites 200] [--delay 0.3] [--workers N]
                                         [--sample 4]

``--sites`` loopback sites (Drupal-looking pages, tests/plugins/drupal/fixtures/sites.py)
answer every request after ``--delay`` seconds; they run in a child process, so that
the measured process holds only the runner. A local feed server stands in for
drupal.org. The real runner (real fetcher, HTTP checks, security checks) checks them
all with the plugin's pool (``--workers``, default: the ``workers`` setting's default).

Printed:

- the run's wall time as a share of the serial time (target at most 5%). Serial time is
  the sum of the sites' own times as the runner measured them (each site's checks run
  one request after another); beside it, a measured serial run (workers=1) over
  ``--sample`` sites, scaled to all of them, as a check on that sum. With W workers the
  share cannot go below 1/W;
- how often each feed was fetched (target: once for the whole run);
- peak memory: tracemalloc's peak of the run and the process's max RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET = 0.05


def serve(count: int, delay: float) -> None:
    """Child process: start the sites, print their URLs (one JSON line), wait for stdin."""
    from tests.plugins.drupal.fixtures.sites import SiteServer

    servers = [SiteServer("drupal", version="10.4.9", delay=delay).start() for _ in range(count)]
    print(json.dumps([s.url for s in servers]), flush=True)
    sys.stdin.read()
    print(json.dumps(sum(s.requests for s in servers)), flush=True)


def main(argv: list[str] | None = None) -> int:
    from plugins.drupal.settings import SETTINGS

    default_workers = next(s.default for s in SETTINGS if s.name == "workers")
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sites", type=int, default=200)
    ap.add_argument("--delay", type=float, default=0.3, help="seconds before each answer")
    ap.add_argument("--workers", type=int, default=default_workers)
    ap.add_argument("--sample", type=int, default=4, help="sites of the measured serial run")
    ap.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.serve:
        serve(args.sites, args.delay)
        return 0
    for name in [n for n in os.environ if n.startswith("HUB_")]:
        del os.environ[name]

    from hub.hooktypes import Site
    from plugins.drupal.feeds import FeedCache
    from plugins.drupal.runner import check_sites
    from tests.plugins.drupal.fixtures.feedserver import FeedServer

    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", "--sites", str(args.sites), "--delay",
         str(args.delay)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    assert child.stdin is not None and child.stdout is not None
    urls = json.loads(child.stdout.readline())
    sites = [Site(f"site{i}", url, "drupal") for i, url in enumerate(urls)]
    today = date.today()
    try:
        with FeedServer() as feed_server:

            def feeds() -> FeedCache:
                return FeedCache(
                    release_history_url=feed_server.release_history_url,
                    psa_url=feed_server.psa_url,
                )

            kw = dict(timeout=10.0, budget=40, seconds=120.0, user_agent="bench", today=today)
            print(f"{len(sites)} sites answering after {args.delay * 1000:.0f} ms; "
                  f"{args.workers} workers …", flush=True)  # fmt: skip
            tracemalloc.start()
            started = time.monotonic()
            reports = check_sites(sites, workers=args.workers, feeds=feeds(), **kw)
            wall = time.monotonic() - started
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            feed_counts = dict(feed_server.requests)

            sample = sites[: args.sample]
            started = time.monotonic()
            check_sites(sample, workers=1, feeds=feeds(), **kw)
            sample_serial = (time.monotonic() - started) * len(sites) / max(1, len(sample))
    finally:
        child.stdin.close()
        served = json.loads(child.stdout.readline() or "0")
        child.wait(10)

    serial = sum(r.seconds for r in reports)
    requests = sum(r.requests for r in reports)
    errors = [r.key for r in reports if any(c.id == "site.checks" for c in r.results)]
    drupal = sum(bool(r.drupal) for r in reports)
    share = wall / serial if serial else float("nan")
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"run: {wall:.1f} s wall for {len(reports)} sites ({drupal} Drupal, "
          f"{len(errors)} crashed or over time), {requests} requests "
          f"({requests / len(reports):.1f} a site; the sites served {served})")  # fmt: skip
    print(f"serial (sum of the sites' own times): {serial:.1f} s "
          f"({serial / len(reports):.2f} s a site)")  # fmt: skip
    print(f"serial (measured, workers=1 over {len(sample)} sites, scaled): {sample_serial:.1f} s")
    verdict = "ok" if share <= TARGET else "MISSED"
    print(f"share: {share * 100:.2f}% of the serial time (target <= {TARGET * 100:.0f}%: "
          f"{verdict}; floor with {args.workers} workers: {100 / args.workers:.2f}%); "
          f"against the measured serial: {wall / sample_serial * 100:.2f}%")  # fmt: skip
    print("feeds fetched: " + ", ".join(f"{path} {n}x" for path, n in sorted(feed_counts.items())))
    print(f"memory: tracemalloc peak {peak / 1e6:.1f} MB during the run; "
          f"max RSS {maxrss:.0f} MB")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
