"""Privacy through the API (admin tokens only): what the hub holds about a contact or a
client as JSON, and erasing a contact's personal data (:mod:`hub.privacy`).

An erase must be confirmed in its body, ``{"confirm": "<the contact's id or name>"}``, as
the admin page asks for it typed. As everywhere in the API, an empty body or a missing or
blank ``confirm`` is a 422 naming it (a malformed body a 400); one that names someone else
is a 422 too; nothing changes. A second erase answers 200 with ``erased: false``.
"""

from __future__ import annotations

from typing import Annotated

from flask import jsonify
from pydantic import StringConstraints

from hub import audit, privacy
from hub.api import bp, doc, parse
from hub.api.schemas import In
from hub.db import db
from hub.errors import Invalid
from hub.models import Contact

ADMIN = ("admin",)


class EraseIn(In):
    confirm: Annotated[str, StringConstraints(min_length=1, max_length=200)]


def confirmed(contact: Contact, typed: str | None, missing: int = 422) -> None:
    """Refuse an erase unless ``typed`` is the contact's id or name (``missing``: the
    status when nothing was typed; the admin form answers an empty field with 400)."""
    typed = (typed or "").strip()
    if not typed:
        message = f"confirm is missing: type contact {contact.id}'s id or name to erase it"
        raise Invalid(message, "confirm", status=missing)
    if typed != str(contact.id) and typed.casefold() != contact.name.strip().casefold():
        raise Invalid(f"confirm {typed!r} is not contact {contact.id}'s id or name", "confirm")


@bp.get("/privacy/contacts/<int:contact_id>/export")
@doc("Everything the hub holds about a contact (JSON)", roles=ADMIN)
def privacy_contact_export(contact_id: int):  # noqa: ANN201
    return jsonify(privacy.export_contact(privacy.get_contact(contact_id)))


@bp.get("/privacy/clients/<key>/export")
@doc("Everything the hub holds about a client (JSON)", roles=ADMIN)
def privacy_client_export(key: str):  # noqa: ANN201
    return jsonify(privacy.export_client(privacy.get_client(key)))


@bp.post("/privacy/contacts/<int:contact_id>/erase")
@doc("Erase a contact's personal data (confirm with its id or name); calls and their "
     "statistics stay", body=EraseIn, roles=ADMIN)  # fmt: skip
def privacy_contact_erase(contact_id: int):  # noqa: ANN201
    data = parse(EraseIn)
    contact = privacy.get_contact(contact_id)
    if contact.erased_at is None:
        confirmed(contact, data.confirm)
    result = privacy.erase_contact(contact, actor=audit.current_actor())
    db.session.commit()
    return jsonify(result.to_json())
