"""Finding calls: the filters and text search that the API and the admin list share."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Select, or_, select

from hub.calls import check
from hub.errors import Invalid
from hub.models import Call, Client, Person
from hub.vocab import LINES, PRIORITIES, STATUSES


def search(filters: Mapping[str, str], *, client_id: int | None = None) -> Select:
    """Calls matching ``filters`` (client, status, line, priority, assignee keys and a text
    ``q`` in title or description), newest first; only ``client_id``'s when given."""
    stmt = select(Call).order_by(Call.id.desc())
    for name, allowed in (("status", STATUSES), ("line", LINES), ("priority", PRIORITIES)):
        if filters.get(name):
            stmt = stmt.where(getattr(Call, name) == check(filters[name], allowed, name))
    if filters.get("client"):
        stmt = stmt.join(Client, Call.client_id == Client.id).where(Client.key == filters["client"])
    if filters.get("assignee"):
        stmt = stmt.join(Person, Call.assignee_id == Person.id).where(
            Person.key == filters["assignee"]
        )
    if text := filters.get("q"):
        if len(text) > 200:
            raise Invalid("q is longer than 200 characters", "q")
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        escaped = (
            Call.title.ilike(pattern, escape="\\"),
            Call.description.ilike(pattern, escape="\\"),
        )
        stmt = stmt.where(or_(*escaped))
    if client_id is not None:
        stmt = stmt.where(Call.client_id == client_id)
    return stmt
