"""A contract's SLA rules beyond its targets: warnings, escalation levels, line and
collegial targets, quiet hours. Stored as the contract's ``rules`` JSON; every key is
optional and falls back to the defaults here::

    {
      "warning_minutes_before": null,    # warn this many business minutes before a
                                         # target instead of at warning_percent of it
      "levels": {"P1": [{"at": -30, "do": "notify"},     # business minutes from the
                        {"at": 0, "do": "escalate"},     # target: negative is before
                        {"at": 60, "do": "manager"}]},   # per priority
      "lines": {"2-platform": {"P1": 120}},  # a line's own target (OLA) per priority;
                                             # default: the priority's resolution target
      "collegial": {"3-application": 240},   # collegial response target per line
      "next_line": {"2-platform": "3-application"},  # the contract's line plan
      "quiet_hours": ["22:00", "07:00"],     # no e-mail then (contract time zone) ...
      "quiet_exempt": ["P1"],                # ... except for these priorities
      "site_check_minutes": 1440             # how often the applications' sites are
    }                                        # checked (wall-clock minutes)

Level actions: ``notify`` (tell the people on the call), ``escalate`` (functionally, to
the next line of the line plan), ``manager`` (hierarchically, to the SLA manager).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from typing import Any

from hub.vocab import LINES, PRIORITIES

ACTIONS = ("notify", "escalate", "manager")
KEYS = ("warning_minutes_before", "levels", "lines", "collegial", "next_line", "quiet_hours",
        "quiet_exempt", "site_check_minutes")  # fmt: skip
#: Sites are checked daily unless the contract says otherwise.
DEFAULT_SITE_CHECK_MINUTES = 1440

#: A breach escalates to the next line, and an hour later to the SLA manager.
DEFAULT_LEVELS: tuple[tuple[int, str], ...] = ((0, "escalate"), (60, "manager"))
#: Business minutes a colleague has to acknowledge an internal escalation.
DEFAULT_COLLEGIAL = {
    "1-general": 30,
    "1-product": 30,
    "2-platform": 60,
    "2-application": 60,
    "3-application": 240,
}
#: The line plan: where a functional escalation goes from each line.
DEFAULT_NEXT_LINE: dict[str, str | None] = {
    "1-general": "2-application",
    "1-product": "2-application",
    "2-platform": "3-application",
    "2-application": "3-application",
    "3-application": None,
}
DEFAULT_QUIET = (time(22, 0), time(7, 0))
DEFAULT_QUIET_EXEMPT = ("P1",)


@dataclass(frozen=True)
class Rules:
    """A contract's rules, checked, with the defaults filled in."""

    warning_percent: int
    warning_minutes_before: int | None
    levels: dict[str, tuple[tuple[int, str], ...]]
    lines: dict[str, dict[str, int]]
    collegial: dict[str, int]
    next_line: dict[str, str | None]
    quiet_hours: tuple[time, time] | None
    quiet_exempt: tuple[str, ...]
    site_check_minutes: int = DEFAULT_SITE_CHECK_MINUTES

    def warning_mark(self, target: int) -> float:
        """Business minutes into a clock at which its warning fires."""
        if self.warning_minutes_before is not None:
            return max(0.0, target - self.warning_minutes_before)
        return target * self.warning_percent / 100

    def line_target(self, line: str, priority: str, resolution: int) -> int:
        return self.lines.get(line, {}).get(priority, resolution)


