"""``slahub privacy export`` and ``slahub privacy erase``: a contact's or client's data as
JSON, and erasing a contact's personal data on request (:mod:`hub.privacy`)."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import AppGroup

from hub import audit, privacy
from hub.db import db
from hub.errors import HubError


@click.group("privacy", cls=AppGroup)  # its commands run in an app context
def privacy_group() -> None:
    """Export what the hub holds about a contact or client; erase a contact."""


@privacy_group.command("export")
@click.option("--contact", "contact_id", type=int, help="The contact's id.")
@click.option("--client", "client_key", help="The client's key.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the JSON to this file instead of printing it.")  # fmt: skip
def export_command(contact_id: int | None, client_key: str | None, output: Path | None) -> None:
    """Print (or write) everything held about one contact or one client, as JSON."""
    if (contact_id is None) == (client_key is None):
        raise click.UsageError("name exactly one of --contact ID and --client KEY")
    try:
        if contact_id is not None:
            data = privacy.export_contact(privacy.get_contact(contact_id))
        else:
            data = privacy.export_client(privacy.get_client(client_key))
    except HubError as exc:
        raise click.ClickException(exc.message) from None
    text = json.dumps(data, indent=2, ensure_ascii=False)
    if output is None:
        click.echo(text)
        return
    output.write_text(text + "\n", encoding="utf-8")
    click.echo(f"wrote {output}", err=True)


@privacy_group.command("erase")
@click.option("--contact", "contact_id", type=int, required=True, help="The contact's id.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def erase_command(contact_id: int, yes: bool) -> None:
    """Erase a contact's personal data; calls and their statistics stay."""
    try:
        contact = privacy.get_contact(contact_id)
    except HubError as exc:
        raise click.ClickException(exc.message) from None
    if contact.erased_at is None and not yes:
        click.confirm(
            f"Erase contact {contact.id} ({contact.name}) of client {contact.client.key}? "
            "This cannot be undone",
            abort=True,
        )
    result = privacy.erase_contact(contact, actor=audit.current_actor())
    db.session.commit()
    click.echo(result.message)
    if result.erased:
        click.echo(
            f"calls reported: {result.calls_reported}; rows scrubbed: {result.rows_changed}; "
            f"logins deactivated: {', '.join(result.logins_deactivated) or 'none'}"
        )


commands = [privacy_group]
