"""``slahub backup PATH`` and ``slahub restore PATH``: see :mod:`hub.backup`."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_migrate import upgrade as migrate_upgrade

from hub import backup
from hub.db import db


def _dialect() -> str:
    name = db.engine.dialect.name
    if name not in ("sqlite", "postgresql"):
        raise click.ClickException(f"backups support SQLite and PostgreSQL, not {name}")
    return name


@click.command("backup")
@click.argument("path", type=click.Path(path_type=Path))
@with_appcontext
def backup_command(path: Path) -> None:
    """Back up the database to PATH (a file, or a directory for a dated file) while the
    hub runs: SQLite's online backup API, or pg_dump -Fc on PostgreSQL."""
    dialect = _dialect()
    path = backup.target_path(path, dialect)
    try:
        if dialect == "sqlite":
            summary = backup.sqlite_backup(path, click.echo)
        else:
            from hub.pgbackup import pg_backup

            summary = pg_backup(path, click.echo)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("backup written:")
    for line in summary.lines():
        click.echo(line)


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that already holds data.")
@click.option(
    "--upgrade", "then_upgrade", is_flag=True, help="Apply newer migrations after restoring."
)
@with_appcontext
def restore_command(path: Path, force: bool, then_upgrade: bool) -> None:
    """Restore a backup made by `slahub backup` into the configured database. Stop the
    hub (web processes and workers) first."""
    dialect = _dialect()
    try:
        kind = backup.file_kind(path)
        if (dialect == "sqlite") != (kind == "sqlite"):
            what = "a SQLite database file" if kind == "sqlite" else "a PostgreSQL dump"
            raise backup.BackupError(
                f"{path} is {what}, but this hub's database is {dialect}: "
                "restore a backup of the same kind of database"
            )
        if dialect == "sqlite":
            summary = backup.sqlite_restore(path, force, click.echo)
        else:
            from hub.pgbackup import pg_restore

            summary = pg_restore(path, kind, force, click.echo)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    with db.engine.connect() as conn:
        summary.counts = backup.count_rows(conn)
    click.echo("restored:")
    for line in summary.lines():
        click.echo(line)
    head = backup.head()
    if summary.revision == head:
        return
    if then_upgrade:
        click.echo(f"upgrading the database from revision {summary.revision} to {head}")
        migrate_upgrade()
        click.echo(f"database at revision {head}")
    else:
        click.echo(
            f"the backup is at revision {summary.revision}, this SLA Hub's is {head}: "
            "run `slahub db upgrade` before starting the hub"
        )


commands = [backup_command, restore_command]
