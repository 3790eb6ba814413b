"""Commands that build and validate documents."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
