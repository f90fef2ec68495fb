"""The logged-in user's own preferences: the language of the admin page.

Every role may change its own language (and only its own). An unknown language is
refused with the form shown again, nothing saved; the empty choice means the browser's
language, else the hub's default (``DEFAULT_LANGUAGE``).
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

from hub import i18n
from hub.admin import bp
from hub.admin.access import role_required
from hub.db import db
from hub.vocab import USER_ROLES


@bp.route("/preferences", methods=["GET", "POST"])
@role_required(*USER_ROLES)
def preferences():  # noqa: ANN201
    """Show and save the user's language."""
    error = None
    if request.method == "POST":
        wanted = request.form.get("language", "").strip()
        if wanted and i18n.known(wanted) is None:
            error = _("language: choose one of %(names)s", names=", ".join(i18n.supported()))
        else:
            current_user.language = wanted or None
            db.session.commit()
            # The page after this one is in the new language: say so in it.
            with force_locale(i18n.language_for(current_user.language)):
                flash(_("Your language is saved."))
            return redirect(url_for("admin.preferences")), 303
    return render_template(
        "admin/preferences.html",
        choices=[(code, i18n.NAMES.get(code, code)) for code in i18n.supported()],
        chosen=current_user.language or "",
        error=error,
    ), (422 if error else 200)
