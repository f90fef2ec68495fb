"""Is a site Drupal, which major, and — only when the site itself says so — which exact
version (INTEGRATIONS.md §4.1, §4.2).

The major comes from ``X-Generator`` or the meta Generator tag (D8+ and D7 alike), or
from Drupal 7's ``Drupal.settings``/``/misc/drupal.js``. ``drupalSettings`` and the
1978 ``Expires`` date (sent by D7 and by D8+ alike) only say "Drupal". The exact
version comes from core's own ``?v=`` asset query strings (present only while JS
aggregation is off) or from ``CHANGELOG.txt`` (D7; D8.0–8.4). Anything else leaves the
version None — "minor unknown" — because a guessed version would make the security
verdicts lie.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Protocol

from plugins.drupal.fetch import Fetched

GENERATOR = re.compile(r"Drupal (\d+)", re.I)
META_GENERATOR = re.compile(
    r"<meta\s+name=[\"']Generator[\"']\s+content=[\"']Drupal (\d+)[^\"']*[\"']", re.I
)
SETTINGS_JSON = re.compile(
    r"<script[^>]*data-drupal-selector=[\"']drupal-settings-json[\"'][^>]*>(.*?)</script>", re.S
)
D7_SIGNS = ("Drupal.settings", "/misc/drupal.js")
D8_SIGNS = ("drupalSettings", "drupal-settings-json", "/core/misc/drupal.js")
EXPIRES_1978 = "19 Nov 1978"
# Core's own libraries carry ``version: VERSION``; vendor libraries under
# /core/assets/vendor/ carry their own versions and must not be read as Drupal's.
CORE_ASSET = re.compile(
    r"/core/(?!assets/vendor/)[\w./-]+\.js\?v=(\d+\.\d+\.\d+(?:-[\w.]+)?)(?=[\"'&])"
)
HASHED_ASSET = re.compile(r"/files/(?:js|css)/(?:js|css)_[\w-]+\.(?:js|css)")
D7_CHANGELOG = re.compile(r"\A\s*Drupal (7\.\d+(?:-[\w.]+)?), \d{4}-\d\d-\d\d")
D8_CHANGELOG = re.compile(r"\A\s*Drupal (8\.[0-4]\.\d+(?:-[\w.]+)?), \d{4}-\d\d-\d\d")


class Getter(Protocol):
    """What detection needs of a fetcher (see :class:`plugins.drupal.fetch.SiteFetcher`)."""

    def get(self, path: str = "/", *, follow: bool = False, method: str = "GET") -> Fetched: ...


@dataclass(frozen=True)
class DrupalInfo:
    """What the site reveals about Drupal. ``major`` None with ``detected`` True means
    Drupal whose major could not be seen; ``version`` None means "minor unknown".
    ``aggregation``: JS/CSS aggregation on (hashed asset names), off, or unknown.
    ``libraries``: from ``ajaxPageState`` (decompressed on 10.3+)."""

    major: int | None
    version: str | None
    evidence: str
    aggregation: bool | None
    detected: bool = False
    libraries: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.major is not None and not self.detected:
            object.__setattr__(self, "detected", True)

    @property
    def label(self) -> str:
        """E.g. "Drupal 10.2.3", "Drupal 10, minor unknown", "not Drupal"."""
        if not self.detected:
            return "not Drupal"
        if self.version:
            return f"Drupal {self.version}"
        if self.major is None:
            return "Drupal, major unknown"
        return f"Drupal {self.major}, minor unknown"

    def as_dict(self) -> dict[str, Any]:
        """Plain data for ``SiteReport.drupal``."""
        return {
            "detected": self.detected,
            "major": self.major,
            "version": self.version,
            "evidence": self.evidence,
            "aggregation": self.aggregation,
            "libraries": list(self.libraries),
        }


NOT_DRUPAL = DrupalInfo(None, None, "no Drupal header, markup or asset", None)


def detect(home: Fetched, fetcher: Getter) -> DrupalInfo:
    """Read the front page (and at most one ``CHANGELOG.txt``) for Drupal's signs."""
    if not home.ok:
        return DrupalInfo(None, None, f"front page not read: {home.error}", None)
    body = home.body
    signs: list[str] = []
    major: int | None = None
    if found := GENERATOR.search(home.header("X-Generator")):
        major = int(found.group(1))
        signs.append(f"X-Generator: {home.header('X-Generator')}")
    if found := META_GENERATOR.search(body):
        major = major or int(found.group(1))
        signs.append(f"meta Generator: Drupal {found.group(1)}")
    d7 = [sign for sign in D7_SIGNS if sign in body]
    modern = [sign for sign in D8_SIGNS if sign in body]
    if d7 and not modern:
        major = major or 7
        signs.append(" and ".join(d7))
    elif modern:
        signs.append(modern[0] if len(modern) == 1 else f"{modern[0]} and {modern[1]}")
    if EXPIRES_1978 in home.header("Expires"):
        signs.append(f"Expires: {home.header('Expires')}")
    for name in ("X-Drupal-Cache", "X-Drupal-Dynamic-Cache"):
        if home.header(name):
            signs.append(f"{name}: {home.header(name)}")
    if not signs:
        return NOT_DRUPAL
    libraries = settings_libraries(body)
    aggregation = _aggregation(body, major)
    version, source = None, ""
    if major not in (7, None) and aggregation is False:
        version = _asset_version(body, major)
        source = f"core asset ?v={version}" if version else ""
    if version is None:
        version, source = _changelog_version(fetcher, major, bool(modern))
    if version is not None:
        major = int(version.split(".")[0])
        signs.append(source)
    return DrupalInfo(major, version, "; ".join(signs), aggregation, True, libraries)


