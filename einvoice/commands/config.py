"""The command that shows the service's settings: the table of every key, or its values as configured now."""

from __future__ import annotations

import dataclasses

import click

from einvoice.settings import PREFIX, load_settings, settings_markdown


@click.command("settings")
@click.option("--markdown", is_flag=True, help="Print the table of every setting, the README's configuration table.")
def settings_command(markdown: bool) -> None:
    """Print every setting with the value it has in this environment (secrets hidden)."""
    if markdown:
        click.echo(settings_markdown(), nl=False)
        return
    settings = load_settings()
    for item in dataclasses.fields(settings):
        value = "(hidden)" if not item.repr else getattr(settings, item.name)
        click.echo(f"{PREFIX}{item.name.upper()}={'' if value is None else value}")


COMMANDS: list[click.Command] = [settings_command]
