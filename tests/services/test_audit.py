"""The hash-chained audit log: an intact history verifies, any edit to a document or audit row is reported."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, delete, select, update

from einvoice.cli import main
from einvoice.domain.parties import Buyer
from einvoice.services.audit import verify_audit
from einvoice.services.issuing import CatalogueFee, ReceiptRequest, Toolchain, issue_document
from einvoice.storage.schema import audit_entries, document_events, documents, series

POSITIONS = {"first": 1, "middle": 2, "last": 3}


@pytest.fixture
def history(engine: Engine, world: dict[str, Any], tools: Toolchain, clock: Any) -> dict[int, int]:
    """Issue three receipts; return their document ids by number."""
    request = ReceiptRequest(world["receipts"]["id"], Buyer(name="Nguyễn Văn An"), (CatalogueFee("LP-CT"),))
    issued = [issue_document(engine, request, actor=world["cashier"], now=clock, tools=tools) for _ in range(3)]
    return {doc.number: doc.id for doc in issued}


def _edit_xml(engine: Engine, doc_id: int, number: int) -> None:
    with engine.begin() as conn:
        conn.execute(update(documents).where(documents.c.id == doc_id).values(xml=b"<BLai>forged</BLai>"))


def _edit_total(engine: Engine, doc_id: int, number: int) -> None:
    with engine.begin() as conn:
        conn.execute(update(documents).where(documents.c.id == doc_id).values(total=Decimal(1)))


def _edit_entry(engine: Engine, doc_id: int, number: int) -> None:
    with engine.begin() as conn:
        conn.execute(update(audit_entries).where(audit_entries.c.number == number).values(actor="someone-else"))


def _rehash_document(engine: Engine, doc_id: int, number: int) -> None:
    """Forge the XML and its stored hash together: the audit entry still holds the original hash."""
    forged = b"<BLai>forged</BLai>"
    digest = hashlib.sha256(forged).hexdigest()
    with engine.begin() as conn:
        conn.execute(update(documents).where(documents.c.id == doc_id).values(xml=forged, sha256=digest))


EDITS = {"xml": _edit_xml, "total": _edit_total, "audit_row": _edit_entry, "xml_and_hash": _rehash_document}


def test_intact_history_verifies(engine: Engine, history: dict[int, int]) -> None:
    """Three issued receipts leave a chain with no findings."""
    assert verify_audit(engine) == []


@pytest.mark.parametrize("position", POSITIONS)
@pytest.mark.parametrize("edit", EDITS)
def test_edit_is_reported_with_its_number(engine: Engine, history: dict[int, int], position: str, edit: str) -> None:
    """Editing the first, middle or last document or audit row is reported with the series and number."""
    number = POSITIONS[position]
    EDITS[edit](engine, history[number], number)
    findings = verify_audit(engine)
    assert findings
    assert {finding.number for finding in findings} >= {number}
    assert all(finding.series == "EBL01/26TAA" for finding in findings)


def test_removing_the_last_entry_is_reported(engine: Engine, history: dict[int, int]) -> None:
    """Deleting the newest audit entry (and its document) breaks the head the series keeps."""
    with engine.begin() as conn:
        conn.execute(delete(audit_entries).where(audit_entries.c.number == 3))
        third = select(documents.c.id).where(documents.c.number == 3).scalar_subquery()
        conn.execute(delete(document_events).where(document_events.c.document_id == third))
        conn.execute(delete(documents).where(documents.c.number == 3))
    reasons = " ".join(finding.reason for finding in verify_audit(engine))
    assert "truncated" in reasons
    assert "without gaps" in reasons


def test_rewinding_the_counter_is_reported(engine: Engine, history: dict[int, int]) -> None:
    """Setting next_number back (to reuse numbers) is reported."""
    with engine.begin() as conn:
        conn.execute(update(series).values(next_number=2))
    assert any("without gaps" in finding.reason for finding in verify_audit(engine))


def test_audit_verify_command_exits_1_listing_the_row(engine: Engine, history: dict[int, int]) -> None:
    """`einvoice audit-verify` exits 0 on intact history, 1 with series/number/row after an edit."""
    url = engine.url.render_as_string(hide_password=False)
    runner = CliRunner()
    intact = runner.invoke(main, ["audit-verify", "--database-url", url])
    assert intact.exit_code == 0, intact.output
    _edit_xml(engine, history[2], 2)
    tampered = runner.invoke(main, ["audit-verify", "--database-url", url])
    assert tampered.exit_code == 1
    assert f"series EBL01/26TAA number 2: documents row {history[2]}" in tampered.output
