"""The soak's end: what the database, the fakes and the samples say, as tables and a
pass/fail per check (see benchmarks/soak.py)."""

from __future__ import annotations

import re
import statistics
from collections import Counter
from typing import Any

import psycopg
from soak_env import Series
from soak_traffic import Record

GROWTH_LIMIT = 10.0  # per cent, after the warm-up
#: Deliveries still owed: pending and due, or waiting for a retry. A delivery the hub put
#: off on purpose and never tried (an e-mail held back until the quiet hours end) is not.
PENDING = (
    "SELECT count(*) FROM outbox WHERE state = 'pending' "
    "AND (attempts > 0 OR next_attempt_at <= now())"
)
MARKER = re.compile(r"\[soak:([0-9a-f]{12})\]")


def table(title: str, header: list[str], rows: list[list[Any]]) -> None:
    """Print a plain-text table with a title line."""
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    print(f"\n{title}")
    for n, row in enumerate(cells):
        print(
            "  "
            + "  ".join(
                c.rjust(w) if n and _numeric(c) else c.ljust(w)
                for c, w in zip(row, widths, strict=True)
            )
        )
        if n == 0:
            print("  " + "  ".join("-" * w for w in widths))


def _numeric(text: str) -> bool:
    return bool(re.fullmatch(r"[-+]?[\d,.]+%?( ms| kB| MB)?", text))


def check_events(url: str, record: Record) -> list[str]:
    """Every accepted event processed into exactly one call or note; duplicates answered
    with the first event's id; API notes in the history once. Returns the problems."""
    problems: list[str] = []
    with psycopg.connect(url) as conn:
        ids = [a.event for a in record.accepted]
        rows = {
            r[0]: r
            for r in conn.execute(
                "SELECT id, status, call_id, error FROM inbound_events WHERE id = ANY(%s)", [ids]
            )
        }
        links = {
            (s, k): (n, c)
            for s, k, n, c in conn.execute(
                "SELECT system, key, count(*), min(call_id) FROM call_links GROUP BY system, key"
            )
        }
        notes: Counter[str] = Counter()
        for (text,) in conn.execute("SELECT note FROM call_events WHERE note LIKE '%%[soak:%%'"):
            notes.update(MARKER.findall(text))
        by_state = conn.execute(
            "SELECT source, status, count(*) FROM inbound_events GROUP BY 1, 2 ORDER BY 1, 2"
        ).fetchall()
    bad: Counter[str] = Counter()
    for want in record.accepted:
        row = rows.get(want.event)
        if row is None:
            bad[f"{want.source}: event missing"] += 1
        elif row[1] != "processed":
            bad[f"{want.source}: event {row[1]} ({(row[3] or '')[:80]})"] += 1
        elif want.kind == "call":
            count, call_id = links.get((want.system, want.key), (0, None))
            if count != 1:
                bad[f"{want.source}: {count} calls linked to the ref"] += 1
            elif row[2] != call_id:
                bad[f"{want.source}: event's call is not the linked call"] += 1
        elif notes[want.marker] != 1:
            bad[f"{want.source}: note found {notes[want.marker]} times"] += 1
    for marker in record.api_notes:
        if notes[marker] != 1:
            bad[f"api: note found {notes[marker]} times"] += 1
    wrong_dups = sum(
        1 for event, seen, status in record.duplicates if status != 200 or seen != event
    )
    kinds = Counter((a.source, a.kind) for a in record.accepted)
    table(
        "Accepted webhooks → calls and notes",
        ["source", "became", "accepted (202)", "mismatches"],
        [
            [s, k, n, sum(v for p, v in bad.items() if p.startswith(s + ":"))]
            for (s, k), n in sorted(kinds.items())
        ]
        + [
            [
                "api",
                "note",
                len(record.api_notes),
                sum(v for p, v in bad.items() if p.startswith("api:")),
            ],
            ["(re-sent)", "duplicate", len(record.duplicates), wrong_dups],
        ],
    )
    table("Inbound events in the database by state", ["source", "state", "events"], by_state)
    for problem, count in bad.most_common():
        problems.append(f"{count} × {problem}")
    if wrong_dups:
        problems.append(f"{wrong_dups} re-sent deliveries not answered 200 with the first id")
    left = sum(n for _, state, n in by_state if state == "received")
    if left:
        problems.append(f"{left} inbound events still unapplied after the drain")
    return problems


