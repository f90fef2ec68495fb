"""Is a site's Drupal core supported and secure? Judged from drupal.org's feeds.

The recipe is core's own update module's (INTEGRATIONS 4.3–4.4): a version is
*unsupported* when its branch is not among the project's ``supported_branches`` (or the
project is not published, or it is Drupal 7 after its end of life); *insecure* when its
release is tagged ``Insecure`` or a newer published release of its branch is a
``Security update``; *not covered* when its release lacks ``security covered="1"`` or is
a pre-release; *outdated* when a newer release of its major exists. PSAs apply to core
sites when ``is_psa`` is set or the version is listed insecure (dev builds by
major[.minor]).

When only the major version is visible (aggregated assets hide the rest) the verdicts
that need the minor say "cannot tell" (warn) rather than guess. Each result's evidence
names the feed's URL and the releases that decided it.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Protocol

from hub.hooktypes import CheckResult
from plugins.drupal.feeds import Advisory, Feed, FeedCache, FeedError, Project, Release

D7_END_OF_LIFE = date(2025, 1, 5)
UNKNOWN = "cannot tell: version not visible"

#: id → (title, severity)
CHECKS = {
    "core.supported": ("Drupal core version is supported", "high"),
    "core.secure": ("Drupal core has no known security hole", "critical"),
    "core.coverage": ("Drupal core release is covered by security advisories", "medium"),
    "core.outdated": ("Drupal core is the newest release of its major", "low"),
    "core.psa": ("No Drupal security advisory or PSA applies", "high"),
}
_RELEASE_CHECKS = ("core.supported", "core.secure", "core.coverage", "core.outdated")
_VERSION = re.compile(r"^(\d+)(?:\.(\d+|x))?(?:\.(\d+|x))?(?:-([0-9A-Za-z.]+))?$")


class DrupalInfo(Protocol):
    """What site detection found: ``major`` (None: not Drupal, unless it has
    ``detected`` set), ``version`` (None: the minor is not visible)."""

    major: int | None
    version: str | None


def _result(check: str, verdict: str, evidence: dict[str, Any]) -> CheckResult:
    title, severity = CHECKS[check]
    return CheckResult(check, title, severity, verdict, evidence)


def parse_version(version: str) -> tuple[int, int | None, int | None, str | None] | None:
    """(major, minor, patch, extra) of a core version: ``10.4.5``, ``11.2.0-rc1``,
    ``11.2.x-dev``, ``7.103`` (Drupal 7 has no minor: 103 is its patch); None if not one."""
    m = _VERSION.match(version.strip())
    if not m:
        return None
    major = int(m[1])
    second = int(m[2]) if m[2] and m[2] != "x" else None
    third = int(m[3]) if m[3] and m[3] != "x" else None
    if major < 8:
        return major, None, second, m[4]
    return major, second, third, m[4]


def sort_key(version: str) -> tuple[Any, ...]:
    """Orders versions: numbers, then stable > rc > beta > alpha (dev sorts lowest)."""
    parsed = parse_version(version)
    if parsed is None:
        return (-1,)
    major, minor, patch, extra = parsed
    rank, number = 4, 0
    if extra:
        m = re.match(r"(alpha|beta|rc|dev)(\d*)", extra)
        rank = {"dev": 0, "alpha": 1, "beta": 2, "rc": 3}.get(m[1], 0) if m else 0
        number = int(m[2]) if m and m[2] else 0
    return (
        major,
        minor if minor is not None else -1,
        patch if patch is not None else -1,
        rank,
        number,
    )


def branch_of(version: str, project: Project) -> str:
    """The supported branch prefix ``version`` belongs to, else its own major.minor."""
    for prefix in project.supported_branches:
        if version.startswith(prefix):
            return prefix
    major, minor, _patch, _extra = parse_version(version) or (0, None, None, None)
    return f"{major}." if minor is None else f"{major}.{minor}."


def _newer(project: Project, version: str, prefix: str) -> list[Release]:
    """Published, non-dev releases starting with ``prefix`` and newer than ``version``,
    newest first."""
    key = sort_key(version)
    found = [
        r
        for r in project.releases
        if r.published
        and r.extra != "dev"
        and r.version.startswith(prefix)
        and sort_key(r.version) > key
    ]
    return sorted(found, key=lambda r: sort_key(r.version), reverse=True)


def security_checks(info: DrupalInfo, feeds: FeedCache, today: date) -> list[CheckResult]:
    """The core.* checks for a detected Drupal; none when the site is not Drupal."""
    if info.major is None:
        if not getattr(info, "detected", False):
            return []
        unseen = {"detail": "cannot tell: Drupal, but its major version is not visible"}
        return [_result(check, "warn", unseen) for check in CHECKS]
    try:
        feed = feeds.release_history("drupal")
    except FeedError as exc:
        results = [_result(c, "error", {"detail": str(exc)}) for c in _RELEASE_CHECKS]
        if info.major == 7 and today >= D7_END_OF_LIFE:  # needs no feed
            results[0] = _d7_end_of_life({})
    else:
        base = {"url": feed.url}
        if feed.stale:
            base["stale"] = feed.note
        results = _release_checks(info.major, info.version, feed.value, base, today)
    try:
        advisories = feeds.advisories()
    except FeedError as exc:
        results.append(_result("core.psa", "error", {"detail": str(exc)}))
    else:
        results.append(_psa_check(info.major, info.version, advisories))
    return results


def _d7_end_of_life(base: dict[str, Any]) -> CheckResult:
    detail = f"Drupal 7 reached its end of life on {D7_END_OF_LIFE.isoformat()}"
    return _result("core.supported", "fail", {**base, "detail": detail})


def _release_checks(
    major: int, version: str | None, project: Project, base: dict[str, Any], today: date
) -> list[CheckResult]:
    if version is None:
        return _major_only(major, project, base, today)
    ev = {**base, "version": version}
    release = project.release(version)
    parsed = parse_version(version)
    branch = branch_of(version, project)
    dev = bool(parsed and parsed[3] == "dev")

    if major == 7 and today >= D7_END_OF_LIFE:
        supported = _d7_end_of_life(ev)
    elif not project.published:
        supported = _result(
            "core.supported",
            "fail",
            {**ev, "detail": f"project status is {project.project_status!r}"},
        )
    elif branch in project.supported_branches:
        supported = _result(
            "core.supported",
            "pass",
            {**ev, "branch": branch, "detail": f"branch {branch} is supported"},
        )
    else:
        supported = _result(
            "core.supported",
            "fail",
            {
                **ev,
                "branch": branch,
                "detail": f"branch {branch} is not among the supported "
                f"{','.join(project.supported_branches)}",
            },
        )

    security = [r for r in _newer(project, version, branch) if r.is_security_update]
    if release is not None and release.is_insecure:
        secure = _result(
            "core.secure",
            "fail",
            {
                **ev,
                "releases": [version],
                "detail": f"{version} is marked Insecure"
                + (f"; security releases since: {_names(security)}" if security else ""),
            },
        )
    elif security and not dev:
        secure = _result(
            "core.secure",
            "fail",
            {
                **ev,
                "releases": [r.version for r in security],
                "detail": f"newer security releases in {branch}: {_names(security)}",
            },
        )
    elif dev or release is None:
        why = "a dev build" if dev else f"{version} is not in the feed"
        secure = _result("core.secure", "warn", {**ev, "detail": f"cannot tell: {why}"})
    else:
        detail = f"{version} is not marked Insecure; no newer security release in {branch}"
        if supported.verdict == "fail":
            detail += " (an unsupported branch gets no security releases)"
        secure = _result("core.secure", "pass", {**ev, "detail": detail})

    if (parsed and parsed[3]) or major == 0 or (release is not None and release.prerelease):
        coverage = _result(
            "core.coverage",
            "fail",
            {
                **ev,
                "detail": f"{version} is a "
                "pre-release: not covered by the security advisory policy",
            },
        )
    elif release is None:
        coverage = _result(
            "core.coverage", "warn", {**ev, "detail": f"cannot tell: {version} is not in the feed"}
        )
    elif release.security_covered:
        coverage = _result("core.coverage", "pass", {**ev, "detail": 'security covered="1"'})
    else:
        coverage = _result(
            "core.coverage",
            "fail",
            {**ev, "detail": f"{version} is not covered by the security advisory policy"},
        )

    newer = [r for r in _newer(project, version, f"{major}.") if not r.prerelease]
    if newer:
        outdated = _result(
            "core.outdated",
            "warn",
            {
                **ev,
                "releases": [newer[0].version],
                "detail": f"newer release of Drupal {major}: {newer[0].version}",
            },
        )
    else:
        outdated = _result(
            "core.outdated", "pass", {**ev, "detail": f"no newer release of Drupal {major}"}
        )
    return [supported, secure, coverage, outdated]


def _major_only(
    major: int, project: Project, base: dict[str, Any], today: date
) -> list[CheckResult]:
    """Only the major is known: supported can still fail (no branch of it is), the
    others cannot tell."""
    ev = {**base, "version": None, "major": major}
    branches = [b for b in project.supported_branches if b.startswith(f"{major}.")]
    if major == 7 and today >= D7_END_OF_LIFE:
        supported = _d7_end_of_life(ev)
    elif not branches or not project.published:
        supported = _result(
            "core.supported", "fail", {**ev, "detail": f"no branch of Drupal {major} is supported"}
        )
    else:
        supported = _result(
            "core.supported",
            "warn",
            {
                **ev,
                "detail": f"{UNKNOWN}; supported branches of Drupal {major}: {','.join(branches)}",
            },
        )
    unknown = {**ev, "detail": UNKNOWN}
    return [supported] + [_result(c, "warn", unknown) for c in _RELEASE_CHECKS[1:]]


def _names(releases: list[Release]) -> str:
    return ", ".join(r.version for r in releases)


def advisory_applies(advisory: Advisory, version: str) -> bool:
    """Core's ``isApplicable`` for core: ``is_psa``, the version listed insecure, or a
    dev build whose major (and minor, when it has one) matches a listed version."""
    if advisory.is_psa:
        return True
    parsed = parse_version(version)
    if parsed and parsed[3] == "dev":
        for insecure in advisory.insecure:
            other = parse_version(insecure)
            if other and other[0] == parsed[0] and parsed[1] in (None, other[1]):
                return True
    return version in advisory.insecure


def _psa_check(major: int, version: str | None, feed: Feed[list[Advisory]]) -> CheckResult:
    core = [a for a in feed.value if a.project == "drupal"]
    ev: dict[str, Any] = {"url": feed.url, "version": version}
    if feed.stale:
        ev["stale"] = feed.note
    if version is None:
        psas = [a for a in core if a.is_psa]
        maybe = [
            a
            for a in core
            if not a.is_psa and any(v.split(".")[0] == str(major) for v in a.insecure)
        ]
        if psas or maybe:
            detail = "; ".join(a.title for a in psas + maybe)
            if maybe:
                detail += f" ({UNKNOWN}: advisories list Drupal {major} versions)"
            ev["advisories"] = [a.link for a in psas + maybe]
            return _result("core.psa", "warn", {**ev, "detail": detail})
        return _result("core.psa", "pass", {**ev, "detail": "no core advisory applies"})
    applicable = [a for a in core if advisory_applies(a, version)]
    ev["advisories"] = [a.link for a in applicable]
    listed = [a for a in applicable if not a.is_psa]
    if listed:
        return _result(
            "core.psa",
            "fail",
            {
                **ev,
                "detail": f"{version} is listed insecure by: {'; '.join(a.title for a in listed)}",
            },
        )
    if applicable:
        return _result("core.psa", "warn", {**ev, "detail": "; ".join(a.title for a in applicable)})
    return _result("core.psa", "pass", {**ev, "detail": "no core advisory applies"})
