"""Languages: the admin page, e-mail and wiki pages in English or Dutch (Flask-Babel).

Who reads decides the language: the logged-in user's ``language``, else the best match
of the browser's Accept-Language among ``LANGUAGES``, else ``DEFAULT_LANGUAGE``. Outside
a request (e-mail from the worker) the sender picks one with :func:`language_for` and
:func:`flask_babel.force_locale`. The API stays English: it is a machine interface.

Dates, times and money go through Babel's locale data (``format_datetime``,
``format_currency``), shown on the hub's display clock (the roster's Europe/Amsterdam).
The catalogues live in ``hub/translations``; their ``.mo`` files are built at install.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from flask import Flask, current_app, has_request_context, request
from flask_babel import Babel, format_currency, format_date, format_time, get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from hub.sla.rosterplan import TIMEZONE
from hub.vocab import LINE_TITLES

TRANSLATIONS = str(Path(__file__).parent / "translations")
#: Names of the languages in their own words, for the preference form.
NAMES = {"en": "English", "nl": "Nederlands"}
CURRENCY = "EUR"


def supported() -> list[str]:
    """The languages the hub offers (setting ``LANGUAGES``)."""
    return list(current_app.config["LANGUAGES"])


def default() -> str:
    """The hub's language when nobody's choice is known (setting ``DEFAULT_LANGUAGE``)."""
    return current_app.config["DEFAULT_LANGUAGE"]


def known(language: str | None) -> str | None:
    """``language`` when the hub offers it, else None (an old or mistyped choice)."""
    return language if language in supported() else None


def select_locale() -> str:
    """Flask-Babel's locale selector: the user's choice, the browser's, the hub's."""
    if has_request_context():
        user = current_user
        if getattr(user, "is_authenticated", False) and known(user.language):
            return user.language
        best = request.accept_languages.best_match(supported())
        if best:
            return best
    return default()


def language_for(*choices: str | None) -> str:
    """The first of ``choices`` the hub offers (a user's, then a client's), else the
    hub's default: how e-mail and wiki pages pick the reader's language."""
    return next((c for c in choices if known(c)), None) or default()


#: The hub's fixed words (:mod:`hub.vocab`) as people read them; the data keeps the codes.
TERMS = {
    "1-general": _l("1st line, general"),
    "1-product": _l("1st line, product"),
    "2-platform": _l("2nd line, platform"),
    "2-application": _l("2nd line, application"),
    "3-application": _l("3rd line, application"),
    "new": _l("new"),
    "acknowledged": _l("acknowledged"),
    "in_progress": _l("in progress"),
    "waiting_for_client": _l("waiting for client"),
    "resolved": _l("resolved"),
    "closed": _l("closed"),
    "reopened": _l("reopened"),
    "question": _l("question"),
    "incident": _l("incident"),
    "problem": _l("problem"),
    "change": _l("change"),
    "admin": _l("admin"),
    "sla_manager": _l("SLA manager"),
    "associate": _l("associate"),
    "client_viewer": _l("client viewer"),
    "response": _l("response"),
    "resolution": _l("resolution"),
    "line": _l("line"),
    "collegial": _l("collegial"),
    "project_lead": _l("project lead"),
    "developer": _l("developer"),
    "trainer": _l("trainer"),
    "platform_provider": _l("platform provider"),
    "first_line": _l("first line"),
    "helpdesk": _l("helpdesk"),
    "incident_management": _l("incident management"),
    "problem_management": _l("problem management"),
    "configuration_management": _l("configuration management"),
    "change_management": _l("change management"),
    "release_management": _l("release management"),
    "pending": _l("pending"),
    "dead": _l("dead"),
    "done": _l("done"),
    "discarded": _l("discarded"),
}
assert set(LINE_TITLES) <= set(TERMS), "every line has its title here"


def N_(text: str) -> str:  # noqa: N802 - gettext's name for "marked, translated later"
    """Mark ``text`` for the catalogue; it is translated where it is shown (:func:`tr`)."""
    return text


#: Texts made at run time from names (the directory's kinds and menu entries, weekdays,
#: person kinds, documentation kinds): listed so that the extraction finds them.
RUNTIME_TEXTS = (
    N_("Clients"), N_("Contracts"), N_("Applications"), N_("People"),
    N_("client"), N_("contract"), N_("application"), N_("person"),
    N_("clients"), N_("contracts"), N_("applications"), N_("people"),
    N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"),
    N_("staff"), N_("external"), N_("report"), N_("faq"), N_("call"),
    N_("handover session"), N_("team meeting follow-up"), N_("training and exam"),
    N_("preparing a duty"), N_("handled call"), N_("each"), N_("hour"), N_("item"),
    N_("correction"), N_("advance"),
)  # fmt: skip


def tr(text: str | None) -> str:
    """A text marked elsewhere (a menu entry, a form label) in the reader's language; as
    it is when the catalogue does not have it. No %-formatting: labels may hold a "%"."""
    return gettext(text) if text else ""


def term(value: str | None) -> str:
    """A code of :mod:`hub.vocab` (a line, status, category, role) in the reader's words."""
    if value is None:
        return "—"
    title = TERMS.get(value)
    return str(title) if title is not None else value.replace("_", " ")


def page_language(data: dict) -> str:
    """A documentation subject's language: its client's (``data["client"]["key"]``), else
    the hub's default (an associate FAQ belongs to no client)."""
    from sqlalchemy import select

    from hub.db import db  # (the models import much of the hub; i18n loads first)
    from hub.models import Client

    key = data["client"].get("key") if isinstance(data.get("client"), dict) else None
    chosen = db.session.scalar(select(Client.language).where(Client.key == key)) if key else None
    return language_for(chosen)


def when(value: datetime | None) -> str:
    """An instant on the display clock in the reader's locale, 24-hour: "1 dec 2026
    14:05" (nl), "Dec 1, 2026 14:05" (en): the locale's medium date (its own order of
    day, month and year) and the hour as the whole hub shows it."""
    if value is None:
        return "—"
    return f"{format_date(value, 'medium')} {format_time(value, 'HH:mm')}"


def day(value: date | datetime | str | None, style: str = "medium") -> str:
    """A date (or an ISO date string, as the reports carry them) in the reader's locale."""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return "—" if value is None else format_date(value, style)


def money(value: Decimal | float | int | None) -> str:
    """An amount in euro in the reader's locale: "€ 1.234,50" (nl), "€1,234.50" (en)."""
    return "—" if value is None else format_currency(value, CURRENCY)


def init_app(app: Flask) -> None:
    """Flask-Babel with the hub's catalogues, selectors and Jinja filters."""
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", TRANSLATIONS)
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "en")
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", TIMEZONE)
    Babel(app, locale_selector=select_locale)
    app.add_template_filter(when, "datetime")
    app.add_template_filter(day, "date")
    app.add_template_filter(money, "money")
    app.add_template_filter(term, "term")
    app.add_template_filter(tr, "tr")

    @app.context_processor
    def language() -> dict:
        return {"language": str(get_locale() or default()), "language_names": NAMES}