def check_outbox(url: str, fakes: Any, record: Record) -> list[str]:
    """Every delivery done (with delivered_at) or dead (with last_error); nothing applied
    twice at the fakes."""
    problems: list[str] = []
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT plugin, CASE WHEN state = 'pending' AND attempts = 0 AND "
            "next_attempt_at > now() THEN 'deferred' ELSE state END, count(*), "
            "count(delivered_at), count(last_error), max(attempts) FROM outbox "
            "GROUP BY 1, 2 ORDER BY 1, 2"
        ).fetchall()
        dead = conn.execute(
            "SELECT plugin, hook, last_error, count(*) FROM outbox WHERE state = 'dead' "
            "GROUP BY 1, 2, 3 ORDER BY 4 DESC LIMIT 10"
        ).fetchall()
    table(
        "Outbox deliveries",
        ["plugin", "state", "deliveries", "delivered_at set", "with an error", "most attempts"],
        rows,
    )
    if any(state == "deferred" for _, state, *_ in rows):
        print("  deferred: never tried, held back on purpose until later (e-mail in quiet hours)")
    for plugin, state, count, delivered, errors, _ in rows:
        if state == "done" and delivered != count:
            problems.append(f"{plugin}: {count - delivered} done deliveries without delivered_at")
        elif state == "dead" and errors != count:
            problems.append(f"{plugin}: {count - errors} dead deliveries without a reason")
        elif state not in ("done", "dead", "deferred"):
            problems.append(f"{plugin}: {count} deliveries still {state} after the drain")
    if dead:
        table(
            "Dead deliveries (reason)",
            ["plugin", "hook", "last error", "n"],
            [[p, h, (e or "")[:90].replace("\n", " "), n] for p, h, e, n in dead],
        )
    sides = {"mantis": fakes.mantis_duplicates(), "jira": fakes.jira_duplicates()}
    rows_ = []
    for system, found in sides.items():
        for name, value in found.items():
            shown = value if not isinstance(value, list) else len(value)
            rows_.append([system, name, shown])
            if isinstance(value, list) and value:
                problems.append(f"{system}: {name}: {', '.join(map(str, value[:10]))}")
    try:
        rows_ += [["wiki", k, v] for k, v in fakes.wiki_edits().items()]
    except Exception as exc:  # noqa: BLE001 - the figure is informative; say why it is missing
        rows_.append(["wiki", "edits", f"not read: {exc}"])
    table(
        "At the fakes (a delivery applied twice shows as a duplicate)",
        ["system", "what", "count"],
        rows_,
    )
    mirrored = sides["mantis"]["hub notes (distinct)"]
    print(
        f"  API notes on calls of the demo's Mantis-mirrored contract: {len(record.api_notes)}, "
        f"found in Mantis: {mirrored}"
    )
    if mirrored < len(record.api_notes):
        problems.append(
            f"mantis: {len(record.api_notes) - mirrored} of {len(record.api_notes)} API notes "
            "on mirrored calls never reached Mantis"
        )
    return problems


def check_errors(record: Record) -> list[str]:
    """No 5xx; answers by kind and status; transport failures."""
    statuses = sorted({s for _, s in record.statuses})
    kinds = sorted({k for k, _ in record.statuses})
    table(
        "Answers by kind and status",
        ["kind", *map(str, statuses)],
        [[k, *(record.statuses.get((k, s), 0) for s in statuses)] for k in kinds],
    )
    problems = []
    if record.server_errors:
        routes = Counter(
            (kind, route, status) for _, kind, route, status, _ in record.server_errors
        )
        table(
            "5xx answers",
            ["kind", "route", "status", "n"],
            [[*k, n] for k, n in routes.most_common()],
        )
        for _, _, route, status, body in record.server_errors[:5]:
            print(f"  e.g. {status} {route}: {body!r}")
        problems.append(f"{len(record.server_errors)} answers were 5xx")
    if record.failures:
        table(
            "Requests without an answer",
            ["kind", "error", "n"],
            [[k, e, n] for (k, e), n in record.failures.most_common()],
        )
        problems.append(f"{sum(record.failures.values())} requests got no answer")
    return problems


def check_rss(series: dict[int, Series], warmup: float) -> list[str]:
    """Per process: RSS first/last/max and growth from its first sample after ``warmup``
    seconds of its own life to its last; at most GROWTH_LIMIT %."""
    rows, problems = [], []
    for pid, s in sorted(series.items(), key=lambda kv: kv[1].born):
        if not s.samples:
            continue
        kbs = [kb for _, kb in s.samples]
        after = [kb for t, kb in s.samples if t - s.born >= warmup]
        lived = s.samples[-1][0] - s.born
        if len(after) >= 2:
            growth = 100.0 * (after[-1] - after[0]) / after[0]
            shown = f"{growth:+.1f}%"
            if growth > GROWTH_LIMIT:
                problems.append(f"{s.label} (pid {pid}) grew {growth:.1f}% after its warm-up")
        else:
            shown = "too short"
        rows.append(
            [
                s.label,
                pid,
                f"{lived / 60:.1f}",
                len(kbs),
                _mb(kbs[0]),
                _mb(after[0]) if after else "-",
                _mb(kbs[-1]),
                _mb(max(kbs)),
                shown,
            ]
        )
    table(
        f"RSS per hub process (growth measured after the first {warmup / 60:.1f} min of "
        f"each process's life; limit +{GROWTH_LIMIT:.0f}%)",
        [
            "process",
            "pid",
            "lived min",
            "samples",
            "first",
            "after warm-up",
            "last",
            "max",
            "growth",
        ],
        rows,
    )
    return problems


def _mb(kb: int) -> str:
    return f"{kb / 1024:.1f} MB"


def totals(record: Record, seconds: float) -> None:
    """Requests per kind, rate, p50/p95 latency."""
    rows = []
    every = []
    for kind, values in sorted(record.latencies.items()):
        every += values
        rows.append(_latency_row(kind, values, seconds))
    rows.append(_latency_row("all", every, seconds))
    table("Traffic", ["kind", "requests", "per s", "p50", "p95", "max"], rows)
    if record.behind:
        print(f"  (the senders fell more than 1 s behind their schedule {record.behind} times)")


def _latency_row(kind: str, values: list[float], seconds: float) -> list[Any]:
    if not values:
        return [kind, 0, "0", "-", "-", "-"]
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return [
        kind,
        f"{len(values):,}",
        f"{len(values) / seconds:.2f}",
        f"{statistics.median(ordered) * 1e3:.1f} ms",
        f"{p95 * 1e3:.1f} ms",
        f"{ordered[-1] * 1e3:.0f} ms",
    ]
