"""Commands that create development certificates, sign and verify documents."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
