"""E-mail for SLA alerts and escalations: the core names the recipients, this sends.

It is delivered through the outbox like every hook, so a mail server that is down fails
the delivery and it is retried with backoff; quiet hours hold a delivery back until
they end (:mod:`hub.sla.notify`). The Message-ID is the delivery's key, the same on
every retry, so a retry after a lost answer does not reach people as a second mail.

Each recipient reads the mail in their language: a hub user's (the login of the person
with that address), else the call's client's, else ``DEFAULT_LANGUAGE``; one mail per
language (with the language in its Message-ID when there are several).
"""

from __future__ import annotations

import smtplib
from dataclasses import replace
from email.message import EmailMessage

from flask import current_app
from flask_babel import force_locale, gettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from hub import __version__, hookimpl, i18n
from hub.db import db
from hub.hooktypes import CallView, Delivery, Escalation, Health
from hub.models import Client, Person, User

SUBJECTS = {
    "warning": _l("SLA warning"),
    "breach": _l("SLA breached"),
    "functional": _l("Escalated to you"),
    "hierarchical": _l("Escalated to the SLA manager"),
}
#: An SLA alert's first line in the reader's words; the reason after it is the sweep's
#: record (clock, target, due time), kept as the call's history has it.
ALERTS = {
    "warning": i18n.N_("The %(clock)s clock of this call is close to its target."),
    "breach": i18n.N_("The %(clock)s clock of this call has passed its target."),
}


def languages(call: CallView, recipients: tuple[str, ...]) -> dict[str, list[str]]:
    """The recipients grouped by the language each reads (in the order they came)."""
    client = db.session.scalar(select(Client.language).where(Client.key == call.client))
    rows = db.session.execute(
        select(Person.email, User.language)
        .join(User, User.person_id == Person.id)
        .where(Person.email.in_(recipients), User.active)
    ).all()
    users = {email: language for email, language in rows if i18n.known(language)}
    groups: dict[str, list[str]] = {}
    for address in recipients:
        groups.setdefault(i18n.language_for(users.get(address), client), []).append(address)
    return groups


def message(call: CallView, escalation: Escalation, key: str) -> EmailMessage:
    """The e-mail for one escalation or alert, in the current locale (force_locale)."""
    config = current_app.config
    msg = EmailMessage()
    msg["From"] = config["SMTP_FROM"]
    msg["To"] = ", ".join(escalation.recipients)
    subject = str(SUBJECTS.get(escalation.kind, escalation.kind))
    headline = _("call %(id)s %(title)s", id=call.id, title=call.title)
    msg["Subject"] = f"[{call.priority}] {subject}: {headline}"[:250]
    msg["Message-ID"] = f"<{key}@slahub>"
    facts = dict(client=call.client, priority=call.priority, line=i18n.term(call.line),
                 status=i18n.term(call.status))  # fmt: skip
    lines = [
        _("Call %(id)s: %(title)s", id=call.id, title=call.title),
        _("Client %(client)s, priority %(priority)s, line %(line)s, status %(status)s.", **facts),
        "",
        *_alert(escalation),
        escalation.reason or "",
        "",
        _("%(what)s by %(actor)s", what=subject, actor=escalation.actor)
        + (_(", to %(person)s", person=escalation.to_person) if escalation.to_person else "")
        + (
            _(" on line %(line)s.", line=i18n.term(escalation.to_line))
            if escalation.to_line
            else "."
        ),
    ]
    msg.set_content("\n".join(lines))
    return msg


def _alert(escalation: Escalation) -> list[str]:
    if escalation.clock is None or escalation.kind not in ALERTS:
        return []
    return [gettext(ALERTS[escalation.kind], clock=i18n.term(escalation.clock))]


@hookimpl
def hub_call_escalated(call: CallView, escalation: Escalation, delivery: Delivery) -> None:
    config = current_app.config
    if not escalation.recipients or not config["SMTP_HOST"]:
        return  # nobody to mail, or e-mail is switched off (SMTP_HOST empty)
    groups = languages(call, escalation.recipients)
    for language, recipients in groups.items():
        # One mail per language; the key stays the delivery's, so a retry is the same mail.
        key = delivery.key if len(groups) == 1 else f"{delivery.key}.{language}"
        with force_locale(language):
            msg = message(call, replace(escalation, recipients=tuple(recipients)), key)
        _send(msg)


def _send(msg: EmailMessage) -> None:
    config = current_app.config
    with smtplib.SMTP(
        config["SMTP_HOST"], int(config["SMTP_PORT"]), timeout=float(config["SMTP_TIMEOUT"])
    ) as smtp:
        if config["SMTP_STARTTLS"]:
            smtp.starttls()
        if config["SMTP_USERNAME"]:
            smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"])
        smtp.send_message(msg)


@hookimpl
def hub_report_health() -> Health:
    config = current_app.config
    if not config["SMTP_HOST"]:
        return Health(ok=True, version=__version__, detail="SMTP_HOST is empty: e-mail is off")
    where = f"{config['SMTP_HOST']}:{config['SMTP_PORT']}"
    return Health(ok=True, version=__version__, detail=f"sends through {where}")
