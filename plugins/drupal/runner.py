"""Checks many sites at once: a bounded thread pool, a time budget per site, one feed
cache shared by all.

Each site runs through the HTTP checks (:mod:`plugins.drupal.fetch`,
:mod:`plugins.drupal.checks`) and, when Drupal is detected, the security checks against
drupal.org's feeds (:mod:`plugins.drupal.security`). The work is network-bound, so
threads suffice; the pool is bounded (``workers``) so that a run over hundreds of sites
opens a few dozen connections at a time. A site that crashes or overruns its budget gets
a report with one ``error`` result naming why; it never stops the others.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import UTC, date, datetime
from typing import Any

from hub.hooktypes import CheckResult, Site, SiteReport
from plugins.drupal.feeds import FeedCache
from plugins.drupal.security import security_checks

log = logging.getLogger(__name__)

CheckOne = Callable[[Site], SiteReport]

#: Slack past a site's last possible request before the run stops waiting for it.
GRACE_SECONDS = 1.0


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def error_report(site: Site, detail: str, *, requests: int = 0, seconds: float = 0.0) -> SiteReport:
    """A site whose checks could not run: one ``site.checks`` error result saying why."""
    result = CheckResult(
        "site.checks", "Site checks ran", "high", "error", {"url": site.url, "detail": detail}
    )
    return SiteReport(site.key, site.url, _now(), (result,), requests=requests, seconds=seconds)


@functools.cache
def _timed_fetcher() -> type:
    """A :class:`SiteFetcher` that makes no new request once ``seconds`` have passed
    since it was made (a hanging site must not hold a worker for its whole request
    budget of timeouts); what it then answers reads like a spent request budget."""
    from plugins.drupal.fetch import CertStatus, Fetched, SiteFetcher

    class TimedFetcher(SiteFetcher):
        def __init__(self, *args: Any, seconds: float, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.seconds = seconds
            self.deadline = time.monotonic() + seconds

        def _out_of_time(self) -> str | None:
            if time.monotonic() < self.deadline:
                return None
            return f"time budget of {self.seconds:g} s spent"

        def get(self, path: str = "/", **kwargs: Any) -> Fetched:
            if spent := self._out_of_time():
                return Fetched(self.url_for(path), error=spent)
            return super().get(path, **kwargs)

        def certificate(self) -> CertStatus:
            if spent := self._out_of_time():
                return CertStatus(False, None, spent)
            return super().certificate()

    return TimedFetcher


def check_site(
    site: Site,
    *,
    timeout: float,
    budget: int,
    seconds: float,
    feeds: FeedCache,
    user_agent: str,
    today: date,
    verify: bool | str = True,
) -> SiteReport:
    """One site: the HTTP checks, then (Drupal detected) the security checks, within
    ``budget`` requests and ``seconds`` (no new request after that)."""
    from plugins.drupal.checks import run_http_checks

    started = time.monotonic()
    fetcher = _timed_fetcher()(
        site.url,
        timeout=timeout,
        budget=budget,
        user_agent=user_agent,
        seconds=seconds,
        verify=verify,
    )
    try:
        results, info = run_http_checks(fetcher)
        results = [*results, *security_checks(info, feeds, today)]
    except Exception as exc:  # noqa: BLE001 - the boundary: a crash is this site's error
        log.warning("site checks of %s crashed", site.url, exc_info=True)
        return error_report(
            site,
            f"{type(exc).__name__}: {exc}",
            requests=fetcher.requests,
            seconds=round(time.monotonic() - started, 3),
        )
    finally:
        fetcher.close()
    drupal = {"major": info.major, "version": info.version, "evidence": info.evidence}
    return SiteReport(
        key=site.key,
        url=site.url,
        checked_at=_now(),
        results=tuple(results),
        drupal=drupal if info.major is not None or getattr(info, "detected", False) else {},
        requests=fetcher.requests,
        seconds=round(time.monotonic() - started, 3),
    )


def check_sites(
    sites: Sequence[Site],
    *,
    workers: int = 32,
    timeout: float = 10.0,
    budget: int = 40,
    seconds: float = 120.0,
    feeds: FeedCache,
    user_agent: str,
    today: date | None = None,
    check_one: CheckOne | None = None,
    verify: bool | str = True,
) -> list[SiteReport]:
    """A report per site, in the sites' order.

    ``budget`` is each site's number of requests, ``seconds`` its time (from when its
    turn starts, not while queued); once either is spent the fetcher makes no new
    request. Should a site still not finish when its last request could have ended
    (``seconds`` + 3 × ``timeout`` for a slow body + 1 s), the run reports it as over
    time and moves on; its thread ends with that request. ``check_one`` replaces the
    per-site work (tests).
    """
    if not sites:
        return []
    day = today or datetime.now(UTC).date()
    check = check_one or (
        lambda site: check_site(
            site,
            timeout=timeout,
            budget=budget,
            seconds=seconds,
            feeds=feeds,
            user_agent=user_agent,
            today=day,
            verify=verify,
        )
    )
    started: dict[int, float] = {}
    lock = threading.Lock()

    def task(index: int) -> SiteReport:
        with lock:
            started[index] = time.monotonic()
        site = sites[index]
        try:
            return check(site)
        except Exception as exc:  # noqa: BLE001 - the boundary: one site never stops the rest
            log.warning("site checks of %s crashed", site.url, exc_info=True)
            seconds = round(time.monotonic() - started[index], 3)
            return error_report(site, f"{type(exc).__name__}: {exc}", seconds=seconds)

    reports: dict[int, SiteReport] = {}
    limit = seconds + 3 * timeout + GRACE_SECONDS
    pool = ThreadPoolExecutor(max_workers=max(1, min(workers, len(sites))),
                              thread_name_prefix="drupal-check")  # fmt: skip
    try:
        pending: dict[Future[SiteReport], int] = {
            pool.submit(task, i): i for i in range(len(sites))
        }
        while pending:
            done, _ = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
            for future in done:
                reports[pending.pop(future)] = future.result()
            now = time.monotonic()
            with lock:
                overdue = [
                    (f, i) for f, i in pending.items() if i in started and now - started[i] > limit
                ]
            for future, index in overdue:
                del pending[future]
                log.warning("site checks of %s overran the budget", sites[index].url)
                reports[index] = error_report(
                    sites[index],
                    f"over time: still running after {limit:g} s (time budget {seconds:g} s)",
                    seconds=round(now - started[index], 3),
                )
    finally:
        # Do not wait for overdue threads; queued ones are cancelled only on a crash here.
        pool.shutdown(wait=False, cancel_futures=True)
    return [reports[i] for i in range(len(sites))]
