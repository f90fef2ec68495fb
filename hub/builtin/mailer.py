"""E-mail for SLA alerts and escalations: the core names the recipients, this sends.

It is delivered through the outbox like every hook, so a mail server that is down fails
the delivery and it is retried with backoff; quiet hours hold a delivery back until
they end (:mod:`hub.sla.notify`). The Message-ID is the delivery's key, the same on
every retry, so a retry after a lost answer does not reach people as a second mail.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from flask import current_app

from hub import __version__, hookimpl
from hub.hooktypes import CallView, Delivery, Escalation, Health

SUBJECTS = {
    "warning": "SLA warning",
    "breach": "SLA breached",
    "functional": "Escalated to you",
    "hierarchical": "Escalated to the SLA manager",
}


def message(call: CallView, escalation: Escalation, key: str) -> EmailMessage:
    """The e-mail for one escalation or alert."""
    config = current_app.config
    msg = EmailMessage()
    msg["From"] = config["SMTP_FROM"]
    msg["To"] = ", ".join(escalation.recipients)
    subject = SUBJECTS.get(escalation.kind, escalation.kind)
    msg["Subject"] = f"[{call.priority}] {subject}: call {call.id} {call.title}"[:250]
    msg["Message-ID"] = f"<{key}@slahub>"
    lines = [
        f"Call {call.id}: {call.title}",
        f"Client {call.client}, priority {call.priority}, line {call.line}, status {call.status}.",
        "",
        escalation.reason or "",
        "",
        f"{subject} by {escalation.actor}"
        + (f", to {escalation.to_person}" if escalation.to_person else "")
        + (f" on line {escalation.to_line}." if escalation.to_line else "."),
    ]
    msg.set_content("\n".join(lines))
    return msg


@hookimpl
def hub_call_escalated(call: CallView, escalation: Escalation, delivery: Delivery) -> None:
    config = current_app.config
    if not escalation.recipients or not config["SMTP_HOST"]:
        return  # nobody to mail, or e-mail is switched off (SMTP_HOST empty)
    msg = message(call, escalation, delivery.key)
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
