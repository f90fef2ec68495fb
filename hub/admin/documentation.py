"""The service wiki in the admin pages: each client's documentation pages with their
last sync, and a way to queue a client's pages for regeneration."""

from __future__ import annotations

from itertools import groupby

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from hub import docdata, documentation
from hub.admin import NavEntry, add_nav, bp
from hub.admin.access import role_required
from hub.db import db
from hub.errors import HubError
from hub.models import Client, DocPage
from hub.vocab import USER_ROLES

MANAGERS = ("admin", "sla_manager")

add_nav(NavEntry("Documentation", "admin.documentation_pages", roles=USER_ROLES))


@bp.get("/documentation")
@role_required(*USER_ROLES)
def documentation_pages():  # noqa: ANN201
    stmt = select(DocPage).order_by(DocPage.client_key, DocPage.kind, DocPage.title)
    if current_user.role == "client_viewer":
        own = db.session.get(Client, current_user.client_id)
        stmt = stmt.where(DocPage.client_key == (own.key if own else None))
    pages = db.session.scalars(stmt).all()
    names = dict(db.session.execute(select(Client.key, Client.name)).all())
    groups = [
        (names.get(key, key) if key else "Product lines", key, list(rows))
        for key, rows in groupby(pages, key=lambda p: p.client_key)
    ]
    clients = db.session.scalars(select(Client).order_by(Client.name)).all()
    return render_template(
        "admin/documentation.html",
        groups=groups,
        clients=clients,
        manager=current_user.role in MANAGERS,
        enabled=bool(documentation.documenting_plugins()),
    )


@bp.post("/documentation/sync")
@role_required(*MANAGERS)
def documentation_sync():  # noqa: ANN201
    """Queue every page of one client (or all) for the worker to regenerate."""
    key = request.form.get("client") or None
    try:
        subjects = docdata.all_subjects(key)
    except HubError as exc:
        flash(f"client: {exc.message}")
        return redirect(url_for("admin.documentation_pages")), 303
    for subject in subjects:
        documentation.request(
            subject.kind, subject.key, "regenerated on request (admin page)", bulk=True
        )
    db.session.commit()
    queued = _("%(n)s subjects queued for the wiki", n=len(subjects))
    flash(queued + (_(" (client %(key)s)", key=key) if key else ""))
    return redirect(url_for("admin.documentation_pages")), 303
