"""The issuing transaction: numbers, dates, refusals, and that a failure leaves no trace."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from einvoice.domain.documents import FeeLine
from einvoice.domain.errors import InvalidDocumentError, Problem
from einvoice.domain.parties import Buyer
from einvoice.domain.rates import VatRate
from einvoice.domain.totals import goods_line
from einvoice.services import issuing
from einvoice.services.audit import verify_audit
from einvoice.services.errors import ConflictError, ForbiddenError, RequestProblemsError
from einvoice.services.issuing import (
    Actor,
    CatalogueFee,
    InvoiceRequest,
    IssueHooks,
    ReceiptRequest,
    Toolchain,
    issue_document,
)
from einvoice.storage.schema import audit_entries, documents, series

PAYER = Buyer(name="Trần Thị Bích", citizen_id="001190000001")


def _receipt(world: dict[str, Any], *codes: str) -> ReceiptRequest:
    fees = tuple(CatalogueFee(code, Decimal(2)) for code in codes or ("LP-CT",))
    return ReceiptRequest(series_id=world["receipts"]["id"], payer=PAYER, fees=fees)


def _count(engine: Engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        docs = conn.execute(select(func.count()).select_from(documents)).scalar_one()
        entries = conn.execute(select(func.count()).select_from(audit_entries)).scalar_one()
        next_number = conn.execute(select(func.max(series.c.next_number))).scalar_one()
    return docs, entries, next_number


def test_receipts_are_numbered_from_one(engine: Engine, world: dict[str, Any], tools: Toolchain, clock: Any) -> None:
    """Three receipts in a series get numbers 1, 2, 3, the Hà Nội date, and the catalogue's amounts."""
    issued = [
        issue_document(engine, _receipt(world, "LP-CT", "LP-KS"), actor=world["cashier"], now=clock, tools=tools)
        for _ in range(3)
    ]
    assert [doc.number for doc in issued] == [1, 2, 3]
    assert issued[0].total == Decimal(20_000)
    assert issued[0].issue_date.isoformat() == "2026-03-02"
    assert issued[0].party_name == "Trần Thị Bích"
    assert len({doc.lookup_code for doc in issued}) == 3
    assert verify_audit(engine) == []


def test_invoice_is_issued_with_its_totals(engine: Engine, world: dict[str, Any], tools: Toolchain, clock: Any) -> None:
    """An invoice request becomes invoice number 1 with the computed total payable."""
    line = goods_line("Giấy A4", Decimal(10), Decimal(50_000), VatRate.parse("10%"), unit="Ram")
    request = InvoiceRequest(world["invoices"]["id"], Buyer(name="CÔNG TY XYZ", tax_code="0309876543"), (line,))
    doc = issue_document(engine, request, actor=world["cashier"], now=clock, tools=tools)
    assert (doc.kind, doc.number, doc.total, doc.party_tax_code) == ("invoice", 1, Decimal(550_000), "0309876543")


def test_explicit_lines_are_accepted(engine: Engine, world: dict[str, Any], tools: Toolchain, clock: Any) -> None:
    """A receipt may list its fees explicitly instead of naming catalogue codes."""
    line = FeeLine(name="Phí trông giữ xe", unit_price=Decimal(5_000), amount=Decimal(5_000), legal_basis="NQ 1/2025")
    request = ReceiptRequest(world["receipts"]["id"], PAYER, lines=(line,))
    assert issue_document(engine, request, actor=world["cashier"], now=clock, tools=tools).total == Decimal(5_000)


def test_failure_after_the_number_leaves_no_gap(
    engine: Engine, world: dict[str, Any], tools: Toolchain, clock: Any
) -> None:
    """A transaction that fails after taking number 2 stores nothing; the next document is number 2."""
    issue_document(engine, _receipt(world), actor=world["cashier"], now=clock, tools=tools)

    def fail(number: int) -> None:
        raise RuntimeError(f"injected after {number}")

    with pytest.raises(RuntimeError, match="injected after 2"):
        issue_document(engine, _receipt(world), actor=world["cashier"], now=clock, tools=tools, hooks=IssueHooks(fail))
    assert _count(engine) == (1, 1, 2)
    assert issue_document(engine, _receipt(world), actor=world["cashier"], now=clock, tools=tools).number == 2


