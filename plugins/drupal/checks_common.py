"""What every site check shares: building a :class:`CheckResult` with short evidence,
and telling a real page from the front page a site without clean URLs serves for
any path (INTEGRATIONS.md §4.5b)."""

from __future__ import annotations

import re
from typing import Any

from hub.hooktypes import CheckResult
from plugins.drupal.detect import DrupalInfo
from plugins.drupal.fetch import Fetched, SiteFetcher

DETAIL_LIMIT = 200
TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)


def short(text: str, limit: int = DETAIL_LIMIT) -> str:
    """One line, at most ``limit`` characters (evidence is for people, not archives)."""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def result(
    check_id: str,
    title: str,
    severity: str,
    verdict: str,
    answer: Fetched | None = None,
    detail: str = "",
    **extra: Any,
) -> CheckResult:
    """A result whose evidence names the URL and status of ``answer`` and the
    deciding ``detail``; ``extra`` keys (e.g. ``found``) are added as they are."""
    evidence: dict[str, Any] = {}
    if answer is not None:
        evidence["url"] = answer.final_url or answer.url
        evidence["status"] = answer.status
        if answer.error and not detail:
            detail = answer.error
    evidence["detail"] = short(detail)
    evidence.update(extra)
    return CheckResult(check_id, title, severity, verdict, evidence)


def page_title(body: str) -> str:
    """The page's ``<title>`` text, squeezed."""
    found = TITLE.search(body)
    return " ".join(found.group(1).split()) if found else ""


def same_page(page: Fetched, home: Fetched) -> bool:
    """Whether ``page`` is really the front page again: same title and about the same
    length (form tokens and timestamps make byte equality too strict)."""
    if page.status != 200 or home.status != 200:
        return False
    if page.body == home.body:
        return True
    title = page_title(page.body)
    if not title or title != page_title(home.body):
        return False
    longer = max(len(page.body), len(home.body), 1)
    return abs(len(page.body) - len(home.body)) / longer < 0.1


def route(fetcher: SiteFetcher, path: str, home: Fetched, info: DrupalInfo) -> Fetched:
    """A Drupal route, asked for at ``/path``; when that only gives the front page back
    and the site is Drupal 7, again as ``/?q=path`` (its form without clean URLs)."""
    answer = fetcher.get(path)
    if info.major == 7 and same_page(answer, home):
        return fetcher.get("/?q=" + path.lstrip("/"))
    return answer


def is_html(answer: Fetched) -> bool:
    """Whether the answer is an HTML page (e.g. a 404 or front page served as 200)."""
    head = answer.body[:512].lstrip().lower()
    return "html" in answer.header("Content-Type").lower() or head.startswith(
        ("<!doctype", "<html")
    )