def settings_libraries(body: str) -> tuple[str, ...]:
    """``drupalSettings.ajaxPageState.libraries`` as a list; since 10.3 core sends it
    as base64url(zlib(text)), which is undone here."""
    found = SETTINGS_JSON.search(body)
    if not found:
        return ()
    try:
        settings = json.loads(found.group(1))
    except ValueError:
        return ()
    value = (
        (settings.get("ajaxPageState") or {}).get("libraries")
        if isinstance(settings, dict)
        else None
    )
    if not isinstance(value, str) or not value:
        return ()
    if "/" not in value:
        try:
            value = zlib.decompress(
                base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
            ).decode()
        except (binascii.Error, zlib.error, UnicodeDecodeError, ValueError):
            return ()
    return tuple(name for name in value.split(",") if name)


def _aggregation(body: str, major: int | None) -> bool | None:
    """On when asset files are hashed under files/js|css; off when core's own assets
    are linked one by one; None when the page shows neither."""
    if HASHED_ASSET.search(body):
        return True
    if "/core/misc/" in body or (major == 7 and "/misc/drupal.js" in body):
        return False
    return None


def _asset_version(body: str, major: int) -> str | None:
    """The most frequent ``?v=`` on core's own JS, if its major agrees with the header."""
    counts = Counter(CORE_ASSET.findall(body))
    for version, _ in counts.most_common():
        if version.split(".")[0] == str(major):
            return version
    return None


def _changelog_version(fetcher: Getter, major: int | None, modern: bool) -> tuple[str | None, str]:
    """D7's ``/CHANGELOG.txt`` or D8.0–8.4's ``/core/CHANGELOG.txt`` first line; from 8.5
    on it names no version, so D9+ sites are not asked at all."""
    if major == 7 or (major is None and not modern):
        path, pattern = "/CHANGELOG.txt", D7_CHANGELOG
    elif major == 8 or major is None:
        path, pattern = "/core/CHANGELOG.txt", D8_CHANGELOG
    else:
        return None, ""
    answer = fetcher.get(path)
    if answer.status != 200 or "<html" in answer.body[:500].lower():
        return None, ""
    if found := pattern.search(answer.body):
        line = answer.body.strip().splitlines()[0]
        return found.group(1), f"{path}: {line[:60]}"
    return None, ""
