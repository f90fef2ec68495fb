"""The audit trail: each admin action (a contract, user or tariff change, a re-drive, a
certification...) leaves one :class:`~hub.models.AuditEntry` saying who, when, what, and
the record before and after.

The entry is added to the session of the change it records and the caller's commit
writes both: a change that is rolled back leaves no entry, a committed one always has
one. The domain functions shared by the admin pages, the API and the CLI call
:func:`record` (or :func:`created` / :func:`changing`), so every way in is covered by
one call.

What an entry holds: a creation keeps the whole new record in ``after`` (``before`` is
None); a change keeps only the keys that changed, old values in ``before`` and new ones
in ``after``. The trail of one subject thus starts from its full first state and each
later entry reads as a short diff, instead of a wall of unchanged columns in which the
change has to be hunted for. A change that changes nothing is not recorded.

Who: the logged-in user's name on the admin pages; on the API the token's user with the
token's name, ``"bas (token:deploy)"``; ``"cli"`` for the command line (anything outside
a request); :func:`acting_as` names another actor for the work inside it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import g, has_request_context, request
from sqlalchemy import inspect, select

from hub import requestid
from hub.db import db
from hub.models import AuditEntry

CLI = "cli"
#: Columns never copied into the trail: hashes of passwords and tokens.
SECRET_COLUMNS = frozenset({"password_hash", "token_hash"})
_actor: ContextVar[str | None] = ContextVar("slahub_audit_actor", default=None)


@contextmanager
def acting_as(actor: str) -> Iterator[str]:
    """Record the work inside as done by ``actor`` (a script, a job)."""
    token = _actor.set(actor)
    try:
        yield actor
    finally:
        _actor.reset(token)


def current_actor() -> str:
    """Who is acting now: a bound actor, the API token's user, the logged-in user, or
    ``"cli"`` outside any request."""
    bound = _actor.get()
    if bound:
        return bound
    if not has_request_context():
        return CLI
    api_user = g.get("user")
    if api_user is not None:
        name = _token_name()
        return f"{api_user.username} (token:{name})" if name else api_user.username
    from flask_login import current_user

    if current_user.is_authenticated:
        return current_user.username
    return "anonymous"


def _token_name() -> str | None:
    """The name of the API token this request came with (looked up again by its hash
    rather than widening the API's authentication to carry the row)."""
    from hub.auth import hash_token
    from hub.models import ApiToken

    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return db.session.scalar(
        select(ApiToken.name).where(ApiToken.token_hash == hash_token(token.strip()))
    )


# --- values ------------------------------------------------------------------------------


def json_safe(value: Any) -> Any:
    """``value`` as plain JSON: dates and times in ISO 8601, Decimals as strings (exact),
    sets as sorted lists; a deep copy, so later in-place changes cannot reach the entry."""
    return json.loads(json.dumps(value, default=_plain))


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def snapshot(row: Any, **extra: Any) -> dict[str, Any]:
    """A row's column values as a JSON-safe dict (without the id and secret hashes),
    plus ``extra`` (e.g. a contract's targets, which live in another table)."""
    values = {
        attr.key: getattr(row, attr.key)
        for attr in inspect(row).mapper.column_attrs
        if attr.key != "id" and attr.key not in SECRET_COLUMNS
    }
    return json_safe(values | extra)


def diff(before: dict | None, after: dict | None) -> tuple[dict | None, dict | None]:
    """Only the keys whose values differ, on both sides (a creation or removal as is)."""
    if before is None or after is None:
        return before, after
    keys = [k for k in {**before, **after} if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


# --- recording -----------------------------------------------------------------------------


def record(
    actor: str | None,
    action: str,
    subject_kind: str,
    subject_key: str | int,
    before: dict | None,
    after: dict | None,
) -> AuditEntry | None:
    """Add an entry to the current session (the caller's commit writes it with the change).

    ``before``/``after`` are reduced to the keys that changed; when a change changed
    nothing, nothing is recorded and None is returned. ``actor`` None: :func:`current_actor`.
    """
    before, after = diff(json_safe(before), json_safe(after))
    if before is not None and after is not None and not before and not after:
        return None
    entry = AuditEntry(
        actor=(actor or current_actor())[:200],
        action=action,
        subject_kind=subject_kind,
        subject_key=str(subject_key)[:200],
        before=before,
        after=after,
        request_id=requestid.current(),
    )
    db.session.add(entry)
    return entry


def created(action: str, subject_kind: str, subject_key: str | int, row: Any, **extra: Any) -> None:
    """Record a new row: flushed first, so the database's defaults show in ``after``."""
    db.session.flush()
    record(None, action, subject_kind, subject_key, None, snapshot(row, **extra))


@contextmanager
def changing(
    action: str,
    subject_kind: str,
    subject_key: str | int,
    row: Any,
    extra: Callable[[Any], dict[str, Any]] | None = None,
) -> Iterator[None]:
    """Record the change the body makes to ``row`` (nothing when the body raises)."""
    more = extra or (lambda _row: {})
    before = snapshot(row, **more(row))
    yield
    record(None, action, subject_kind, subject_key, before, snapshot(row, **more(row)))
