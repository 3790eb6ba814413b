"""``flask --app wsgi prepare``: what the run command does before serving.

Runs the migrations, refuses an unsafe production configuration with a clear message (exit 1), and on the first
start in development creates the demo set-up and prints its generated passwords, once.
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from einvoice.services.seed import seed_demo
from einvoice.web.runtime import RefusedToStart, runtime, settings_of


@click.command("prepare")
@with_appcontext
def prepare_command() -> None:
    """Create or migrate the database; in development, seed a demo set-up on first start."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        rt = runtime(app)
    except RefusedToStart as refusal:
        raise click.ClickException(f"refusing to start: {refusal}") from refusal
    settings = settings_of(app)
    if settings.env == "production":
        click.echo("database is up to date (production: no demo data)")
        return
    passwords = seed_demo(rt.engine, settings.data_dir, rt.now())
    if passwords is None:
        click.echo("database is up to date")
        return
    click.echo("First start: created a demo issuer, series, fee catalogue and these accounts (shown only now):")
    for username, password in passwords.items():
        click.echo(f"    {username:<10} {password}")
