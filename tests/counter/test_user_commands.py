"""The operators' user commands: the first admin on an empty database, a reset password, a disabled user."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from einvoice.cli import main
from einvoice.services.accounts import authenticate
from einvoice.storage.engine import make_engine, sqlite_url


def _shown_password(output: str) -> str:
    found = re.search(r"password \(shown once\): (\S+)", output)
    assert found is not None, output
    return found.group(1)


def test_create_reset_and_disable_a_user(tmp_path: Path) -> None:
    """create-user makes a working account on an empty database; reset-password replaces it; disable-user ends it."""
    url = sqlite_url(tmp_path)
    runner = CliRunner()
    created = runner.invoke(
        main, ["create-user", "quan.tri", "--full-name", "Quản trị", "--role", "admin", "--database-url", url]
    )
    assert created.exit_code == 0, created.output
    first = _shown_password(created.output)
    engine = make_engine(url)
    try:
        assert authenticate(engine, "quan.tri", first) is not None
        reset = runner.invoke(main, ["reset-password", "quan.tri", "--database-url", url])
        assert reset.exit_code == 0, reset.output
        second = _shown_password(reset.output)
        assert second != first
        assert authenticate(engine, "quan.tri", first) is None
        assert authenticate(engine, "quan.tri", second) is not None
        chosen = runner.invoke(
            main, ["reset-password", "quan.tri", "--password-stdin", "--database-url", url], input="một-mật-khẩu-dài\n"
        )
        assert chosen.exit_code == 0, chosen.output
        assert "shown once" not in chosen.output
        assert authenticate(engine, "quan.tri", "một-mật-khẩu-dài") is not None
        last = runner.invoke(main, ["disable-user", "quan.tri", "--database-url", url])
        assert last.exit_code != 0  # never the last active admin: nobody could manage the service any more
        assert "last active admin" in str(last.exception or last.output)
        other = ["create-user", "quan.tri.2", "--full-name", "Quản trị 2", "--role", "admin", "--database-url", url]
        assert runner.invoke(main, other).exit_code == 0
        disabled = runner.invoke(main, ["disable-user", "quan.tri", "--database-url", url])
        assert disabled.exit_code == 0, disabled.output
        assert authenticate(engine, "quan.tri", "một-mật-khẩu-dài") is None
    finally:
        engine.dispose()


def test_refusals_say_why_and_change_nothing(tmp_path: Path) -> None:
    """A cashier without a counter, a duplicate user, an unknown user and a short password are refused with a reason."""
    url = sqlite_url(tmp_path)
    runner = CliRunner()
    cashier = runner.invoke(main, ["create-user", "a", "--full-name", "A", "--role", "cashier", "--database-url", url])
    assert cashier.exit_code != 0
    assert "counter" in cashier.output
    assert (
        runner.invoke(
            main, ["create-user", "b", "--full-name", "B", "--role", "finance", "--database-url", url]
        ).exit_code
        == 0
    )
    again = runner.invoke(main, ["create-user", "b", "--full-name", "B", "--role", "finance", "--database-url", url])
    assert again.exit_code != 0
    assert "exists" in again.output
    unknown = runner.invoke(main, ["disable-user", "khong.co", "--database-url", url])
    assert unknown.exit_code != 0
    assert "no user named khong.co" in unknown.output
    short = runner.invoke(main, ["reset-password", "b", "--password-stdin", "--database-url", url], input="ngan\n")
    assert short.exit_code != 0
    assert "at least 10" in short.output
