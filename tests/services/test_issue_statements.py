"""Statement budgets of the issuing transaction and of a new idempotency key, and the rows the combined write stores."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, select, update
from tests_support import statements

from einvoice.domain.documents import FeeLine
from einvoice.domain.parties import Buyer
from einvoice.domain.rates import VatRate
from einvoice.domain.totals import goods_line
from einvoice.services import idempotency
from einvoice.services.audit import verify_audit
from einvoice.services.errors import ConflictError
from einvoice.services.issuing import InvoiceRequest, IssuedDocument, ReceiptRequest, Toolchain, issue_document
from einvoice.storage.issue_store import STATEMENT_BUDGET
from einvoice.storage.schema import audit_entries, document_events, documents, outbox_items, series

PAYER = Buyer(name="Lê Văn Cường")
FEE = FeeLine(name="Lệ phí chứng thực", unit_price=Decimal(2_000), amount=Decimal(2_000), legal_basis="TT 226/2016")


def _issue_receipt(engine: Engine, world: dict[str, Any], tools: Toolchain, clock: Any) -> IssuedDocument:
    request = ReceiptRequest(world["receipts"]["id"], PAYER, lines=(FEE,))
    return issue_document(engine, request, actor=world["cashier"], now=clock, tools=tools)


def _invoice(world: dict[str, Any], lines: int) -> InvoiceRequest:
    made = tuple(
        goods_line(f"Hàng {i}", Decimal(i), Decimal(10_000), VatRate.parse("10%"), unit="cái")
        for i in range(1, lines + 1)
    )
    return InvoiceRequest(world["invoices"]["id"], Buyer(name="CÔNG TY ABC", tax_code="0101234567"), made)


def test_an_issue_stays_within_its_statement_budget(
    engine: Engine, world: dict[str, Any], tools: Toolchain, clock: Any
) -> None:
    """A receipt and invoices of 1 and 30 lines each cost the engine's budget of statements, never more."""
    budget = STATEMENT_BUDGET[engine.dialect.name]
    _issue_receipt(engine, world, tools, clock)
    counts = []
    for request in (
        ReceiptRequest(world["receipts"]["id"], PAYER, lines=(FEE,)),
        _invoice(world, 1),
        _invoice(world, 30),
    ):
        with statements(engine) as sent:
            issue_document(engine, request, actor=world["cashier"], now=clock, tools=tools)
        counts.append(len(sent))
    assert max(counts) <= budget, counts
    assert len(set(counts)) == 1  # the count does not grow with the lines
    assert verify_audit(engine) == []


def test_the_combined_write_stores_every_row_of_an_issue(
    engine: Engine, world: dict[str, Any], tools: Toolchain, clock: Any
) -> None:
    """One issue stores its document, outbox item, issue event and audit entry, linked by the document id."""
    issued = [_issue_receipt(engine, world, tools, clock) for _ in range(2)]
    last = issued[-1]
    with engine.connect() as conn:
        document = conn.execute(select(documents).where(documents.c.id == last.id)).mappings().one()
        queued = conn.execute(select(outbox_items).where(outbox_items.c.document_id == last.id)).mappings().all()
        events = conn.execute(select(document_events).where(document_events.c.document_id == last.id)).mappings().all()
        entry = conn.execute(select(audit_entries).where(audit_entries.c.document_id == last.id)).mappings().one()
        row = conn.execute(select(series).where(series.c.id == world["receipts"]["id"])).mappings().one()
    assert (document["number"], document["total"], document["sha256"]) == (2, Decimal(2_000), last.sha256)
    assert [(q["route"], q["issuer_id"], q["message_id"], q["created_at"]) for q in queued] == [
        ("receipt", document["issuer_id"], None, document["created_at"])
    ]
    assert [(e["action"], e["standing"], e["transmission"], e["actor"]) for e in events] == [
        ("issue", "issued", "pending", world["cashier"].username)
    ]
    assert (entry["seq"], entry["number"], entry["document_sha256"]) == (2, 2, last.sha256)
    assert (row["next_number"], row["audit_seq"], row["audit_head"]) == (3, 2, entry["hash"])


def test_a_series_whose_audit_sequence_was_edited_is_reported(
    engine: Engine, world: dict[str, Any], tools: Toolchain, clock: Any
) -> None:
    """verify_audit notices a series whose audit sequence no longer names its last entry."""
    for _ in range(3):
        _issue_receipt(engine, world, tools, clock)
    assert verify_audit(engine) == []
    with engine.begin() as conn:
        conn.execute(update(series).where(series.c.id == world["receipts"]["id"]).values(audit_seq=2))
    findings = verify_audit(engine)
    assert [f.reason for f in findings] == ["the series says its last audit entry is 2, not 3"]


def test_a_new_idempotency_key_is_one_statement_on_postgresql(engine: Engine, world: dict[str, Any]) -> None:
    """PostgreSQL reserves a new key in one statement; a second request with it finds the key in flight (409)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite holds new keys by lock files, without a statement")
    user = world["cashier"].user_id
    with statements(engine) as sent:
        held = idempotency.reserve(engine, user, "key-1", "fingerprint")
    assert isinstance(held, idempotency.Reservation)
    assert len(sent) == 1
    with pytest.raises(ConflictError):
        idempotency.reserve(engine, user, "key-1", "fingerprint")
