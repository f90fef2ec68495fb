"""A call's lifecycle: the allowed moves between statuses, and the way from one to another."""

from __future__ import annotations

from hub.errors import Invalid

#: The allowed moves; anything else is refused with a 409 listing these.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("acknowledged",),
    "acknowledged": ("in_progress", "waiting_for_client", "resolved"),
    "in_progress": ("waiting_for_client", "resolved"),
    "waiting_for_client": ("in_progress", "resolved"),
    "resolved": ("closed", "reopened"),
    "closed": ("reopened",),
    "reopened": ("in_progress", "waiting_for_client", "resolved"),
}


def path(start: str, to: str) -> list[str] | None:
    """The fewest allowed moves from status ``start`` to ``to`` (``[]`` when equal), or None
    when ``to`` cannot be reached (nothing leads back to *new*)."""
    if to not in TRANSITIONS:
        raise Invalid(f"unknown status {to!r}; expected one of {', '.join(TRANSITIONS)}", "status")
    ways: dict[str, list[str]] = {start: []}
    todo = [start]
    for status in todo:  # breadth first: the first way found is a shortest one
        if status == to:
            return ways[status]
        for nxt in TRANSITIONS[status]:
            if nxt not in ways:
                ways[nxt] = [*ways[status], nxt]
                todo.append(nxt)
    return None
