"""The bad-input table: every refusal is a 4xx at the request's own field path, and nothing is stored or numbered."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select

from einvoice.storage.schema import documents, series

BIG = 10**15
PAYER = {"name": "Trần Thị Bích", "citizen_id": "001190000001"}
BUYER = {"name": "CÔNG TY CỔ PHẦN XYZ", "tax_code": "0309876543"}


def _goods(**overrides: Any) -> dict[str, Any]:
    return {"name": "Giấy A4", "quantity": "10", "unit_price": "50000", "vat_rate": "10%", **overrides}


@dataclass(frozen=True)
class Case:
    """One bad request: where it goes, its body, and the problem it must get."""

    name: str
    path: str
    body: dict[str, Any]
    field: str
    code: str
    vi: str = ""
    status: int = 422
    series: str = field(default="")


#: ``series`` names which of the world's series ``series_id`` takes ("receipts" or "invoices"); drafts carry a kind.
CASES = [
    Case(
        "payer without a name",
        "receipts",
        {"payer": {"citizen_id": "001190000001"}},
        "payer.name",
        "MISSING_FIELD",
        "Thiếu tên người nộp",
        series="receipts",
    ),
    Case("blank payer name", "receipts", {"payer": {"name": "   "}}, "payer.name", "BLANK", series="receipts"),
    Case(
        "payer e-mail longer than the XSD allows",
        "receipts",
        {"payer": {**PAYER, "email": "a" * 46 + "@x.vn"}},
        "payer.email",
        "TOO_LONG",
        series="receipts",
    ),
    Case(
        "control character in the payer name",
        "receipts",
        {"payer": {"name": "Bích\x0b"}},
        "payer.name",
        "NOT_XML_TEXT",
        series="receipts",
    ),
    Case(
        "dossier code longer than MHSo",
        "receipts",
        {"dossier_code": "H" * 21},
        "dossier_code",
        "TOO_LONG",
        series="receipts",
    ),
    Case(
        "93 fee lines of 10^15",
        "receipts",
        {"fees": [], "lines": [{"name": "Phí", "unit_price": BIG}] * 93},
        "lines",
        "AMOUNT_TOO_LARGE",
        series="receipts",
    ),
    Case(
        "a fee line of 10^24",
        "receipts",
        {"fees": [], "lines": [{"name": "Phí", "unit_price": BIG, "quantity": 10**9}]},
        "lines[0]",
        "AMOUNT_TOO_LARGE",
        series="receipts",
    ),
    Case(
        "an invoice series for a receipt",
        "receipts",
        {},
        "series_id",
        "SERIES_KIND",
        "Ký hiệu này không dùng cho biên lai",
        series="invoices",
    ),
    Case(
        "total of 10^18 đồng",
        "invoices",
        {"lines": [_goods(quantity="1000", unit_price=BIG)]},
        "lines[0]",
        "AMOUNT_TOO_LARGE",
        series="invoices",
    ),
    Case(
        "93 lines of 10^15",
        "invoices",
        {"lines": [_goods(quantity="1", unit_price=BIG)] * 93},
        "lines",
        "AMOUNT_TOO_LARGE",
        series="invoices",
    ),
    Case(
        "unknown currency XXX",
        "invoices",
        {"currency": "XXX", "exchange_rate": "1"},
        "currency",
        "UNKNOWN_CURRENCY",
        series="invoices",
    ),
    Case(
        "foreign currency without an exchange rate",
        "invoices",
        {"currency": "USD"},
        "exchange_rate",
        "MISSING_FIELD",
        series="invoices",
    ),
    Case(
        "exchange rate beyond 7 digits",
        "invoices",
        {"currency": "USD", "exchange_rate": "1000000"},
        "exchange_rate",
        "OUT_OF_RANGE",
        series="invoices",
    ),
    Case(
        "trade discount larger than the goods",
        "invoices",
        {"lines": [_goods(), {"nature": "trade_discount", "name": "CK", "amount": "600000", "vat_rate": "10%"}]},
        "lines[1].amount",
        "DISCOUNT_EXCEEDS_GOODS",
        series="invoices",
    ),
    Case(
        "deprecated discount alias larger than the goods",
        "invoices",
        {"lines": [_goods(), {"nature": "discount", "name": "CK", "amount": "600000", "vat_rate": "10%"}]},
        "lines[1].amount",
        "DISCOUNT_EXCEEDS_GOODS",
        series="invoices",
    ),
    Case(
        "line discount larger than the line",
        "invoices",
        {"lines": [_goods(discount_amount="600000")]},
        "lines[0].discount_amount",
        "DISCOUNT_EXCEEDS_LINE",
        series="invoices",
    ),
    Case(
        "negative quantity outside an adjustment",
        "invoices",
        {"lines": [_goods(quantity="-1")]},
        "lines[0].quantity",
        "NEGATIVE_QUANTITY",
        series="invoices",
    ),
    Case(
        "goods line without a VAT rate on a VAT invoice",
        "invoices",
        {"lines": [_goods(vat_rate=None)]},
        "lines[0].vat_rate",
        "MISSING_FIELD",
        series="invoices",
    ),
    Case(
        "promotion without a quantity",
        "invoices",
        {"lines": [_goods(), {"nature": "promotion", "name": "Ly"}]},
        "lines[1].quantity",
        "MISSING_FIELD",
        "Dòng khuyến mại phải có số lượng",
        series="invoices",
    ),
    Case(
        "unknown line nature",
        "invoices",
        {"lines": [_goods(nature="gift")]},
        "lines[0].nature",
        "NOT_ONE_OF",
        series="invoices",
    ),
    Case(
        "draft whose payer has no name",
        "drafts",
        {"kind": "receipt", "request": {"payer": {}}},
        "request.payer.name",
        "MISSING_FIELD",
        "Thiếu tên người nộp",
        series="receipts",
    ),
]


def _body(case: Case, world: dict[str, Any]) -> dict[str, Any]:
    series_id = world[case.series]["id"]
    if case.path == "drafts":
        request = {"series_id": series_id, "fees": [{"code": "LP-CT"}], **case.body["request"]}
        return {**case.body, "request": request}
    base: dict[str, Any] = (
        {"series_id": series_id, "payer": PAYER, "fees": [{"code": "LP-CT"}]}
        if case.path == "receipts"
        else {"series_id": series_id, "buyer": BUYER, "lines": [_goods()]}
    )
    body = {**base, **case.body}
    body["lines"] = [{k: v for k, v in line.items() if v is not None} for line in body.get("lines", [])]
    return body


def _key(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "-", text)


_ENGLISH_WORDS = re.compile(r"\b(receipt|invoice|missing|field|required|must|not)\b", re.IGNORECASE)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_refused_at_the_field(
    api: FlaskClient, world: dict[str, Any], auth: Any, engine: Engine, case: Case
) -> None:
    """Each bad request answers 422 naming the caller's field in both languages; no document, no number taken."""
    answer = api.post(f"/api/v1/{case.path}", json=_body(case, world), headers=auth("cashier", _key(case.name)))
    assert answer.status_code == case.status, answer.get_json()
    problems = answer.get_json()["problems"]
    found = {(p["path"], p["code"]) for p in problems}
    assert (case.field, case.code) in found, problems
    mine = next(p for p in problems if (p["path"], p["code"]) == (case.field, case.code))
    assert not mine["path"].startswith("/"), "an XML path for JSON the caller sent"
    if case.vi:
        assert mine["message_vi"] == case.vi
    assert all(p["message_en"] and p["message_vi"] for p in problems)
    assert not any(_ENGLISH_WORDS.search(p["message_vi"]) for p in problems), problems
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(documents)).scalar_one() == 0
        assert set(conn.execute(select(series.c.next_number)).scalars()) == {1}


