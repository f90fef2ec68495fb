"""Privacy in the admin pages (admins only): per client, download what the hub holds
about the client or one of its contacts (JSON), and erase a contact's personal data after
typing its id or name (:mod:`hub.privacy`; the API's rules, :mod:`hub.api.privacy`).

A missing confirmation shows the page again with 400 (as a form without its CSRF token),
one naming someone else with 422, nothing changed either way; an erase (or a second one,
which changes nothing) is flashed.
"""

from __future__ import annotations

import json

from flask import Response, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from hub import audit, privacy
from hub.admin import NavEntry, add_nav, bp
from hub.admin.access import role_required
from hub.api.privacy import confirmed
from hub.db import db
from hub.errors import HubError
from hub.models import Client

ADMIN = ("admin",)

add_nav(NavEntry("Privacy", "admin.privacy_index", roles=ADMIN))


def _download(data: dict, filename: str) -> Response:
    body = json.dumps(data, indent=2, ensure_ascii=False)
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/privacy")
@role_required(*ADMIN)
def privacy_index():  # noqa: ANN201
    """Every client, to open its privacy page."""
    clients = db.session.scalars(select(Client).order_by(Client.key)).all()
    return render_template("admin/privacy.html", clients=clients, client=None)


def _client_page(client: Client, errors: dict[int, str] | None = None, status: int = 200):  # noqa: ANN202
    page = render_template(
        "admin/privacy.html", client=client, clients=None, errors=errors or {},
        typed=request.form.get("confirm", "") if errors else "",
        contacts=sorted(client.contacts, key=lambda c: c.id),
    )  # fmt: skip
    return page, status


@bp.get("/privacy/clients/<key>")
@role_required(*ADMIN)
def privacy_client(key: str):  # noqa: ANN201
    return _client_page(privacy.get_client(key))


@bp.get("/privacy/clients/<key>/export.json")
@role_required(*ADMIN)
def privacy_client_export(key: str):  # noqa: ANN201
    client = privacy.get_client(key)
    return _download(privacy.export_client(client), f"client-{client.key}.json")


@bp.get("/privacy/contacts/<int:contact_id>/export.json")
@role_required(*ADMIN)
def privacy_contact_export(contact_id: int):  # noqa: ANN201
    contact = privacy.get_contact(contact_id)
    return _download(privacy.export_contact(contact), f"contact-{contact.id}.json")


@bp.post("/privacy/contacts/<int:contact_id>/erase")
@role_required(*ADMIN)
def privacy_contact_erase(contact_id: int):  # noqa: ANN201
    contact = privacy.get_contact(contact_id)
    client = contact.client
    if contact.erased_at is None:
        try:
            confirmed(contact, request.form.get("confirm"), missing=400)
        except HubError as exc:
            return _client_page(client, {contact.id: exc.message}, exc.status)
    result = privacy.erase_contact(contact, actor=audit.current_actor())
    db.session.commit()
    flash(result.message)
    return redirect(url_for("admin.privacy_client", key=client.key), 303)
