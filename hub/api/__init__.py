"""The JSON API under ``/api/v1``: bearer tokens, paging, validation, errors."""

from __future__ import annotations

import importlib
import json
import math
import pkgutil
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, current_app, g, request
from pydantic import BaseModel, ValidationError
from sqlalchemy import Select, func, select

from hub.auth import user_for_token
from hub.db import db
from hub.errors import Forbidden, Invalid, NotFound, Unauthorized
from hub.models import User

bp = Blueprint("api", __name__, url_prefix="/api/v1")
M = TypeVar("M", bound=BaseModel)

#: Endpoints that answer without a token.
PUBLIC = {"api.openapi"}
#: The largest id a row can have (the id columns are 32-bit INTEGER on PostgreSQL).
MAX_ID = 2**31 - 1


def doc(
    summary: str,
    *,
    body: type[BaseModel] | None = None,
    query: dict[str, dict[str, Any]] | None = None,
    roles: tuple[str, ...] = (),
) -> Callable[[Callable], Callable]:
    """Describe a view for the OpenAPI document and state the roles it needs."""

    def mark(view: Callable) -> Callable:
        view.api_doc = {"summary": summary, "body": body, "query": query or {}, "roles": roles}
        return view

    return mark


@bp.before_request
def authenticate() -> None:
    if request.endpoint in PUBLIC:
        return
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("missing bearer token (Authorization: Bearer <token>)", "Authorization")
    user = user_for_token(token.strip())
    if user is None:
        raise Unauthorized("unknown or revoked token", "Authorization")
    if db.session.dirty:  # the token's last use was noted; keep it even if the request fails
        db.session.commit()
    g.user = user
    view = current_app.view_functions.get(request.endpoint)
    roles = getattr(view, "api_doc", {}).get("roles", ())
    if roles and user.role not in roles:
        raise Forbidden(f"role {user.role} may not do this; needs one of {', '.join(roles)}")


@bp.before_request
def check_url() -> None:
    """Refuse URL values no database can look up: NUL characters and ids beyond INTEGER.

    PostgreSQL rejects both with a driver error, which would otherwise be a 500.
    """
    for name, value in (request.view_args or {}).items():
        if isinstance(value, int) and value > MAX_ID:
            raise NotFound(f"no {name} {value}", name)
        if isinstance(value, str) and "\x00" in value:
            raise Invalid(f"{name} contains a NUL character", name)
    for name, value in request.args.items(multi=True):
        if "\x00" in value:
            raise Invalid(f"{name} contains a NUL character", name)


def current_user() -> User:
    return g.user


def actor() -> str:
    return f"api:{g.user.username}"


def parse(model: type[M]) -> M:
    """The request body as ``model``; 400 for bad JSON, 422 naming the bad field."""
    raw = request.get_data(cache=True)
    if not raw:
        raise Invalid("request body is empty; a JSON object is expected", "body")
    try:
        loose = json.loads(raw)
    except (ValueError, RecursionError):
        loose = None  # not JSON: the schema below says so in its own words
    # Before the schema: a NUL or an infinite number is named where it is, also inside
    # free-form objects whose own checks would otherwise speak first.
    _storable(loose, "")
    try:
        data = model.model_validate_json(raw, strict=True)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        if err["type"] == "json_invalid":
            raise Invalid(f"body is not valid JSON: {err['msg']}", "body", status=400) from None
        field = ".".join(str(p) for p in err["loc"]) or "body"
        raise Invalid(f"{field}: {err['msg'].removeprefix('Value error, ')}", field) from None
    return data


def _storable(value: Any, path: str) -> None:
    """Refuse what a database cannot store: NUL characters (PostgreSQL text) and NaN or
    infinite numbers (JSON columns), which free-form fields such as ``calendar`` admit."""
    field = path or "body"
    if isinstance(value, str) and "\x00" in value:
        raise Invalid(f"{field} contains a NUL character", field)
    if isinstance(value, float) and not math.isfinite(value):
        raise Invalid(f"{field} is not a finite number", field)
    if isinstance(value, dict):
        for key, item in value.items():
            _storable(key, path)
            _storable(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _storable(item, f"{path}.{index}" if path else str(index))


def query_int(name: str, default: int, low: int, high: int) -> int:
    """A whole-number query argument in ``low..high`` (ASCII digits only: ``int()`` takes
    other Unicode digits and refuses very long ones)."""
    value = request.args.get(name)
    if value is None:
        return default
    digits = value.isascii() and value.isdigit() and len(value) <= len(str(high))
    if not digits or not low <= int(value) <= high:
        raise Invalid(f"{name} must be a whole number from {low} to {high}", name)
    return int(value)


def paged(stmt: Select, render: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    """One page of ``stmt`` (``?page=&per_page=``) with the total count."""
    cfg = current_app.config
    page = query_int("page", 1, 1, 1_000_000)
    per_page = query_int("per_page", cfg["API_PAGE_SIZE"], 1, cfg["API_MAX_PAGE_SIZE"])
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return {"items": [render(r) for r in rows], "page": page, "per_page": per_page, "total": total}


PAGING = {
    "page": {"type": "integer", "minimum": 1, "maximum": 1_000_000},
    "per_page": {"type": "integer", "minimum": 1, "maximum": 500},
}

# Every module of this package registers its routes on ``bp`` when imported (a new
# resource is a new module here); ``render`` and ``schemas`` only define helpers.
for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
