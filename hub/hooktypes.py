"""The named objects that hooks receive and return.

Hooks get plain data, never ORM rows: a plugin cannot write the core's tables, and an
outbox payload (JSON) turns back into the same objects in the worker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class ExternalRef:
    """A call's reference in an outside system, e.g. ``ExternalRef("mantis", "123")``."""

    system: str
    key: str
    url: str | None = None


@dataclass(frozen=True)
class CallView:
    """A snapshot of a call as it was when the hook was caused; its ``links`` are as they
    are when the delivery is made (a tracker issue an earlier delivery created counts)."""

    id: int
    source: str
    client: str
    contract: str | None
    application: str | None
    title: str
    description: str
    reporter: str | None
    priority: str
    category: str
    line: str
    assignee: str | None
    status: str
    created_at: str
    links: tuple[ExternalRef, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CallView:
        data = dict(data)
        data["links"] = tuple(ExternalRef(**link) for link in data.get("links", ()))
        return cls(**data)


@dataclass(frozen=True)
class Change:
    """What changed on a call: ``fields`` maps a field to ``{"from": .., "to": ..}``."""

    actor: str
    fields: dict[str, dict[str, Any]]
    note: str | None = None


@dataclass(frozen=True)
class Escalation:
    """An escalation: ``functional`` (to another line) or ``hierarchical`` (to the SLA
    manager); or an SLA alert on one of the call's clocks: ``warning`` (a target is near)
    or ``breach`` (a target passed). ``recipients`` are the e-mail addresses of the people
    the core wants told; ``clock`` names the clock of an alert."""

    actor: str
    kind: str
    from_line: str
    to_line: str
    to_person: str | None = None
    reason: str | None = None
    recipients: tuple[str, ...] = ()
    clock: str | None = None


@dataclass(frozen=True)
class Delivery:
    """Which outbox delivery this is; ``key`` is stable across retries (an idempotency key)."""

    id: int
    attempt: int
    key: str


@dataclass(frozen=True)
class DocSubject:
    """What documentation is asked for: ``kind`` is client, application, report
    (``<client>/<YYYY-MM>``), faq (a product line) or call (a knowledge article); ``data``
    is the subject as plain JSON (:mod:`hub.docdata`), filled by the core."""

    kind: str
    key: str
    reason: str
    data: dict[str, Any] = field(default_factory=dict)
    #: Only say what would change (``slahub wiki sync --dry-run``); write nothing.
    dry_run: bool = False
    #: One of many subjects asked for together (a sync of every page): a plugin may
    #: read ahead what it will need for the others.
    bulk: bool = False
    #: The language the page is written in ("en", "nl"): the client's, else the hub's
    #: ``DEFAULT_LANGUAGE``; a plugin picks its own texts for it (English when it has none).
    language: str = "en"


@dataclass(frozen=True)
class Page:
    """A documentation page a plugin wrote (or, in a dry run, would write).

    ``result`` is ``created``, ``edited`` or ``unchanged`` (``would create`` / ``would
    edit`` in a dry run); ``url`` where people read it; ``diff`` (dry runs) what would
    change, as a unified diff of the page's text.
    """

    title: str
    text: str
    summary: str
    url: str | None = None
    result: str | None = None
    diff: str | None = None


@dataclass(frozen=True)
class Site:
    """An application's site to check: ``key`` is the application's key."""

    key: str
    url: str
    product_line: str


@dataclass(frozen=True)
class CheckResult:
    """One check of a site: ``id`` (e.g. ``tls.expiry``), ``severity`` (critical, high,
    medium, low, info), ``verdict`` (pass, warn, fail, error: the check itself could not
    run) and ``evidence``: what decided it (``url``, ``status``, ``detail``: the header or
    line)."""

    id: str
    title: str
    severity: str
    verdict: str
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SiteReport:
    """All checks of one site in one run. ``drupal``: what was found out about Drupal
    (``major``, ``version`` or None when the minor cannot be seen); ``requests`` made."""

    key: str
    url: str
    checked_at: str
    results: tuple[CheckResult, ...]
    drupal: dict[str, Any] = field(default_factory=dict)
    requests: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class Setting:
    """A plugin setting: its default, whether it is secret, and what it is for."""

    name: str
    default: Any = None
    secret: bool = False
    description: str = ""


@dataclass(frozen=True)
class Health:
    """A plugin's own view of its health."""

    ok: bool
    version: str
    detail: str = ""


@dataclass(frozen=True)
class Job:
    """A periodic job: ``run()`` is called in the worker every ``interval`` seconds.

    ``run()`` may return how many items it handled; while that is more than 0 the worker
    does not pause between turns (None counts as nothing handled).
    """

    name: str
    interval: float
    run: Callable[[], int | None]
    #: When the job is needed next, if sooner than ``interval`` (e.g. the next SLA alert).
    next_due: Callable[[], datetime | None] | None = None


@dataclass(frozen=True)
class RawRequest:
    """A webhook request as received: headers (lower-case names) and the raw body.

    ``query`` holds the URL's query parameters (e.g. a secret token for senders that
    cannot sign); it is given to ``verify`` only and never stored.
    """

    source: str
    headers: dict[str, str]
    body: bytes
    query: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class NewCall:
    """A webhook asks for a new call."""

    client: str
    title: str
    priority: str = "P3"
    category: str = "incident"
    description: str = ""
    application: str | None = None
    line: str | None = None
    reporter: str | None = None
    links: tuple[ExternalRef, ...] = ()
    #: When the outside system says the call was opened (ISO 8601 with offset), e.g. a
    #: polled Mantis issue's ``created_at``; the call counts as opened then, or when the
    #: event reached the hub if that is earlier.
    opened_at: str | None = None


@dataclass(frozen=True)
class CallUpdate:
    """An outside system reports a change to a call the hub knows by one of its refs.

    ``status``, ``priority`` and ``line`` are applied when they differ from the call's;
    ``note`` is added to the history (once: when ``note_ref`` names the note elsewhere,
    a note already linked is skipped); ``hours`` records the client's verdict on the
    call's booked hours, ``approved`` or ``disputed``, with ``feedback``; ``actor`` says
    who did it there (shown in the history).
    """

    ref: ExternalRef
    status: str | None = None
    priority: str | None = None
    note: str | None = None
    line: str | None = None
    note_ref: ExternalRef | None = None
    actor: str | None = None
    hours: str | None = None
    feedback: str | None = None


class ConfigurationError(Exception):
    """Raised by a plugin when an outside system refuses the hub's own settings (a wrong
    token, URL or project): retrying cannot help, so the delivery goes dead at once with
    this message, for an admin to fix the setting and re-drive it."""


class WebhookRejected(Exception):
    """Raised by a webhook handler: the request is not genuine or not well-formed.

    ``status`` is the HTTP status the hub answers (401 bad signature, 400 malformed ...).
    """

    def __init__(self, message: str, status: int = 401, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.field = field


class WebhookHandler(Protocol):
    """What ``hub_get_webhook_handler`` returns for a source it owns."""

    def verify(self, request: RawRequest) -> str:
        """Check the request is genuine; return its delivery id or raise WebhookRejected."""

    def interpret(self, request: RawRequest) -> list[NewCall | CallUpdate]:
        """Turn a verified request into actions; raise WebhookRejected if it makes no sense.

        Must not touch the database: it runs once in the web request (to refuse a
        payload that makes no sense with a 4xx) and again in the worker, which applies
        what it returns.
        """
