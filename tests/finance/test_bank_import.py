"""Importing a statement against the stored receipts: matches stored with reasons; the same file twice adds nothing."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, func, select

from einvoice.domain.parties import Buyer
from einvoice.services.bank import import_statement, unpaid_transfers
from einvoice.services.counter import CounterSale, issue_sale
from einvoice.services.issuing import CatalogueFee, Toolchain
from einvoice.services.ledger import catch_up
from einvoice.storage.schema import bank_lines, documents, finance_facts


def _transfer_receipts(engine: Engine, methods: tuple[str, ...] = ("CK",)) -> list[Any]:
    catch_up(engine)
    d = documents.c
    with engine.connect() as conn:
        return conn.execute(
            select(d.id, d.template, d.series, d.number, d.total, d.issue_date)
            .join(finance_facts, finance_facts.c.document_id == d.id)
            .where(finance_facts.c.payment_method.in_(methods), d.state == "issued")
            .order_by(d.id)
        ).all()


def _statement(rows: list[tuple[str, str]], day: Any) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["SAO KÊ TÀI KHOẢN/STATEMENT OF ACCOUNT"])
    writer.writerow(["Ngày giao dịch", "Số tham chiếu", "Số tiền ghi nợ", "Số tiền ghi có", "Mô tả"])
    for i, (description, amount) in enumerate(rows):
        writer.writerow([day.strftime("%d/%m/%Y"), f"5243.{i:05d}", "", amount, description])
    writer.writerow(["Tổng"])
    return ("\ufeff" + out.getvalue()).encode()


def test_import_matches_and_is_idempotent(engine: Engine, day: dict[str, Any]) -> None:
    """Credits naming a receipt's reference match it with the reason; importing the same file again adds nothing."""
    first, second = _transfer_receipts(engine)[:2]
    rows = [
        (f"MBVCB.123.LPCT {first.series} {first.number}.CT tu 0011 NGUYEN VAN A", f"{first.total:,}"),
        (f"LPCT {second.series}{second.number} nop phi", f"{second.total:,}"),
        ("TRA LUONG", "5,000,000"),
    ]
    data = _statement(rows, day["date"])
    now = datetime(2026, 3, 2, 10, tzinfo=UTC)
    result = import_statement(engine, "VCB", data, "vcb.csv", user_id=None, now=now)
    assert result.added == 3
    assert [m.outcome for m in result.matches][2] == "foreign"
    with engine.connect() as conn:
        stored = conn.execute(select(bank_lines.c.document_id, bank_lines.c.outcome).order_by(bank_lines.c.id)).all()
    assert stored[2] == (None, "foreign")
    # both EBL01/26T and EBL02/26T may carry the number: the amount decides, or it is left for a person
    for (document_id, outcome), receipt in zip(stored[:2], (first, second), strict=True):
        assert (document_id, outcome) in {(receipt.id, "exact"), (None, "ambiguous")}
    again = import_statement(engine, "VCB", data, "vcb.csv", user_id=None, now=now)
    assert (again.added, again.known) == (0, 3)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(bank_lines)).scalar_one() == 3


def test_import_through_the_api(api: Any, auth: Any, day: dict[str, Any], engine: Engine) -> None:
    """POST a statement: lines matched with reasons; the lines and the still-unpaid transfer receipts are listed."""
    receipts = _transfer_receipts(engine)
    unique = [r for r in receipts if sum(1 for o in receipts if (o.series, o.number) == (r.series, r.number)) == 1]
    paid = unique[0]
    data = _statement([(f"LPCT {paid.series} {paid.number}", f"{paid.total:,}"), ("TRA LUONG", "1,000")], day["date"])
    answer = api.post(
        "/api/v1/finance/bank-statements?bank=VCB&format=csv", data=data, headers=auth("finance", "stmt-1")
    )
    assert answer.status_code == 201, answer.get_json()
    assert [(m["outcome"], m["document_id"]) for m in answer.get_json()["matches"]] == [
        ("exact", paid.id),
        ("foreign", None),
    ]
    period = {"date_from": day["date"], "date_to": day["date"]}
    lines = api.get("/api/v1/finance/bank-lines", query_string=period, headers=auth("finance")).get_json()
    assert [(line["outcome"], line["number"]) for line in lines] == [("exact", paid.number), ("foreign", None)]
    unpaid = api.get("/api/v1/finance/unpaid-transfers", query_string=period, headers=auth("finance")).get_json()
    assert paid.id not in {r["id"] for r in unpaid}
    assert len(unpaid) == len(_transfer_receipts(engine, ("CK", "TM/CK"))) - 1
    wrong = api.post("/api/v1/finance/bank-statements?bank=BIDV", data=data, headers=auth("finance", "stmt-2"))
    assert wrong.status_code == 422
    assert wrong.get_json()["problems"][0]["path"] == "body"


def test_mixed_payment_expects_its_transfer_part(
    engine: Engine, world: dict[str, Any], tools: Toolchain, clock: Any
) -> None:
    """A cash + transfer receipt waits for its transfer part: matched on it (reference, then amount), listed with it."""
    cashier = world["cashier"]

    def sell(key: str, quantity: str) -> Any:
        sale = CounterSale(
            series_id=world["receipts"]["id"],
            fees=(CatalogueFee("LP-CT", Decimal(quantity)),),
            payer=Buyer(name=f"Người nộp {key}"),
            method="TM/CK",
            form_key=key * 20,
            cash_part=Decimal(1000),
        )
        document_id = issue_sale(engine, sale, actor=cashier, now=clock, tools=tools)
        with engine.connect() as conn:
            return conn.execute(select(documents).where(documents.c.id == document_id)).one()

    by_reference, by_amount = sell("a", "2"), sell("b", "3")
    day = by_reference.issue_date
    unpaid = {r["id"]: r for r in unpaid_transfers(engine, day, day)}
    assert unpaid[by_reference.id]["transfer"] == by_reference.total - 1000
    assert unpaid[by_amount.id]["transfer"] == by_amount.total - 1000
    rows = [
        (f"LP {by_reference.series} {by_reference.number} chuyen khoan", f"{by_reference.total - 1000:,}"),
        ("NOP LE PHI", f"{by_amount.total - 1000:,}"),
    ]
    now = datetime(2026, 3, 2, 10, tzinfo=UTC)
    result = import_statement(engine, "VCB", _statement(rows, day), "vcb.csv", user_id=None, now=now)
    assert [(m.outcome, m.document_id) for m in result.matches] == [
        ("exact", by_reference.id),
        ("amount_date", by_amount.id),
    ]
    assert not {by_reference.id, by_amount.id} & {r["id"] for r in unpaid_transfers(engine, day, day)}
