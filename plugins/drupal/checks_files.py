"""Files a web server must not hand out, and directory listings (INTEGRATIONS.md §4.5
#15–#17, §4.5b).

A status code proves nothing: ``settings.php`` answers 200 with an empty body when PHP
runs it, and a site without clean URLs answers any path with its front page. So each
file is judged by its content — PHP source, a SQLite header, JSON with Composer's keys,
a git ref — and an HTML page is never taken for a leaked file.

Two checks with two severities: ``files.sensitive`` (secrets: settings and their editor
backups, the SQLite database, ``.env``, ``.git``) is critical; ``files.exposed`` (code and
build files that give away versions and layout) is medium.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from hub.hooktypes import CheckResult
from plugins.drupal.checks_common import is_html, result, short
from plugins.drupal.detect import DrupalInfo
from plugins.drupal.fetch import Fetched, SiteFetcher

PHP_SOURCE = re.compile(r"<\?php|\$databases\s*\[|\$settings\s*\[|\$db_url\b")
ENV_LINE = re.compile(r"^[A-Z][A-Z0-9_]*=", re.M)
GIT_HEAD = re.compile(r"\A(ref: refs/|[0-9a-f]{40}\s*\Z)")
LISTING = (
    "<title>Index of /",
    "<h1>Index of /",
    "Directory listing for /",
    "[To Parent Directory]",
)
SETTINGS = "/sites/default/settings.php"


def _php(answer: Fetched) -> str | None:
    if answer.content.startswith(b"b0VIM"):  # a vim swap file: the source, in pieces
        return "vim swap file"
    found = PHP_SOURCE.search(answer.body)
    return found.group(0) if found else None


def _sqlite(answer: Fetched) -> str | None:
    return "SQLite format 3 header" if answer.content.startswith(b"SQLite format 3\x00") else None


def _env(answer: Fetched) -> str | None:
    found = ENV_LINE.search(answer.body)
    return found.group(0) + "…" if found else None


def _git(answer: Fetched) -> str | None:
    return answer.body.strip()[:60] if GIT_HEAD.match(answer.body.strip()) else None


def _json_with(*keys: str) -> Callable[[Fetched], str | None]:
    def judge(answer: Fetched) -> str | None:
        try:
            data = json.loads(answer.body)
        except ValueError:
            return None
        if isinstance(data, list) and "packages" in keys:  # Composer 1's installed.json
            return "a JSON list of packages" if data else None
        hits = [key for key in keys if isinstance(data, dict) and key in data]
        return f"JSON with {', '.join(hits)}" if hits else None

    return judge


def _contains(*markers: str) -> Callable[[Fetched], str | None]:
    def judge(answer: Fetched) -> str | None:
        return next((marker for marker in markers if marker in answer.body), None)

    return judge


def _yaml(answer: Fetched) -> str | None:
    found = re.search(r"^(services|parameters):", answer.body, re.M)
    return found.group(0) if found else None


Judge = Callable[[Fetched], str | None]


def sensitive_files(info: DrupalInfo) -> list[tuple[str, Judge]]:
    """Secrets: settings.php and its editor backups, the default SQLite file, .env, .git."""
    backups = [f"{SETTINGS}{suffix}" for suffix in ("~", ".bak", ".orig", ".save")]
    return [
        (SETTINGS, _php),
        *[(path, _php) for path in backups],
        ("/sites/default/.settings.php.swp", _php),
        ("/sites/default/files/.ht.sqlite", _sqlite),
        ("/.env", _env),
        ("/.git/HEAD", _git),
    ]


def exposed_files(info: DrupalInfo) -> list[tuple[str, Judge]]:
    """Code and build files that Drupal's ``.htaccess`` forbids; D7 has no ``core/``."""
    core = "" if info.major == 7 else "/core"
    files: list[tuple[str, Judge]] = [
        ("/composer.json", _json_with("require", "name")),
        ("/composer.lock", _json_with("packages")),
        ("/package.json", _json_with("dependencies", "devDependencies", "scripts")),
        ("/web.config", _contains("<configuration")),
        (f"{core}/modules/system/system.module", _php),
        (f"{core}/includes/bootstrap.inc", _php),
        ("/.htaccess", _contains("RewriteEngine", "<FilesMatch", "Options -Indexes")),
    ]
    if info.major != 7:
        files.insert(4, ("/core/core.services.yml", _yaml))
    return files


