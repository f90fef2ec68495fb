"""Admin forms: fields described once, read from the posted form, checked by the API's
own pydantic schemas, and every error put beside the field it belongs to.

Why not WTForms classes: the rules already live in :mod:`hub.api.schemas` (and the
services); a second set in WTForms would drift from them. CSRF stays Flask-WTF's
(``CSRFProtect`` covers every admin POST).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from werkzeug.datastructures import MultiDict

from hub.errors import HubError

#: The key where an error that belongs to no single field goes.
FORM = "_form"


@dataclass(frozen=True)
class Field:
    """One input of a form.

    ``name`` is a dotted path into the data (``targets.P1.response_minutes``); ``kind`` is
    one of text, textarea, select, checkboxes, checkbox, number, decimal, date, email, url.
    """

    name: str
    label: str
    kind: str = "text"
    choices: tuple[tuple[str, str], ...] = ()
    required: bool = False
    help: str = ""
    #: Shown instead of pydantic's message when the value does not match the pattern.
    pattern_message: str = ""
    maxlength: int | None = 200

    @property
    def id(self) -> str:
        return "f-" + self.name.replace(".", "-").replace("_", "-")


def choices(values: Iterable[str], titles: Mapping[str, str] | None = None) -> tuple:
    titles = titles or {}
    return tuple((v, titles.get(v, v.replace("_", " "))) for v in values)


def _set(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        data = data.setdefault(part, {})
    data[last] = value


def read(fields: Iterable[Field], form: MultiDict) -> tuple[dict, dict[str, str], dict]:
    """The posted values as data for a schema, the errors found on the way (a required
    field left empty, a number that is not one) and the raw values to show again.

    An empty optional input becomes None: "no value", which a patch uses to clear it.
    """
    data: dict[str, Any] = {}
    errors: dict[str, str] = {}
    raw: dict[str, Any] = {}
    for field in fields:
        if field.kind == "checkboxes":
            value: Any = form.getlist(field.name)
            raw[field.name] = value
        elif field.kind == "checkbox":
            value = field.name in form
            raw[field.name] = value
        else:
            text = form.get(field.name, "")
            raw[field.name] = text
            value = text.strip() if field.kind != "textarea" else text
            if value.strip() == "":
                value = None
            elif field.kind == "number":
                try:
                    value = int(value)
                except ValueError:
                    errors[field.name] = "a whole number, please"
        if field.required and value in (None, []):
            errors[field.name] = "required"
        _set(data, field.name, value)
    return data, errors, raw


def drop_none(data: dict[str, Any]) -> dict[str, Any]:
    """Leave out the inputs left empty, so that a new record takes the schema's defaults."""
    out = {}
    for key, value in data.items():
        if isinstance(value, dict):
            value = drop_none(value)
        if value is not None:
            out[key] = value
    return out


def validate(
    schema: type[BaseModel], data: dict, fields: Iterable[Field]
) -> tuple[BaseModel | None, dict[str, str]]:
    """Check ``data`` with ``schema``; errors keyed by the field they belong to."""
    try:
        return schema.model_validate(data), {}
    except ValidationError as exc:
        fields = list(fields)
        errors: dict[str, str] = {}
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"])
            field = _field_for(where, fields)
            message = error["msg"].removeprefix("Value error, ")
            if field and error["type"] == "string_pattern_mismatch" and field.pattern_message:
                message = field.pattern_message
            key = field.name if field else FORM
            if key == FORM and where:
                message = f"{where}: {message}"
            errors.setdefault(key, message)
        return None, errors


def _field_for(where: str, fields: list[Field]) -> Field | None:
    """The field an error location names or lies in (``services.1``: an item of a list),
    else the first field under it (``targets.P1``: a nested object)."""
    by_name = {f.name: f for f in fields}
    parts = where.split(".")
    for end in range(len(parts), 0, -1):
        if (field := by_name.get(".".join(parts[:end]))) is not None:
            return field
    return next((f for f in fields if where and f.name.startswith(where + ".")), None)


def refusal(exc: HubError, fields: Iterable[Field]) -> dict[str, str]:
    """A service's refusal as a form error beside the field it names."""
    names = {f.name for f in fields}
    if exc.field in names:
        return {exc.field: exc.message}
    return {FORM: f"{exc.field + ': ' if exc.field else ''}{exc.message}"}
