"""Commands that back the service up and restore it (see :mod:`einvoice.storage.backup`)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import click

from einvoice.commands.storage import URL_HELP, resolve_data_dir, resolve_url
from einvoice.storage.backup import BackupError, create_backup, read_manifest, restore_backup

_AFTER_RESTORE = """\
Numbering continues from the numbers above. Documents issued AFTER this backup was made are not in it, yet they
exist: citizens and buyers hold them, and the tax authority has the ones that were sent. Before issuing again on
these series, recover them (README, "Backups"): re-import their signed XML, or register a new series."""


@click.command("backup")
@click.argument("destination", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--database-url", help=URL_HELP)
def backup_command(destination: Path, database_url: str | None) -> None:
    """Write a consistent backup of the database and the data folder to DESTINATION (a new .tar file)."""
    try:
        manifest = create_backup(resolve_url(database_url), resolve_data_dir(), destination, datetime.now(UTC))
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    os.chmod(destination, 0o600)  # it holds signing keys
    click.echo(f"backup written to {destination} ({len(manifest.files)} files, database: {manifest.dialect})")
    for mark in manifest.series:
        click.echo(f"  series {mark.label()}")


@click.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), help="a new data folder to restore into")
@click.option("--database-url", help="an empty PostgreSQL database (PostgreSQL backups only)")
@click.option("--check", is_flag=True, help="only check the archive's hashes; write nothing")
def restore_command(archive: Path, data_dir: Path | None, database_url: str | None, check: bool) -> None:
    """Restore ARCHIVE into a new data folder (and an empty PostgreSQL database for PostgreSQL backups)."""
    try:
        if check:
            manifest = read_manifest(archive)
            click.echo(f"archive intact: {len(manifest.files)} files match the manifest of {manifest.created_at}")
            return
        manifest = restore_backup(archive, data_dir or resolve_data_dir(), database_url)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"restored the backup of {manifest.created_at}")
    for mark in manifest.series:
        click.echo(f"  series {mark.label()}")
    click.echo(_AFTER_RESTORE)


COMMANDS: list[click.Command] = [backup_command, restore_command]
