"""What the finance work at scale rests on: day totals that stay right, the generator, chunked statement imports."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from click.testing import CliRunner
from sqlalchemy import Engine, func, select

import einvoice.storage
from einvoice.cli import main
from einvoice.domain.vntime import local_date
from einvoice.services.bank import CHUNK, import_statement
from einvoice.services.finance import Period, summarise
from einvoice.services.ledger import catch_up
from einvoice.storage.engine import make_engine, migrate
from einvoice.storage.schema import documents, finance_day_fees, finance_days, finance_facts
from einvoice.xmldoc.verify import verify_document
from tests.finance.test_summary import _expected


def _totals(engine: Engine) -> tuple[list[Any], list[Any]]:
    with engine.connect() as conn:
        days = conn.execute(select(finance_days).order_by(*finance_days.primary_key.columns)).all()
        fees = conn.execute(select(finance_day_fees).order_by(*finance_day_fees.primary_key.columns)).all()
    return [tuple(row) for row in days], [tuple(row) for row in fees]


def _check(summary: Any, expected: dict[str, Any]) -> None:
    assert summary.amount == expected["total"]
    assert {f.label: f.amount for f in summary.tables["fees"]} == expected["fees"]
    assert {f.filters["payment_method"]: f.amount for f in summary.tables["payment_methods"]} == expected["methods"]
    assert {f.filters["state"]: f.count for f in summary.tables["states"]} == dict(expected["states"])


def test_a_replacement_after_the_totals_were_kept(engine: Engine, day: dict[str, Any]) -> None:
    """Day totals are kept as issued: a document replaced after they were written leaves the summary at once."""
    period = Period(day["date"], day["date"])
    before = summarise(engine, period)
    with engine.connect() as conn:
        victim = conn.execute(
            select(documents.c.id, documents.c.total).where(documents.c.state == "issued").order_by(documents.c.id)
        ).first()
    assert victim is not None
    with engine.begin() as conn:
        conn.execute(documents.update().where(documents.c.id == victim.id).values(state="replaced"))
    after = summarise(engine, period)
    _check(after, _expected(engine))
    assert after.amount == before.amount - victim.total
    assert after.count == before.count - 1


def test_migration_totals_what_the_ledger_extracted_before(database_url: str, day: dict[str, Any]) -> None:
    """Migration 0012 totals the ledger rows extracted before it exactly as recording them one by one does."""
    engine = make_engine(database_url)
    catch_up(engine)
    recorded = _totals(engine)
    assert recorded[0]
    assert recorded[1]
    config = Config()
    config.set_main_option("script_location", str(Path(einvoice.storage.__file__).parent / "migrations"))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0011")
    migrate(engine)
    assert _totals(engine) == recorded
    engine.dispose()


def test_dev_generate(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """48 signed receipts and their copies: every copy verifies, the summary equals the XML, facts are complete."""
    monkeypatch.setenv("EINVOICE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("EINVOICE_ENV", "development")
    today = local_date(datetime.now(UTC))
    first = date(today.year, 1, 1)
    answer = CliRunner().invoke(
        main,
        ["dev-generate", "--database-url", database_url, "--documents", "300", "--start", first.isoformat(),
         "--days", "1"],
    )  # fmt: skip
    assert answer.exit_code == 0, answer.output
    assert "348 receipts" in answer.output
    engine = make_engine(database_url)
    with engine.connect() as conn:
        copies = conn.execute(select(documents.c.xml, documents.c.state).where(documents.c.issue_date == first)).all()
        assert conn.execute(select(func.count()).select_from(finance_facts)).scalar_one() == 348
    assert len(copies) == (300 if first != today else 348)
    assert {state for _, state in copies} == {"issued", "replaced", "adjusted"}
    root_ca = tmp_path / "dev-ca" / "root-ca.pem"
    assert root_ca.exists()
    report = verify_document(bytes(copies[-1][0]), allow_development=True)
    assert report.valid
    _check(summarise(engine, Period(first, today)), _expected(engine))
    answer = CliRunner().invoke(main, ["dev-generate", "--database-url", database_url, "--documents", "1"])
    assert answer.exit_code != 0
    assert "fresh database" in answer.output
    engine.dispose()


def test_dev_generate_is_refused_in_production(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """In production the generator stops before touching the database."""
    monkeypatch.setenv("EINVOICE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("EINVOICE_ENV", "production")
    monkeypatch.setenv("EINVOICE_SECRET_KEY", "Qx7-" + "k2P9vLm4Zt8Wr1Ys6Hb3Nd5Fg0Jc" * 2)
    url = f"sqlite:///{tmp_path / 'prod.sqlite3'}"
    answer = CliRunner().invoke(main, ["dev-generate", "--database-url", url, "--documents", "1"])
    assert answer.exit_code != 0
    assert "refused in production" in answer.output
    assert not (tmp_path / "prod.sqlite3").exists()


def test_a_statement_longer_than_a_chunk_imports_once(engine: Engine) -> None:
    """More lines than one question about known lines holds: all added once, all known the second time."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["STT", "Ngày giao dịch", "Số bút toán", "Phát sinh nợ", "Phát sinh có", "Nội dung"])
    count = CHUNK + 7
    writer.writerows([i, "02/03/2026", f"MB{i}", "", "15000", f"CHUYEN TIEN {i}"] for i in range(1, count + 1))
    data = out.getvalue().encode()
    now = datetime(2026, 3, 3, tzinfo=UTC)
    first = import_statement(engine, "MB", data, "sao-ke.csv", user_id=None, now=now)
    again = import_statement(engine, "MB", data, "sao-ke.csv", user_id=None, now=now)
    assert (first.added, first.known) == (count, 0)
    assert {m.outcome for m in first.matches} == {"foreign"}
    assert (again.added, again.known) == (0, count)
