"""Circular 91 series: five-character receipt series, the F invoice letter, and the cut-over of the old 26T form."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from builders import invoice, receipt
from flask.testing import FlaskClient
from sqlalchemy import Engine, insert, select

from einvoice.domain import series
from einvoice.storage.schema import series as series_table
from einvoice.xmldoc.build import build_invoice_for_signing, build_receipt_for_signing
from einvoice.xmldoc.validate import validate_document


@pytest.mark.parametrize("symbol", ["26TAA", "27TYX", "26TKD"])
def test_five_character_receipt_series_are_well_formed(symbol: str) -> None:
    """Year, T and two letters of the 20-letter set make a receipt series."""
    assert series.is_receipt_series(symbol)
    assert series.series_year(symbol) == int(symbol[:2])


@pytest.mark.parametrize("symbol", ["26T", "26TAF", "26TIJ", "26TAW", "26TA", "26XAA", "26Taa", "26TAAA"])
def test_other_receipt_series_are_not_of_the_new_form(symbol: str) -> None:
    """Letters outside the set (F I J O W Z), other lengths and lowercase are refused."""
    assert not series.is_receipt_series(symbol)


def test_invoice_series_accept_the_letter_f() -> None:
    """F (VAT invoice cum tax-refund declaration) is a type letter of Circular 91."""
    assert series.is_invoice_series("C26FAA")
    assert not series.is_invoice_series("C26ZAA")


def test_old_receipt_series_are_usable_only_before_the_cut_over() -> None:
    """26T may be on a receipt dated 30 June 2026, not on one dated 1 July 2026; 26TAA on both."""
    assert series.receipt_series_usable_on("26T", date(2026, 6, 30))
    assert not series.receipt_series_usable_on("26T", date(2026, 7, 1))
    assert series.receipt_series_usable_on("26TAA", date(2026, 7, 1))


def _codes(xml: bytes) -> set[str]:
    return {problem.code for problem in validate_document(xml)}


def test_validation_accepts_a_new_receipt_series_and_an_f_invoice() -> None:
    """A receipt in 26TAA and an invoice in C26FAA pass the schema and the rules."""
    assert validate_document(build_receipt_for_signing(receipt(series="26TAA", issue_date=date(2026, 9, 1))).xml) == []
    assert validate_document(build_invoice_for_signing(invoice(series="C26FAA", issue_date=date(2026, 9, 1))).xml) == []


def test_validation_reads_old_receipts_and_refuses_new_ones_in_the_old_form() -> None:
    """A 25T receipt of 2025 stays valid; a 26T receipt dated after the cut-over is refused by rule DOC_SERIES."""
    assert validate_document(build_receipt_for_signing(receipt(series="25T")).xml) == []
    late = validate_document(build_receipt_for_signing(receipt(series="26T", issue_date=date(2026, 7, 1))).xml)
    assert [(p.code, p.path.rsplit("/", 1)[-1]) for p in late] == [("DOC_SERIES", "KHBLai")]
    assert "01/07/2026" in late[0].message_vi


def test_schema_refuses_letters_outside_the_set() -> None:
    """The receipt XSD refuses 26TAF (F is not one of the 20 letters)."""
    assert _codes(build_receipt_for_signing(receipt(series="26TAF", issue_date=date(2026, 9, 1))).xml)


def test_creating_an_old_form_series_explains_what_to_register(
    api: FlaskClient, world: dict[str, Any], auth: Any
) -> None:
    """POST /series with 26T is refused with a message telling the admin to register a 5-character series."""
    body = {"issuer_id": world["issuer"]["id"], "kind": "receipt", "template": "EBL01", "symbol": "26T"}
    answer = api.post("/api/v1/series", json=body, headers=auth("admin", "s-old"))
    assert answer.status_code == 422
    problem = answer.get_json()["problems"][0]
    assert (problem["code"], problem["path"]) == ("DOC_SERIES", "symbol")
    assert "26TAA" in problem["message_vi"]
    assert "Thông tư 91" in problem["message_vi"]


def _legacy_series(engine: Engine, world: dict[str, Any]) -> int:
    values = {
        "issuer_id": world["issuer"]["id"],
        "kind": "receipt",
        "template": "EBL02",
        "symbol": "26T",
        "year": 2026,
        "counter_id": world["counter"]["id"],
        "next_number": 1,
        "active": True,
    }
    with engine.begin() as conn:
        return int(conn.execute(insert(series_table).values(values).returning(series_table.c.id)).scalar_one())


def test_an_old_form_series_issues_until_the_cut_over_only(
    api: FlaskClient, world: dict[str, Any], auth: Any, engine: Engine, clock: Any
) -> None:
    """A 26T series left in a database issues on 30 June 2026 and is refused, naming the rule, from 1 July."""
    series_id = _legacy_series(engine, world)
    body = {"series_id": series_id, "payer": {"name": "Trần Thị Bích"}, "fees": [{"code": "LP-CT"}]}
    clock.value = datetime(2026, 6, 30, 3, 0, tzinfo=UTC)
    assert api.post("/api/v1/receipts", json=body, headers=auth("cashier", "r-1")).status_code == 201
    clock.value = datetime(2026, 7, 1, 3, 0, tzinfo=UTC)
    refused = api.post("/api/v1/receipts", json=body, headers=auth("cashier", "r-2"))
    assert refused.status_code == 422
    assert refused.get_json()["problems"][0]["code"] == "series_symbol_legacy"
    with engine.connect() as conn:
        assert conn.execute(select(series_table.c.next_number).where(series_table.c.id == series_id)).scalar() == 2
