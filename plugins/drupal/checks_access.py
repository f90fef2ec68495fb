"""What an anonymous visitor may reach: update.php, the installer, admin routes, the
registration form and user profiles (INTEGRATIONS.md §4.5 #12, #13, #19–#21, §4.5b).

Pages are judged by what they show, not by status alone: "Drupal already installed"
is a pass with 200, and a route answering with the front page (no clean URLs) is
"cannot tell" (verdict ``error``), never "open". Drupal 7 routes are retried as
``/?q=…`` before giving up (see :func:`plugins.drupal.checks_common.route`).
"""

from __future__ import annotations

import re

from hub.hooktypes import CheckResult
from plugins.drupal.checks_common import page_title, result, route, same_page
from plugins.drupal.detect import DrupalInfo
from plugins.drupal.fetch import Fetched, SiteFetcher

CLOSED = (401, 403, 404, 410)
REDIRECTS = (301, 302, 303, 307, 308)
UPDATE_PAGE = re.compile(r"Drupal database update|update\.php(?:/|\?op=)selection", re.I)
ALREADY_INSTALLED = re.compile(r"already installed", re.I)
INSTALL_FORM = re.compile(
    r"install-select-(?:language|profile)-form|Choose language|Select an installation profile"
    r"|install-settings-form|Database configuration",
    re.I,
)
REGISTER_FORM = re.compile(r"id=[\"']user-register-form[\"']|user-register-form", re.I)
PROFILE = re.compile(r"typeof=[\"']schema:Person[\"']|class=[\"'][^\"']*\bprofile\b", re.I)
CANNOT_TELL = "cannot tell: the site answers this path with its front page (no clean URLs?)"


def _line(body: str, pattern: re.Pattern[str]) -> str:
    """The line of ``body`` where ``pattern`` matched (the deciding evidence)."""
    found = pattern.search(body)
    if not found:
        return ""
    start = body.rfind("\n", 0, found.start()) + 1
    end = body.find("\n", found.end())
    return body[start : end if end != -1 else len(body)]


def update_php(fetcher: SiteFetcher, home: Fetched) -> CheckResult:
    """``/update.php`` must refuse anonymous visitors; a usable page means
    ``$settings['update_free_access']`` is on."""
    title, check = "update.php locked", "update_php.locked"
    answer = fetcher.get("/update.php")
    if not answer.ok or (answer.status or 0) >= 500:
        return result(check, title, "critical", "error", answer, answer.error or "server error")
    if answer.status in CLOSED or answer.status in REDIRECTS:
        return result(check, title, "critical", "pass", answer, f"HTTP {answer.status}")
    if UPDATE_PAGE.search(answer.body) and "access denied" not in answer.body.lower():
        return result(check, title, "critical", "fail", answer, _line(answer.body, UPDATE_PAGE))
    if "access denied" in answer.body.lower():
        return result(check, title, "critical", "pass", answer, "Access denied")
    if same_page(answer, home):
        return result(check, title, "critical", "error", answer, CANNOT_TELL)
    return result(check, title, "critical", "warn", answer, f"HTTP {answer.status}, page unknown")


def installer(fetcher: SiteFetcher, home: Fetched, info: DrupalInfo) -> CheckResult:
    """The installer must say "already installed" (or be blocked); an install form is
    an invitation to take the site over."""
    title, check = "Installer locked", "installer.locked"
    answer = fetcher.get("/install.php" if info.major == 7 else "/core/install.php")
    if not answer.ok or (answer.status or 0) >= 500:
        return result(check, title, "critical", "error", answer, answer.error or "server error")
    if ALREADY_INSTALLED.search(answer.body):
        return result(check, title, "critical", "pass", answer, page_title(answer.body))
    if answer.status in CLOSED or answer.status in REDIRECTS:
        return result(check, title, "critical", "pass", answer, f"HTTP {answer.status}")
    if INSTALL_FORM.search(answer.body):
        return result(check, title, "critical", "fail", answer, _line(answer.body, INSTALL_FORM))
    if same_page(answer, home):
        return result(check, title, "critical", "error", answer, CANNOT_TELL)
    return result(check, title, "critical", "warn", answer, f"HTTP {answer.status}, page unknown")


def admin_closed(fetcher: SiteFetcher, home: Fetched, info: DrupalInfo) -> CheckResult:
    """``/admin`` and ``/admin/reports/status`` refuse anonymous visitors (403, or a
    redirect to the login form)."""
    title, check = "Admin pages closed", "admin.closed"
    answers = [route(fetcher, path, home, info) for path in ("/admin", "/admin/reports/status")]
    unknown: Fetched | None = None
    for answer in answers:
        if not answer.ok or (answer.status or 0) >= 500:
            return result(check, title, "high", "error", answer, answer.error or "server error")
        if answer.status == 200 and same_page(answer, home):
            unknown = answer
        elif answer.status == 200 and "access denied" not in answer.body.lower():
            detail = f"HTTP 200: {page_title(answer.body) or 'a page'}"
            return result(check, title, "high", "fail", answer, detail)
    if unknown is not None:
        return result(check, title, "high", "error", unknown, CANNOT_TELL)
    detail = ", ".join(f"{a.final_url}: HTTP {a.status}" for a in answers)
    return result(check, title, "high", "pass", answers[0], detail)


def registration(fetcher: SiteFetcher, home: Fetched, info: DrupalInfo) -> CheckResult:
    """``/user/register`` shows a form: visitors may create accounts (Drupal's default,
    worth a look when the site has no use for it)."""
    title, check = "Visitor registration closed", "users.registration"
    answer = route(fetcher, "/user/register", home, info)
    if not answer.ok or (answer.status or 0) >= 500:
        return result(check, title, "low", "error", answer, answer.error or "server error")
    if answer.status == 200 and REGISTER_FORM.search(answer.body):
        detail = "registration form shown: " + _line(answer.body, REGISTER_FORM)
        return result(check, title, "low", "warn", answer, detail)
    if same_page(answer, home):
        return result(check, title, "low", "error", answer, CANNOT_TELL)
    return result(check, title, "low", "pass", answer, f"HTTP {answer.status}, no form")


def enumeration(fetcher: SiteFetcher, home: Fetched, info: DrupalInfo) -> CheckResult:
    """``/user/1`` shows a profile (and so the admin's user name) to anonymous visitors:
    "access user profiles" is granted to them."""
    title, check = "User profiles hidden", "users.enumeration"
    answer = route(fetcher, "/user/1", home, info)
    if not answer.ok or (answer.status or 0) >= 500:
        return result(check, title, "medium", "error", answer, answer.error or "server error")
    if answer.status != 200 or "access denied" in answer.body.lower():
        return result(check, title, "medium", "pass", answer, f"HTTP {answer.status}")
    if same_page(answer, home):
        return result(check, title, "medium", "error", answer, CANNOT_TELL)
    name = page_title(answer.body).split("|")[0].strip()
    if PROFILE.search(answer.body):
        return result(check, title, "medium", "fail", answer, f"profile of user 1 shown: {name}")
    detail = f"HTTP 200 for /user/1: {name or 'a page'}"
    return result(check, title, "medium", "warn", answer, detail)
