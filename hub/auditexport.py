"""Reading the audit trail: the filters the admin page, the API and ``slahub audit export``
share, newest first, and the trail as JSON or CSV.

Exports are generators of text chunks over a ``yield_per`` query, so the CLI writes a long
trail to its file without holding it whole. The web answers join the chunks in the view: a
streamed answer would read the database after the view returned, and one its reader drops
unread leaves a generator to be closed outside any context (a trail of an agency's admin
actions stays a few megabytes for years).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import Select, func, select

from hub.db import db
from hub.errors import Invalid
from hub.models import AuditEntry

#: The filters by name, as query arguments and CLI options take them.
FILTERS = ("subject_kind", "subject_key", "actor", "action", "since", "until")
CSV_COLUMNS = (
    "id", "at", "actor", "action", "subject_kind", "subject_key", "request_id", "before", "after",
)  # fmt: skip
MAX_TEXT = 200


@dataclass(frozen=True)
class Filters:
    """What to show. ``actor`` matches part of the name (any case), so "bas" finds
    "bas (token:deploy)" too; ``action`` without a dot matches every action on that
    kind ("contract" → contract.create, contract.update); ``since``/``until`` are
    inclusive (a bare date until its day's end), in UTC."""

    subject_kind: str | None = None
    subject_key: str | None = None
    actor: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    @classmethod
    def parse(cls, args: Mapping[str, Any]) -> Filters:
        """From query arguments or options; 422 naming the argument that is wrong."""
        text = {}
        for name in FILTERS:
            value = (args.get(name) or "").strip()
            if len(value) > MAX_TEXT or "\x00" in value:
                raise Invalid(f"{name} is too long or not text", name)
            text[name] = value or None
        since, until = _instant(text.pop("since"), "since"), _instant(text.pop("until"), "until")
        if since and until and until < since:
            raise Invalid("until is before since", "until")
        return cls(**text, since=since, until=until)

    def query(self) -> dict[str, str]:
        """The filters as query arguments (for links to other pages and exports)."""
        out = {n: getattr(self, n) for n in FILTERS[:4] if getattr(self, n)}
        for name in ("since", "until"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name).isoformat()
        return out


def _instant(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        found = datetime.fromisoformat(value)
        if name == "until" and len(value) == 10:  # a bare date: up to its day's end
            found = datetime.combine(date.fromisoformat(value), time.max)
        return (found if found.tzinfo else found.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):
        raise Invalid(f"{name} must be a date (2026-12-31) or an ISO date and time", name) from None


def statement(filters: Filters) -> Select:
    """The entries ``filters`` select, newest first."""
    stmt = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    f = filters
    if f.subject_kind:
        stmt = stmt.where(AuditEntry.subject_kind == f.subject_kind)
    if f.subject_key:
        stmt = stmt.where(AuditEntry.subject_key == f.subject_key)
    if f.actor:
        escaped = f.actor.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(func.lower(AuditEntry.actor).like(f"%{escaped}%", escape="\\"))
    if f.action:
        if "." in f.action:
            stmt = stmt.where(AuditEntry.action == f.action)
        else:
            stmt = stmt.where(AuditEntry.action.startswith(f"{f.action}.", autoescape=True))
    if f.since:
        stmt = stmt.where(AuditEntry.at >= f.since)
    if f.until:
        stmt = stmt.where(AuditEntry.at <= f.until)
    return stmt


def entries(filters: Filters) -> Iterator[AuditEntry]:
    """Every selected entry, fetched in batches."""
    return iter(db.session.scalars(statement(filters).execution_options(yield_per=500)))


def as_dict(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": entry.at.isoformat(),
        "actor": entry.actor,
        "action": entry.action,
        "subject_kind": entry.subject_kind,
        "subject_key": entry.subject_key,
        "request_id": entry.request_id,
        "before": entry.before,
        "after": entry.after,
    }


def changes(entry: AuditEntry) -> list[tuple[str, Any, Any]]:
    """(key, before, after) for each key the entry names, for a readable diff."""
    before, after = entry.before or {}, entry.after or {}
    keys = sorted({*before, *after})
    return [(k, before.get(k), after.get(k)) for k in keys]


def json_chunks(rows: Iterable[AuditEntry]) -> Iterator[str]:
    """A JSON array of the entries, one entry per line, streamed."""
    yield "["
    for n, entry in enumerate(rows):
        yield ("," if n else "") + "\n" + json.dumps(as_dict(entry), ensure_ascii=False)
    yield "\n]\n"


def csv_chunks(rows: Iterable[AuditEntry]) -> Iterator[str]:
    """A CSV file with a header line; before and after as JSON in their cells."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(CSV_COLUMNS)
    yield flush()
    for entry in rows:
        row = as_dict(entry)
        for side in ("before", "after"):
            row[side] = "" if row[side] is None else json.dumps(row[side], ensure_ascii=False)
        writer.writerow([row[c] if row[c] is not None else "" for c in CSV_COLUMNS])
        yield flush()


EXPORTS = {"json": (json_chunks, "application/json"), "csv": (csv_chunks, "text/csv")}


def stream(fmt: str, filters: Filters) -> Iterator[str]:
    """The export of the selected entries as text chunks (``fmt``: json or csv)."""
    chunks, _ = EXPORTS[fmt]
    return chunks(entries(filters))
