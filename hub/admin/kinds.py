"""The directory's record kinds as the admin pages see them: their fields, their schemas,
how a form's data becomes a service call, and what a list shows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select

from hub import directory, i18n
from hub.admin import terms
from hub.admin.forms import Field, choices
from hub.api import schemas
from hub.db import db
from hub.models import Application, Client, Contract, Person
from hub.sla.clocks import DEFAULT_CALENDAR
from hub.vocab import (
    LINE_TITLES,
    LINES,
    PERSON_KINDS,
    PERSON_ROLES,
    PRIORITIES,
    PRODUCT_LINES,
    SERVICES,
)

KEY_RULE = "lower-case letters, digits, dots, dashes and underscores; up to 64"


def key_field(name: str = "key", label: str = "Key") -> Field:
    return Field(name, label, required=True, maxlength=64, pattern_message=KEY_RULE,
                 help="Used in links and by the trackers; it cannot change later.")  # fmt: skip


def client_choice() -> Field:
    keys = db.session.scalars(select(Client.key).order_by(Client.key)).all()
    return Field("client", "Client", "select", choices(keys), required=True)


@dataclass(frozen=True)
class Kind:
    """One kind of record in the directory and how its pages handle it."""

    name: str  # "client": also the endpoint prefix (admin.client_list, ...)
    plural: str
    model: type
    key: str  # the column that names a record in URLs
    columns: tuple[tuple[str, Callable[[Any], Any]], ...]
    create_fields: Callable[[], list[Field]]
    edit_fields: Callable[[], list[Field]]
    create_schema: type[BaseModel]
    patch_schema: type[BaseModel]
    create: Callable[..., Any]
    update: Callable[..., Any]
    initial: Callable[[Any], dict[str, Any]]
    #: Whether a client viewer may see the records of its own client.
    client_visible: bool = False
    #: Turns the form's data into the schema's (given the record being edited, if any),
    #: with errors by field: for inputs that are not the schema's own shape.
    prepare: Callable[[dict, Any], tuple[dict, dict]] | None = None

    @property
    def title(self) -> str:
        return self.name.capitalize()


# --- clients ---------------------------------------------------------------------------


def _language() -> Field:
    offered = tuple((code, i18n.NAMES.get(code, code)) for code in i18n.supported())
    return Field("language", "Language", "select", offered,
                 help=i18n.N_("Its e-mail and wiki pages; empty: the hub's default."))  # fmt: skip


CLIENT = Kind(
    name="client",
    plural="clients",
    model=Client,
    key="key",
    columns=(("Key", lambda c: c.key), ("Name", lambda c: c.name)),
    create_fields=lambda: [key_field(), Field("name", "Name", required=True), _language()],
    edit_fields=lambda: [Field("name", "Name", required=True), _language()],
    create_schema=schemas.ClientIn,
    patch_schema=schemas.ClientPatch,
    create=directory.create_client,
    update=directory.rename_client,
    initial=lambda c: {"name": c.name, "language": c.language},
    client_visible=True,
)

# --- contracts -------------------------------------------------------------------------

SERVICE_CHOICES = choices(SERVICES)


def _contract_fields(*, new: bool) -> list[Field]:
    head = [client_choice(), key_field("reference", "Reference")] if new else []
    targets = [
        Field(f"targets.{p}.{what}_minutes", f"{p} {what} (minutes)", "number", required=True)
        for p in PRIORITIES
        for what in ("response", "resolution")
    ]
    return head + [
        Field("name", "Name", required=True),
        Field("timezone", "Time zone", required=True, maxlength=64,
              help="An IANA name such as Europe/Amsterdam."),
        Field("availability", "Availability", "textarea", maxlength=2000,
              help="When the client can be reached, in words."),
        Field("services", "Services", "checkboxes", SERVICE_CHOICES),
        Field("warning_percent", "Warn at (% of a target)", "number", required=True),
        Field("fixed_fee", "Fixed fee (EUR per year)", "decimal", required=True, maxlength=16),
        Field("hours_card", "Hours card (hours)", "decimal", required=True, maxlength=16),
        Field("valid_from", "Valid from", "date", required=True),
        Field("valid_until", "Valid until", "date"),
        *targets,
        *terms.fields(),
    ]  # fmt: skip


def _contract_terms(data: dict, row: Contract | None) -> tuple[dict, dict]:
    zone = data.get("timezone") or (row.timezone if row else None)
    return terms.prepare(data, zone, row.calendar if row else {})


def _contract_initial(c: Contract) -> dict[str, Any]:
    values = {
        "name": c.name,
        "timezone": c.timezone,
        "availability": c.availability,
        "services": list(c.services),
        "warning_percent": c.warning_percent,
        "fixed_fee": str(c.fixed_fee),
        "hours_card": str(c.hours_card),
        "valid_from": c.valid_from.isoformat(),
        "valid_until": c.valid_until.isoformat() if c.valid_until else None,
    }
    for t in c.targets:
        values[f"targets.{t.priority}.response_minutes"] = t.response_minutes
        values[f"targets.{t.priority}.resolution_minutes"] = t.resolution_minutes
    return values | terms.initial(c.calendar or DEFAULT_CALENDAR, c.rules or {})


CONTRACT = Kind(
    name="contract",
    plural="contracts",
    model=Contract,
    key="reference",
    columns=(
        ("Reference", lambda c: c.reference),
        ("Client", lambda c: c.client.key),
        ("Name", lambda c: c.name),
        ("Valid", lambda c: f"{c.valid_from} – {c.valid_until or 'open'}"),
    ),
    create_fields=lambda: _contract_fields(new=True),
    edit_fields=lambda: _contract_fields(new=False),
    create_schema=schemas.ContractIn,
    patch_schema=schemas.ContractPatch,
    create=directory.create_contract,
    update=directory.update_contract,
    initial=_contract_initial,
    client_visible=True,
    prepare=_contract_terms,
)

# --- applications ----------------------------------------------------------------------


def _application_fields(*, new: bool) -> list[Field]:
    head = [client_choice(), key_field()] if new else []
    return head + [
        Field("name", "Name", required=True),
        Field("url", "Address (URL)", "url", maxlength=490, help="https://…",
              pattern_message="an http:// or https:// address without spaces"),
        Field("product_line", "Product line", "select", choices(PRODUCT_LINES), required=True),
        Field("platform_provider", "Platform provider (hosting)"),
    ]  # fmt: skip


APPLICATION = Kind(
    name="application",
    plural="applications",
    model=Application,
    key="key",
    columns=(
        ("Key", lambda a: a.key),
        ("Client", lambda a: a.client.key),
        ("Name", lambda a: a.name),
        ("Product line", lambda a: a.product_line),
    ),
    create_fields=lambda: _application_fields(new=True),
    edit_fields=lambda: _application_fields(new=False),
    create_schema=schemas.ApplicationIn,
    patch_schema=schemas.ApplicationPatch,
    create=directory.create_application,
    update=directory.update_application,
    initial=lambda a: {
        "name": a.name,
        "url": a.url,
        "product_line": a.product_line,
        "platform_provider": a.platform_provider,
    },
    client_visible=True,
)

# --- people ----------------------------------------------------------------------------


def _person_fields(*, new: bool) -> list[Field]:
    head = [key_field()] if new else []
    tail = [] if new else [Field("active", "Active", "checkbox")]
    return head + [
        Field("name", "Name", required=True),
        Field("email", "E-mail", "email", maxlength=254,
              pattern_message="an e-mail address such as name@example.org"),
        Field("kind", "Kind", "select", choices(PERSON_KINDS), required=True),
        Field("organisation", "Organisation"),
        Field("lines", "Lines", "checkboxes", choices(LINES, LINE_TITLES)),
        Field("roles", "Roles", "checkboxes", choices(PERSON_ROLES)),
        *tail,
    ]  # fmt: skip


PERSON = Kind(
    name="person",
    plural="people",
    model=Person,
    key="key",
    columns=(
        ("Key", lambda p: p.key),
        ("Name", lambda p: p.name),
        ("Kind", lambda p: p.kind),
        ("Lines", lambda p: ", ".join(p.lines)),
        ("Active", lambda p: "yes" if p.active else "no"),
    ),
    create_fields=lambda: _person_fields(new=True),
    edit_fields=lambda: _person_fields(new=False),
    create_schema=schemas.PersonIn,
    patch_schema=schemas.PersonPatch,
    create=directory.create_person,
    update=directory.update_person,
    initial=lambda p: {
        "name": p.name,
        "email": p.email,
        "kind": p.kind,
        "organisation": p.organisation,
        "lines": list(p.lines),
        "roles": list(p.roles),
        "active": p.active,
    },
)

KINDS = (CLIENT, CONTRACT, APPLICATION, PERSON)
