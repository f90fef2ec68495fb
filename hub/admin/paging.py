"""One page of a list in the admin pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import request
from sqlalchemy import Select, func, select

from hub.db import db

#: Past this page number a list shows its first page (an offset no database refuses).
MAX_PAGE = 10**6


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    number: int
    pages: int
    total: int


def requested_page() -> int:
    """The ``page`` query argument; anything but a sensible page number means page 1."""
    arg = request.args.get("page", "1")
    return int(arg) if arg.isdigit() and 0 < int(arg) <= MAX_PAGE else 1


def page_of(stmt: Select, size: int) -> Page:
    """The requested page of ``stmt``'s rows, with the count of all of them."""
    number = requested_page()
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = db.session.scalars(stmt.limit(size).offset((number - 1) * size)).all()
    return Page(list(rows), number, max(1, -(-total // size)), total)