def test_no_request_of_the_table_reaches_a_server_error(api: FlaskClient, world: dict[str, Any], auth: Any) -> None:
    """Sent directly, or saved as a draft then previewed and issued, no request of the table answers 5xx."""
    refusals, drafts = [], []
    for case in CASES:
        body = _body(case, world)
        refusals.append(api.post(f"/api/v1/{case.path}", json=body, headers=auth("cashier", _key(f"all-{case.name}"))))
        if case.path != "drafts":
            draft = {"kind": case.path.rstrip("s"), "request": body}
            saved = api.post("/api/v1/drafts", json=draft, headers=auth("cashier", _key(f"d-{case.name}")))
            drafts.append(saved)
            if saved.status_code == 201:  # figures are checked when the draft is previewed or issued
                url = f"/api/v1/drafts/{saved.get_json()['id']}"
                refusals.append(api.get(f"{url}/preview", headers=auth("cashier")))
                refusals.append(api.post(f"{url}/issue", headers=auth("cashier", _key(f"i-{case.name}"))))
    assert [a.status_code for a in refusals + drafts if a.status_code >= 500] == []
    assert all(400 <= a.status_code < 500 for a in refusals), [a.get_json() for a in refusals if a.status_code < 400]


def test_a_missing_idempotency_key_is_a_bilingual_400(api: FlaskClient, world: dict[str, Any], auth: Any) -> None:
    """Without Idempotency-Key a creating POST answers 400 with a problem at the header, in both languages."""
    body = {"series_id": world["receipts"]["id"], "payer": PAYER, "fees": [{"code": "LP-CT"}]}
    answer = api.post("/api/v1/receipts", json=body, headers=auth("cashier"))
    assert answer.status_code == 400
    [problem] = answer.get_json()["problems"]
    assert (problem["code"], problem["path"]) == ("IDEMPOTENCY_KEY_MISSING", "headers.Idempotency-Key")
    assert problem["message_vi"].startswith("Thiếu tiêu đề Idempotency-Key")
    assert "Idempotency-Key" in problem["message_en"]


