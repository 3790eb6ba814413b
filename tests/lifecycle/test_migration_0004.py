"""Migration 0004: the old 26T receipt series are closed, documents get transmission and an issue event."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select, text

from einvoice.storage.engine import make_engine, migrate
from einvoice.storage.schema import document_events, documents, series


def test_upgrade_closes_old_receipt_series_and_starts_each_history(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """From 0002: 26T is closed (the log says what to register), 26TAB stays open, each document gets an issue event."""
    engine = make_engine(database_url)
    try:
        migrate(engine, "0002")
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO issuers (id, name, tax_code, address, created_at) VALUES (1, 'X', '0101234567', 'Y', "
                "'2026-01-01 00:00:00')"
            )
            conn.exec_driver_sql(
                "INSERT INTO users (id, username, full_name, role, active, created_at) "
                "VALUES (7, 'thu.ngan', 'Lê Văn Cường', 'cashier', true, '2026-01-01 00:00:00')"
            )
            conn.exec_driver_sql(
                "INSERT INTO series (id, issuer_id, kind, template, symbol, year, next_number, active) VALUES "
                "(1, 1, 'receipt', 'EBL01', '26T', 2026, 2, true), (2, 1, 'receipt', 'EBL01', '26TAB', 2026, 1, true),"
                " (3, 1, 'invoice', '1', 'C26TAA', 2026, 1, true)"
            )
            conn.execute(
                text(
                    "INSERT INTO documents (id, kind, issuer_id, series_id, template, series, number, issue_date,"
                    " currency, total, total_hundredths, state, lookup_code, party_name, party_search, issued_by,"
                    " created_at, sha256, xml) VALUES (1, 'receipt', 1, 1, 'EBL01', '26T', 1, '2026-03-02', 'VND',"
                    " '2000', 200000, 'issued', 'AAAAAAAAAAAA', 'B', 'b', 7, '2026-03-02 02:00:00', 'x', :xml)"
                ),
                {"xml": b"<BLai/>"},
            )
            conn.exec_driver_sql(  # rows that refer to the document: the upgrade must not drop the table they need
                "INSERT INTO audit_entries (series_id, seq, action, document_id, number, at, prev_hash, hash) "
                "VALUES (1, 1, 'issue', 1, 1, '2026-03-02T02:00:00Z', '0', '1')"
            )
        with caplog.at_level(logging.WARNING):
            migrate(engine)
        with engine.connect() as conn:
            active = dict(conn.execute(select(series.c.symbol, series.c.active)).all())
            transmission = conn.execute(select(documents.c.transmission)).scalar_one()
            events = conn.execute(select(document_events.c.action, document_events.c.actor)).all()
        assert active == {"26T": False, "26TAB": True, "C26TAA": True}
        assert transmission == "pending"
        assert [tuple(event) for event in events] == [("issue", "thu.ngan")]
        assert any("26T" in record.getMessage() and "26TAA" in record.getMessage() for record in caplog.records)
    finally:
        engine.dispose()