def test_invalid_document_stores_nothing(engine: Engine, world: dict[str, Any], clock: Any) -> None:
    """Validation problems raise InvalidDocumentError with all of them, and the counter does not move."""
    problems = [Problem("x", "/BLai", "sai", "wrong"), Problem("y", "/BLai/DLBLai", "sai", "wrong")]
    refusing = Toolchain(validate=lambda xml: problems, sign=lambda built, issuer, moment: built.xml)
    with pytest.raises(InvalidDocumentError) as caught:
        issue_document(engine, _receipt(world), actor=world["cashier"], now=clock, tools=refusing)
    assert caught.value.problems == tuple(problems)
    assert _count(engine) == (0, 0, 1)


def test_failing_signer_stores_nothing(engine: Engine, world: dict[str, Any], tools: Toolchain, clock: Any) -> None:
    """A signer that fails inside the transaction leaves the series as it was."""

    def broken(built: Any, issuer: Any, moment: Any) -> bytes:
        raise OSError("token removed")

    with pytest.raises(OSError, match="token removed"):
        issue_document(
            engine, _receipt(world), actor=world["cashier"], now=clock, tools=Toolchain(tools.validate, broken)
        )
    assert _count(engine) == (0, 0, 1)


def test_clock_going_backwards_is_refused(engine: Engine, world: dict[str, Any], tools: Toolchain, clock: Any) -> None:
    """After issuing on 2 March, a clock reading 1 March is refused: dates never decrease in a series."""
    issue_document(engine, _receipt(world), actor=world["cashier"], now=clock, tools=tools)
    clock.value -= timedelta(days=1)
    with pytest.raises(ConflictError, match="before the series"):
        issue_document(engine, _receipt(world), actor=world["cashier"], now=clock, tools=tools)


def test_other_counter_is_forbidden(engine: Engine, world: dict[str, Any], tools: Toolchain, clock: Any) -> None:
    """A cashier of counter 2 cannot issue in counter 1's series; finance cannot issue at all."""
    stranger = Actor(None, "khac", "cashier", world["other_counter"]["id"], None, world["issuer"]["id"])
    with pytest.raises(ForbiddenError, match="another counter"):
        issue_document(engine, _receipt(world), actor=stranger, now=clock, tools=tools)
    with pytest.raises(ForbiddenError):
        issue_document(engine, _receipt(world), actor=Actor(None, "kt", "finance"), now=clock, tools=tools)


def test_unknown_fee_code_lists_the_problem(
    engine: Engine, world: dict[str, Any], tools: Toolchain, clock: Any
) -> None:
    """Naming a fee that is not in force gives a problem at its path, and nothing is stored."""
    with pytest.raises(RequestProblemsError) as caught:
        issue_document(engine, _receipt(world, "LP-CT", "NOPE"), actor=world["cashier"], now=clock, tools=tools)
    assert [p.path for p in caught.value.problems] == ["fees[1].code"]
    assert _count(engine) == (0, 0, 1)


def test_lookup_code_collision_is_retried(
    engine: Engine, world: dict[str, Any], tools: Toolchain, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When a fresh lookup code already exists the whole transaction is retried with another one, same number."""
    codes = iter(["AAAAAAAAAAAA", "AAAAAAAAAAAA", "BBBBBBBBBBBB"])
    monkeypatch.setattr(issuing, "new_lookup_code", lambda: next(codes))
    first = issue_document(engine, _receipt(world), actor=world["cashier"], now=clock, tools=tools)
    second = issue_document(engine, _receipt(world), actor=world["cashier"], now=clock, tools=tools)
    assert (first.lookup_code, second.lookup_code, second.number) == ("AAAAAAAAAAAA", "BBBBBBBBBBBB", 2)


def test_flat_fee_takes_quantity_one(engine: Engine, world: dict[str, Any], tools: Toolchain, clock: Any) -> None:
    """A fee with a flat amount (not per unit) refuses a quantity other than 1."""
    from einvoice.services import catalogue

    flat = {"code": "PHI-TD", "name": "Phí thẩm định hồ sơ", "amount": Decimal(150_000), "legal_basis": "TT 85/2019"}
    catalogue.create_fee(engine, {**flat, "issuer_id": world["issuer"]["id"], "effective_from": clock().date()})
    request = ReceiptRequest(world["receipts"]["id"], PAYER, (CatalogueFee("PHI-TD", Decimal(2)),))
    with pytest.raises(RequestProblemsError) as caught:
        issue_document(engine, request, actor=world["cashier"], now=clock, tools=tools)
    assert caught.value.problems[0].code == "FLAT_FEE_QUANTITY"
    single = ReceiptRequest(world["receipts"]["id"], PAYER, (CatalogueFee("PHI-TD"),))
    assert issue_document(engine, single, actor=world["cashier"], now=clock, tools=tools).total == Decimal(150_000)
