"""The outbox in the admin pages: deliveries by state, payload and last error; admins
re-drive or discard dead ones."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from hub import outbox
from hub.admin import NavEntry, add_nav, bp
from hub.admin.access import role_required
from hub.db import db
from hub.errors import HubError
from hub.models import OutboxDelivery

STATES = ("pending", "dead", "done", "discarded")
PAGE_SIZE = 50

add_nav(NavEntry("Outbox", "admin.outbox_list", roles=("admin", "sla_manager")))


@bp.get("/outbox")
@role_required("admin", "sla_manager")
def outbox_list():  # noqa: ANN201
    state = request.args.get("state", "dead")
    if state not in STATES:
        state = "dead"
    rows = db.session.scalars(
        select(OutboxDelivery)
        .where(OutboxDelivery.state == state)
        .order_by(OutboxDelivery.id.desc())
        .limit(PAGE_SIZE)
    ).all()
    return render_template(
        "admin/outbox.html", rows=rows, state=state, states=STATES, counts=outbox.counts()
    )


@bp.post("/outbox/<int:delivery_id>/<any(redrive, discard):action>")
@role_required("admin")
def outbox_action(delivery_id: int, action: str):  # noqa: ANN201
    try:
        getattr(outbox, action)(delivery_id)
        db.session.commit()
        done = _("re-driven") if action == "redrive" else _("discarded")
        flash(_("Delivery %(id)s %(done)s.", id=delivery_id, done=done))
    except HubError as exc:
        db.session.rollback()
        flash(exc.message)
    return redirect(url_for("admin.outbox_list", state=request.args.get("state", "dead"))), 303
