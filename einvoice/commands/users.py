"""Operators' user commands: create a user, reset a password, disable a user.

A production database starts with no account: ``einvoice create-user --role admin …`` makes the first administrator.
A password is generated (and printed once) unless ``--password-stdin`` reads it; passwords are never arguments (they
would stay in the shell history and the process list) and never printed again: to see one, reset it.
"""

from __future__ import annotations

import secrets
import sys

import click
from sqlalchemy import Engine, select

from einvoice.commands.storage import URL_HELP, resolve_url
from einvoice.domain.roles import ROLES
from einvoice.security_events import security_event
from einvoice.services.accounts import create_user, update_user
from einvoice.services.errors import ServiceError
from einvoice.storage.engine import make_engine, migrate
from einvoice.storage.schema import users

_STDIN_HELP = "read the password from the first line of standard input instead of generating one"


def _password(from_stdin: bool) -> tuple[str, bool]:
    """Return the password and whether it was generated (and so must be shown)."""
    if not from_stdin:
        return secrets.token_urlsafe(12), True
    typed = sys.stdin.readline().rstrip("\n")
    if len(typed) < 10:
        raise click.UsageError("the password must be at least 10 characters")
    return typed, False


def _engine(database_url: str | None) -> Engine:
    engine = make_engine(resolve_url(database_url))
    migrate(engine)
    return engine


def _user_id(engine: Engine, username: str) -> int:
    with engine.connect() as conn:
        found: int | None = conn.execute(select(users.c.id).where(users.c.username == username)).scalar()
    if found is None:
        raise click.ClickException(f"no user named {username}")
    return found


@click.command("create-user")
@click.argument("username")
@click.option("--full-name", required=True, help="the name shown on documents and pages")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--counter-id", type=int, help="the counter a cashier works at (required for cashiers)")
@click.option("--password-stdin", is_flag=True, help=_STDIN_HELP)
@click.option("--database-url", envvar="EINVOICE_DATABASE_URL", help=URL_HELP)
def create_user_command(
    username: str, full_name: str, role: str, counter_id: int | None, password_stdin: bool, database_url: str | None
) -> None:
    """Create a user; a generated password is printed once."""
    password, generated = _password(password_stdin)
    engine = _engine(database_url)
    try:
        create_user(engine, username=username, full_name=full_name, role=role, counter_id=counter_id, password=password)
    except ServiceError as error:
        raise click.ClickException(_reason(error)) from error
    finally:
        engine.dispose()
    security_event("admin_change", change="create_user", target=username, via="command")
    click.echo(f"user {username} created ({role})")
    if generated:
        click.echo(f"password (shown once): {password}")


@click.command("reset-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help=_STDIN_HELP)
@click.option("--database-url", envvar="EINVOICE_DATABASE_URL", help=URL_HELP)
def reset_password_command(username: str, password_stdin: bool, database_url: str | None) -> None:
    """Give a user a new password (the old one stops working); a generated one is printed once."""
    password, generated = _password(password_stdin)
    engine = _engine(database_url)
    try:
        update_user(engine, _user_id(engine, username), {"password": password})
    finally:
        engine.dispose()
    security_event("admin_change", change="reset_password", target=username, via="command")
    click.echo(f"password of {username} reset")
    if generated:
        click.echo(f"password (shown once): {password}")


@click.command("disable-user")
@click.argument("username")
@click.option("--database-url", envvar="EINVOICE_DATABASE_URL", help=URL_HELP)
def disable_user_command(username: str, database_url: str | None) -> None:
    """Disable a user: their password, sessions and API tokens stop working at once; their documents stay."""
    engine = _engine(database_url)
    try:
        update_user(engine, _user_id(engine, username), {"active": False})
    finally:
        engine.dispose()
    security_event("admin_change", change="disable_user", target=username, via="command")
    click.echo(f"user {username} disabled")


def _reason(error: ServiceError) -> str:
    problems = getattr(error, "problems", ())
    return "; ".join(p.message_en for p in problems) or str(error)


COMMANDS = (create_user_command, reset_password_command, disable_user_command)
