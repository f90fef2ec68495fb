"""Generic JSON webhook sources: any source with a configured shared secret.

A sender signs the raw body with HMAC-SHA256 (``X-Hub-Signature-256: sha256=<hex>``)
and names each delivery (``X-Delivery-Id``). The body is one JSON object::

    {"type": "call.create", "client": "amarant", "title": "Site down",
     "priority": "P1", "category": "incident", "description": "...",
     "application": "amarant-intranet", "reporter": "...", "ref": "ALERT-42"}
    {"type": "call.update", "ref": "ALERT-42", "status": "resolved", "note": "..."}

``ref`` is the sender's own key for the call; the hub links it as ``<source>:<ref>``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Annotated, Literal

from flask import current_app
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError

from hub import hookimpl
from hub.config import webhook_secret
from hub.hooktypes import CallUpdate, ExternalRef, NewCall, RawRequest, WebhookRejected
from hub.vocab import STATUSES

#: No NUL characters: PostgreSQL cannot store them in text.
_NO_NUL = r"^[^\x00]*$"


def _text(low: int, high: int) -> type[str]:
    return Annotated[str, StringConstraints(min_length=low, max_length=high, pattern=_NO_NUL)]


Key = _text(1, 64)  # client and application keys
Ref = _text(1, 200)  # the sender's own key for the call (call_links.key)
Long = _text(0, 100_000)
Priority = Literal["P1", "P2", "P3", "P4"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class CreateEvent(_Strict):
    type: Literal["call.create"]
    client: Key
    title: _text(1, 300)
    priority: Priority = "P3"
    category: Literal["question", "incident", "problem", "change"] = "incident"
    description: Long = ""
    application: Key | None = None
    reporter: _text(1, 200) | None = None
    ref: Ref | None = None


class UpdateEvent(_Strict):
    type: Literal["call.update"]
    ref: Ref
    status: Literal[STATUSES] | None = None
    priority: Priority | None = None
    note: Long | None = None


Event = TypeAdapter(Annotated[CreateEvent | UpdateEvent, Field(discriminator="type")])


def signature(secret: str, body: bytes) -> str:
    """The header value a sender puts in ``X-Hub-Signature-256``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signed(request: RawRequest, secret: str) -> str:
    """Check a request signed as generic sources sign (also a plugin's own senders, such
    as the Mantis-side push plugin); returns its ``X-Delivery-Id``."""
    given = request.headers.get("x-hub-signature-256")
    if not given:
        raise WebhookRejected("missing X-Hub-Signature-256 header", 401, "X-Hub-Signature-256")
    if not hmac.compare_digest(given.encode(), signature(secret, request.body).encode()):
        raise WebhookRejected(
            "X-Hub-Signature-256 does not match the body", 401, "X-Hub-Signature-256"
        )
    delivery = request.headers.get("x-delivery-id", "").strip()
    if not delivery or len(delivery) > 200:
        raise WebhookRejected("missing or overlong X-Delivery-Id header", 400, "X-Delivery-Id")
    return delivery


class GenericSource:
    def __init__(self, source: str, secret: str) -> None:
        self.source = source
        self.secret = secret

    def verify(self, request: RawRequest) -> str:
        return verify_signed(request, self.secret)

    def interpret(self, request: RawRequest) -> list[NewCall | CallUpdate]:
        try:
            data = json.loads(request.body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise WebhookRejected(f"body is not JSON: {exc}", 400, "body") from None
        if not isinstance(data, dict):
            raise WebhookRejected("body must be a JSON object", 422, "body")
        try:
            event = Event.validate_python(data)
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"]) or "body"
            if err["type"].startswith("union_tag"):  # missing or unknown "type"
                field = "type"
            raise WebhookRejected(f"{field}: {err['msg']}", 422, field) from None
        if isinstance(event, UpdateEvent):
            return [
                CallUpdate(
                    ExternalRef(self.source, event.ref), event.status, event.priority, event.note
                )
            ]
        links = (ExternalRef(self.source, event.ref),) if event.ref else ()
        return [
            NewCall(
                client=event.client,
                title=event.title,
                priority=event.priority,
                category=event.category,
                description=event.description,
                application=event.application,
                reporter=event.reporter,
                links=links,
            )
        ]


@hookimpl(trylast=True)
def hub_get_webhook_handler(source: str) -> GenericSource | None:
    secret = webhook_secret(current_app, source)
    return GenericSource(source, secret) if secret else None