def _probe(
    fetcher: SiteFetcher, files: list[tuple[str, Judge]]
) -> tuple[list[tuple[Fetched, str]], list[Fetched]]:
    """Leaks found (answer, deciding line) and answers that could not be had."""
    leaks: list[tuple[Fetched, str]] = []
    failed: list[Fetched] = []
    for path, judge in files:
        answer = fetcher.get(path)
        if not answer.ok:
            failed.append(answer)
        elif answer.status == 200 and not is_html(answer) and (why := judge(answer)):
            leaks.append((answer, why))
    return leaks, failed


def _verdict(
    check: str, title: str, severity: str, fetcher: SiteFetcher, files: list[tuple[str, Judge]]
) -> CheckResult:
    leaks, failed = _probe(fetcher, files)
    if leaks:
        answer, why = leaks[0]
        found = [f"{leak.final_url}: {short(reason, 80)}" for leak, reason in leaks]
        return result(check, title, severity, "fail", answer, why, found=found)
    if failed and len(failed) == len(files):
        return result(check, title, severity, "error", failed[0])
    detail = f"{len(files) - len(failed)} files asked for, none handed out"
    if failed:
        detail += f"; {len(failed)} not answered ({failed[0].error})"
    return result(check, title, severity, "pass", None, detail, url=fetcher.base_url)


def files_sensitive(fetcher: SiteFetcher, info: DrupalInfo) -> CheckResult:
    """``files.sensitive``: settings source, backups, SQLite database, .env, .git."""
    title = "Secret files not served"
    return _verdict("files.sensitive", title, "critical", fetcher, sensitive_files(info))


def files_exposed(fetcher: SiteFetcher, info: DrupalInfo) -> CheckResult:
    """``files.exposed``: Composer and npm files, web.config, YAML, PHP code, .htaccess."""
    title = "Code and build files not served"
    return _verdict("files.exposed", title, "medium", fetcher, exposed_files(info))


def files_vendor(fetcher: SiteFetcher) -> CheckResult:
    """``vendor/composer/installed.json`` lists every package and version."""
    title, check = "Vendor directory not web-readable", "files.vendor"
    answer = fetcher.get("/vendor/composer/installed.json")
    if not answer.ok:
        return result(check, title, "medium", "error", answer)
    why = _json_with("packages")(answer) if answer.status == 200 and not is_html(answer) else None
    if why:
        return result(check, title, "medium", "fail", answer, why)
    return result(check, title, "medium", "pass", answer, f"HTTP {answer.status}")


def directory_listings(fetcher: SiteFetcher, info: DrupalInfo) -> CheckResult:
    """``listing.directories``: the files, core (D7: misc) and modules directories must
    not list their contents (core's ``.htaccess`` sets ``Options -Indexes``)."""
    title, check = "No directory listings", "listing.directories"
    paths = ["/sites/default/files/", "/misc/" if info.major == 7 else "/core/", "/modules/"]
    answers = [fetcher.get(path) for path in paths]
    for answer in answers:
        marker = next((m for m in LISTING if m in answer.body), None)
        if answer.status == 200 and marker:
            line = next(line for line in answer.body.splitlines() if marker in line)
            return result(check, title, "medium", "fail", answer, line)
    if all(not answer.ok for answer in answers):
        return result(check, title, "medium", "error", answers[0])
    statuses = ", ".join(
        f"{path} {a.status or a.error}" for path, a in zip(paths, answers, strict=True)
    )
    return result(check, title, "medium", "pass", None, statuses, url=fetcher.base_url)
