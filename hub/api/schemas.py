"""Request bodies of the API, validated strictly (wrong types are refused, not coerced)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from hub.sla.rules import parse_rules
from hub.sla.spec import parse_spec

Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")]
#: An outside system's name in a call link (the column holds 50 characters).
System = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{0,49}$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
LongText = Annotated[str, StringConstraints(max_length=100_000)]
Short = Annotated[str, StringConstraints(max_length=200)]
Priority = Literal["P1", "P2", "P3", "P4"]
Category = Literal["question", "incident", "problem", "change"]
Line = Literal["1-general", "1-product", "2-platform", "2-application", "3-application"]
Status = Literal[
    "new", "acknowledged", "in_progress", "waiting_for_client", "resolved", "closed", "reopened"
]
Service = Literal[
    "helpdesk",
    "incident_management",
    "problem_management",
    "configuration_management",
    "change_management",
    "release_management",
]
Minutes = Annotated[int, Field(ge=1, le=525_600)]
Money = Annotated[Decimal, Field(ge=0, le=Decimal("9999999999.99"), decimal_places=2)]
#: The hours card's column is NUMERIC(10, 2): two digits fewer than the fee's.
HoursMoney = Annotated[Decimal, Field(ge=0, le=Decimal("99999999.99"), decimal_places=2)]
Url = Annotated[str, StringConstraints(pattern=r"^https?://[^\s]{1,490}$")]


class In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LinkIn(In):
    system: System
    key: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    url: Url | None = None


class CallCreate(In):
    client: Key
    title: Title
    priority: Priority = "P3"
    category: Category = "incident"
    description: LongText = ""
    application: Key | None = None
    line: Line | None = None
    reporter: Short | None = None
    assignee: Key | None = None
    links: Annotated[list[LinkIn], Field(max_length=20)] = []


class CallPatch(In):
    title: Title | None = None
    priority: Priority | None = None
    category: Category | None = None
    line: Line | None = None
    assignee: Key | None = None
    note: LongText | None = None

    @field_validator("title", "priority", "category", "line")
    @classmethod
    def _no_nulls(cls, value: str | None) -> str:
        """Only the assignee and the note may be null (a field-level check names the field)."""
        if value is None:
            raise ValueError("cannot be null")
        return value


class TransitionIn(In):
    to: Status
    note: LongText | None = None


#: Text that must say something (a note, a cause): not empty once stripped.
Words = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100_000)]


class NoteIn(In):
    note: Words


class TimeIn(In):
    person: Key
    minutes: Annotated[int, Field(ge=1, le=1440)]
    note: LongText | None = None


class DocumentIn(In):
    cause: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100_000)
    ]
    resolution: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100_000)
    ]


class EscalationIn(In):
    kind: Literal["functional", "hierarchical"]
    to_line: Line | None = None
    to_person: Key | None = None
    reason: LongText | None = None


def _check_language(value: str | None) -> str | None:
    """One of the hub's ``LANGUAGES`` (a setting, so checked when a request is parsed)."""
    offered = current_app.config["LANGUAGES"]
    if value is not None and value not in offered:
        raise ValueError(f"one of {', '.join(offered)} (or null: the hub's default)")
    return value


#: The client's language for its e-mail and wiki pages; None: the hub's DEFAULT_LANGUAGE.
Language = Annotated[str | None, AfterValidator(_check_language)]


class ClientIn(In):
    key: Key
    name: Name
    language: Language = None


class ClientPatch(In):
    name: Name
    language: Language = None


class ContactIn(In):
    name: Name
    email: Annotated[str, StringConstraints(pattern=r"^[^@\s]{1,64}@[^@\s]{1,189}$")] | None = None
    phone: Annotated[str, StringConstraints(max_length=50)] | None = None
    role: Annotated[str, StringConstraints(max_length=100)] | None = None


class TargetIn(In):
    response_minutes: Minutes
    resolution_minutes: Minutes

    @model_validator(mode="after")
    def _order(self) -> TargetIn:
        if self.resolution_minutes < self.response_minutes:
            raise ValueError("resolution_minutes is shorter than response_minutes")
        return self


def _check_zone(value: str | None) -> str | None:
    if value is None:
        return value
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}") from None
    return value


class ContractPatch(In):
    name: Name | None = None
    timezone: Annotated[str, StringConstraints(max_length=64)] | None = None
    calendar: dict[str, Any] | None = None
    availability: Annotated[str, StringConstraints(max_length=2000)] | None = None
    services: Annotated[list[Service], Field(max_length=10)] | None = None
    warning_percent: Annotated[int, Field(ge=1, le=99)] | None = None
    fixed_fee: Money | None = None
    hours_card: HoursMoney | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    targets: dict[Priority, TargetIn] | None = None
    rules: dict[str, Any] | None = None

    _zone = field_validator("timezone")(_check_zone)

    @field_validator("calendar")
    @classmethod
    def _calendar(cls, value: dict | None, info: ValidationInfo) -> dict | None:
        """The calendar format of :mod:`hub.sla.spec`; the message names what is wrong."""
        if value is not None:
            parse_spec(info.data.get("timezone") or "Europe/Amsterdam", value)
        return value

    @field_validator("rules")
    @classmethod
    def _rules(cls, value: dict | None) -> dict | None:
        """The SLA rules format of :mod:`hub.sla.rules`."""
        if value is not None:
            parse_rules(value)
        return value

    @field_validator("valid_until")
    @classmethod
    def _dates(cls, value: date | None, info: ValidationInfo) -> date | None:
        """Checked on the field (valid_from comes first) so that the error names it."""
        start = info.data.get("valid_from")
        if start and value and value < start:
            raise ValueError("valid_until is before valid_from")
        return value


class ContractIn(ContractPatch):
    client: Key
    reference: Key
    name: Name
    timezone: Annotated[str, StringConstraints(max_length=64)] = "Europe/Amsterdam"
    valid_from: date
    targets: dict[Priority, TargetIn]

    @field_validator("targets")
    @classmethod
    def _all_priorities(cls, value: dict[str, TargetIn]) -> dict[str, TargetIn]:
        missing = [p for p in ("P1", "P2", "P3", "P4") if p not in value]
        if missing:
            raise ValueError(f"targets lacks {', '.join(missing)}")
        return value


class MemberIn(In):
    person: Key
    role: Annotated[str, StringConstraints(min_length=1, max_length=50)]


class ApplicationPatch(In):
    name: Name | None = None
    url: Url | None = None
    product_line: Literal["drupal", "joomla", "lamp", "other"] | None = None
    platform_provider: Short | None = None
    team: Annotated[list[MemberIn], Field(max_length=50)] | None = None


class ApplicationIn(ApplicationPatch):
    client: Key
    key: Key
    name: Name


PersonRole = Literal[
    "sla_manager", "project_lead", "developer", "trainer", "platform_provider", "first_line"
]


class PersonPatch(In):
    name: Name | None = None
    email: Annotated[str, StringConstraints(pattern=r"^[^@\s]{1,64}@[^@\s]{1,189}$")] | None = None
    kind: Literal["staff", "associate", "external"] | None = None
    organisation: Short | None = None
    lines: Annotated[list[Line], Field(max_length=5)] | None = None
    roles: Annotated[list[PersonRole], Field(max_length=6)] | None = None
    active: bool | None = None


class PersonIn(PersonPatch):
    key: Key
    name: Name
