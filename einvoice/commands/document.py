"""Commands that build and validate documents, and print the rule catalogue."""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import IO

import click

from einvoice.domain.errors import InvalidDocumentError, Problem
from einvoice.jsondoc.documents import load_document
from einvoice.xmldoc.build import build_document
from einvoice.xmldoc.profiles import Profile
from einvoice.xmldoc.rules import RULES, catalogue_markdown
from einvoice.xmldoc.validate import judge_document, validate_document


def _print_problems(problems: list[Problem] | tuple[Problem, ...]) -> None:
    for p in problems:
        click.echo(f"{p.code}\t{p.path}\t{p.message_en}\t{p.message_vi}")


@click.command("build")
@click.argument("source", type=click.File("rb"))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write the XML here.")
def build_command(source: IO[bytes], output: Path | None) -> None:
    """Turn a JSON document (kind invoice or receipt) into unsigned XML in the national format."""
    try:
        data = json.loads(source.read(), parse_float=Decimal)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"not valid JSON: {exc}") from exc
    try:
        document = load_document(data)
    except InvalidDocumentError as exc:
        _print_problems(exc.problems)
        sys.exit(1)
    xml = build_document(document)
    problems = validate_document(xml)
    if problems:
        _print_problems(problems)
        sys.exit(1)
    if output is None:
        sys.stdout.buffer.write(xml + b"\n")
    else:
        output.write_bytes(xml)


@click.command("validate")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--profile",
    type=click.Choice([p.value for p in Profile]),
    default=Profile.READ.value,
    show_default=True,
    help="read: judge a received document as the tax authority does; emit: hold it to what we issue.",
)
def validate_command(path: Path, profile: str) -> None:
    """Validate an XML invoice or receipt: print every error and warning with its code and path; exit 1 on errors."""
    judgement = judge_document(path.read_bytes(), Profile(profile))
    for warning in judgement.warnings:
        click.echo(f"warning\t{warning.code}\t{warning.path}\t{warning.message_en}\t{warning.message_vi}")
    if judgement.valid:
        click.echo(f"OK: no problems ({len(judgement.warnings)} warning(s))")
        return
    _print_problems(judgement.errors)
    click.echo(f"{len(judgement.errors)} problem(s)", err=True)
    sys.exit(1)


@click.command("rules")
@click.option("--markdown", is_flag=True, help="Print the catalogue as the Markdown of docs/validation-rules.md.")
def rules_command(markdown: bool) -> None:
    """Print the catalogue of business rules."""
    if markdown:
        click.echo(catalogue_markdown(), nl=False)
        return
    for r in RULES:
        click.echo(f"{r.code}\t{','.join(r.kinds)}\t{r.title_en}")


COMMANDS: list[click.Command] = [build_command, validate_command, rules_command]