def test_a_drafts_figures_are_refused_at_the_drafts_paths(api: FlaskClient, world: dict[str, Any], auth: Any) -> None:
    """A saved draft whose discount exceeds the goods is refused on preview and issue at ``request.lines[1].amount``."""
    lines = [_goods(), {"nature": "trade_discount", "name": "CK", "amount": "600000", "vat_rate": "10%"}]
    body = {"kind": "invoice", "request": {"series_id": world["invoices"]["id"], "buyer": BUYER, "lines": lines}}
    saved = api.post("/api/v1/drafts", json=body, headers=auth("cashier", "draft-figures"))
    assert saved.status_code == 201, saved.get_json()
    url = f"/api/v1/drafts/{saved.get_json()['id']}"
    for answer in (
        api.get(f"{url}/preview", headers=auth("cashier")),
        api.post(f"{url}/issue", headers=auth("cashier", "draft-figures-issue")),
    ):
        assert answer.status_code == 422
        assert [(p["path"], p["code"]) for p in answer.get_json()["problems"]] == [
            ("request.lines[1].amount", "DISCOUNT_EXCEEDS_GOODS")
        ]


def test_an_issuer_is_held_to_the_limits_of_the_documents_it_signs(api: FlaskClient, auth: Any) -> None:
    """Admin's issuer schema is the documents' one: fields the XSD would refuse are refused at the field."""
    issuer = {
        "name": "UBND PHƯỜNG BA ĐÌNH",
        "tax_code": "0101111111",
        "address": " ",
        "bank_account": "1" * 31,
        "email": "not-an-address",
    }
    answer = api.post("/api/v1/issuers", json=issuer, headers=auth("admin", "issuer-limits"))
    assert answer.status_code == 422
    assert {(p["path"], p["code"]) for p in answer.get_json()["problems"]} == {
        ("address", "BLANK"),
        ("bank_account", "TOO_LONG"),
        ("email", "NOT_EMAIL"),
    }
