"""Commands for auditors: export a period's archive (ZIP) and check an archive on its own, without the database."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from einvoice.finance.archive import verify_archive
from einvoice.settings import load_settings
from einvoice.storage.engine import configured_url, make_engine


@click.command("archive-export")
@click.argument("date_from", type=click.DateTime(["%Y-%m-%d"]))
@click.argument("date_to", type=click.DateTime(["%Y-%m-%d"]))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
def archive_export_command(date_from: datetime, date_to: datetime, output: Path) -> None:
    """Write every document issued from DATE_FROM to DATE_TO (YYYY-MM-DD) as issued, with a manifest, to a ZIP."""
    from einvoice.services.archive import export_archive

    settings = load_settings()
    engine = make_engine(configured_url(settings.database_url, settings.data_dir))
    try:
        with output.open("xb") as target:
            count = export_archive(engine, target, date_from.date(), date_to.date())
    finally:
        engine.dispose()
    click.echo(f"{count} documents written to {output}")


@click.command("archive-verify")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--no-signatures", is_flag=True, help="Check hashes and the chain only.")
@click.option("--allow-development", is_flag=True, help="Accept signatures by the development CA.")
def archive_verify_command(archive: Path, no_signatures: bool, allow_development: bool) -> None:
    """Check an archive alone: each file's SHA-256, each signature, and the audit chain; exit 1 on any finding."""
    findings = verify_archive(str(archive), signatures=not no_signatures, allow_development=allow_development)
    for finding in findings:
        click.echo(finding)
    if findings:
        raise SystemExit(1)
    click.echo("archive intact")


COMMANDS = (archive_export_command, archive_verify_command)