def _minutes(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{where}: a whole number of minutes, got {value!r}")
    if abs(value) > 525_600:
        raise ValueError(f"{where}: at most a year of minutes, got {value}")
    return value


def _clock_time(value: Any, where: str) -> time:
    match = re.fullmatch(r"(\d{2}):(\d{2})", value) if isinstance(value, str) else None
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise ValueError(f"{where}: a time HH:MM, got {value!r}")
    return time(int(match[1]), int(match[2]))


def parse_rules(rules: Mapping[str, Any] | None, warning_percent: int = 75) -> Rules:
    """Check a contract's rules JSON; a ValueError names the first wrong key."""
    rules = rules or {}
    if not isinstance(rules, Mapping):
        raise ValueError("rules: an object")
    for key in rules:
        if key not in KEYS:
            raise ValueError(f"rules: unknown key {key!r}; known: {', '.join(KEYS)}")
    before = rules.get("warning_minutes_before")
    if before is not None and _minutes(before, "warning_minutes_before") < 0:
        raise ValueError("warning_minutes_before: not negative")
    levels = {p: DEFAULT_LEVELS for p in PRIORITIES}
    for priority, steps in (rules.get("levels") or {}).items():
        if priority not in PRIORITIES:
            raise ValueError(f"levels: unknown priority {priority!r}")
        if not isinstance(steps, list) or len(steps) > 10:
            raise ValueError(f"levels.{priority}: a list of at most 10 levels")
        parsed = []
        for i, step in enumerate(steps):
            where = f"levels.{priority}[{i}]"
            if not isinstance(step, Mapping) or set(step) != {"at", "do"}:
                raise ValueError(f'{where}: an object {{"at": minutes, "do": action}}')
            if step["do"] not in ACTIONS:
                raise ValueError(f"{where}.do: one of {', '.join(ACTIONS)}")
            parsed.append((_minutes(step["at"], f"{where}.at"), step["do"]))
        levels[priority] = tuple(sorted(parsed))
    lines: dict[str, dict[str, int]] = {}
    for line, targets in (rules.get("lines") or {}).items():
        if line not in LINES or not isinstance(targets, Mapping):
            raise ValueError(f"lines: {line!r} is not a line with targets per priority")
        for priority, minutes in targets.items():
            if priority not in PRIORITIES or _minutes(minutes, f"lines.{line}.{priority}") < 1:
                raise ValueError(f"lines.{line}: {priority!r} needs a target of 1 minute or more")
        lines[line] = dict(targets)
    collegial = dict(DEFAULT_COLLEGIAL)
    for line, minutes in (rules.get("collegial") or {}).items():
        if line not in LINES or _minutes(minutes, f"collegial.{line}") < 1:
            raise ValueError(f"collegial: {line!r} needs a line and a target of 1 minute or more")
        collegial[line] = minutes
    next_line = dict(DEFAULT_NEXT_LINE)
    for line, to in (rules.get("next_line") or {}).items():
        if line not in LINES or (to is not None and to not in LINES):
            raise ValueError(f"next_line: {line!r} → {to!r} is not a move between lines")
        if to is not None and LINES.index(to) <= LINES.index(line):
            raise ValueError(f"next_line: {line} → {to} does not go up")
        next_line[line] = to
    quiet: tuple[time, time] | None = DEFAULT_QUIET
    if "quiet_hours" in rules:
        value = rules["quiet_hours"]
        if value is None:
            quiet = None
        elif isinstance(value, list) and len(value) == 2:
            quiet = (
                _clock_time(value[0], "quiet_hours[0]"),
                _clock_time(value[1], "quiet_hours[1]"),
            )
        else:
            raise ValueError('quiet_hours: ["HH:MM", "HH:MM"] or null')
    exempt = rules.get("quiet_exempt", list(DEFAULT_QUIET_EXEMPT))
    if not isinstance(exempt, list) or any(p not in PRIORITIES for p in exempt):
        raise ValueError(f"quiet_exempt: a list of priorities ({', '.join(PRIORITIES)})")
    every = rules.get("site_check_minutes", DEFAULT_SITE_CHECK_MINUTES)
    if _minutes(every, "site_check_minutes") < 5:
        raise ValueError("site_check_minutes: at least 5 minutes between checks of a site")
    return Rules(
        site_check_minutes=every,
        warning_percent=warning_percent,
        warning_minutes_before=before,
        levels=levels,
        lines=lines,
        collegial=collegial,
        next_line=next_line,
        quiet_hours=quiet,
        quiet_exempt=tuple(exempt),
    )
