"""Commands over the database: migrate it, and verify that stored history was not edited."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click

from einvoice.security_events import security_event
from einvoice.services import idempotency
from einvoice.services.audit import verify_audit
from einvoice.settings import load_settings
from einvoice.storage.engine import configured_url, make_engine, migrate

URL_HELP = "database URL (default: $EINVOICE_DATABASE_URL, else the SQLite file under $EINVOICE_DATA_DIR)"


def resolve_data_dir() -> Path:
    """Return the data folder the command works on: the DATA_DIR setting, as the service reads it."""
    return load_settings().data_dir


def resolve_url(database_url: str | None) -> str:
    """Return the database the command works on: ``--database-url``, else the one the service is configured with."""
    settings = load_settings()
    return configured_url(database_url or settings.database_url, settings.data_dir)


@click.command("migrate")
@click.option("--database-url", help=URL_HELP)
def migrate_command(database_url: str | None) -> None:
    """Create the database or bring its schema up to date."""
    url = resolve_url(database_url)
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    try:
        migrate(engine)
    finally:
        engine.dispose()
    click.echo("database is up to date")


@click.command("audit-verify")
@click.option("--database-url", help=URL_HELP)
def audit_verify_command(database_url: str | None) -> None:
    """Recompute the audit chains and document hashes; exit 1 listing every sign of tampering."""
    engine = make_engine(resolve_url(database_url))
    try:
        findings = verify_audit(engine)
    finally:
        engine.dispose()
    for finding in findings:
        click.echo(str(finding), err=True)
        security_event("integrity_failure", finding=str(finding))
    if findings:
        raise click.exceptions.Exit(1)
    click.echo("audit log intact: every chain and document hash verified")


@click.command("purge-idempotency-keys")
@click.option("--database-url", help=URL_HELP)
@click.option("--older-than-days", type=click.IntRange(min=1), default=90, show_default=True)
def purge_idempotency_command(database_url: str | None, older_than_days: int) -> None:
    """Forget answered Idempotency-Keys older than N days (after that a retry with the key issues again)."""
    engine = make_engine(resolve_url(database_url))
    try:
        deleted = idempotency.purge(engine, timedelta(days=older_than_days))
    finally:
        engine.dispose()
    click.echo(f"deleted {deleted} idempotency keys older than {older_than_days} days")


COMMANDS: list[click.Command] = [migrate_command, audit_verify_command, purge_idempotency_command]
