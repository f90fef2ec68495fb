"""``slahub audit export``: the audit trail as JSON or CSV, for an auditor or an archive."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from hub import auditexport
from hub.errors import HubError


@click.group("audit", cls=AppGroup)  # its commands run in an app context
def audit_group() -> None:
    """The audit trail of admin actions."""


@audit_group.command("export")
@click.option("--since", help="From this date (2026-01-31) or ISO date and time, UTC if bare.")
@click.option("--until", help="Up to this date (its whole day) or ISO date and time.")
@click.option("--actor", help="Only entries by this actor (part of the name).")
@click.option("--action", help="Only this action (contract.update), or a kind's (contract).")
@click.option("--subject-kind", help="Only subjects of this kind (contract, user...).")
@click.option("--subject-key", help="Only this subject (with --subject-kind).")
@click.option(
    "--format", "fmt", type=click.Choice(sorted(auditexport.EXPORTS)), default="json",
    show_default=True,
)  # fmt: skip
@click.option("--output", "-o", type=click.File("w", encoding="utf-8"), help="Default: stdout.")
def audit_export(fmt: str, output: click.utils.LazyFile | None, **options: str | None) -> None:
    """Write the selected entries, newest first, to stdout or --output."""
    try:
        filters = auditexport.Filters.parse(options)
    except HubError as exc:
        option = "--" + (exc.field or "since").replace("_", "-")
        raise click.BadParameter(exc.message, param_hint=option) from None
    out = output or sys.stdout
    for chunk in auditexport.stream(fmt, filters):
        out.write(chunk)


commands = [audit_group]
