"""An application's site checks and certification on its admin page: the last run's
results, the certification's state with its reasons, and the intake checklist that
managers decide on."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_login import current_user

from hub import certification, sitechecks
from hub.admin import bp
from hub.admin.access import role_required
from hub.db import db
from hub.directory import get
from hub.errors import HubError
from hub.models import Application

MANAGERS = ("admin", "sla_manager")


def page_data(application: Application) -> dict[str, Any]:
    """What the application page shows of its site checks and certification."""
    run = sitechecks.last_run(application.id)
    return {
        "site_run": run,
        "site_summary": sitechecks.summary(run),
        "cert": certification.state(application),
        "cert_latest": certification.latest(application),
        "checklist": certification.CHECKLIST,
        "seen": certification.automatic(application),
    }


@bp.post("/applications/<key>/certification")
@role_required(*MANAGERS)
def application_certify(key: str):  # noqa: ANN201
    """Record an intake decision from the checklist's manual answers."""
    application = get(Application, "key", key)
    answers = {item: request.form.get(item) == "yes" for item in certification.MANUAL}
    try:
        decision = certification.decide(
            application,
            answers=answers,
            actor=f"user:{current_user.username}",
            note=request.form.get("note"),
        )
        db.session.commit()
    except HubError as exc:
        db.session.rollback()
        flash(f"{exc.field + ': ' if exc.field else ''}{exc.message}")
    else:
        verdict = (
            "certified" if decision.certified else "not certified: " + "; ".join(decision.reasons)
        )
        flash(f"{application.name}: {verdict}")
    return redirect(url_for("admin.application_view", key=key)), 303
