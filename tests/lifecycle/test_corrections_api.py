"""Corrections through the API: replacement, adjustment, error notice; roles, reasons, keys, state and history."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient
from lifecycle.lifecycle_support import goods, invoice_body, receipt_body
from render.pdftools import flat, pdf_text
from sqlalchemy import Engine, select

from einvoice.storage.schema import documents, error_notices
from einvoice.xmldoc.safe import parse_untrusted


def _issue_receipt(api: FlaskClient, world: dict[str, Any], auth: Any, key: str = "r-1") -> dict[str, Any]:
    created = api.post("/api/v1/receipts", json=receipt_body(world), headers=auth("cashier", key))
    assert created.status_code == 201, created.get_json()
    return dict(created.get_json())


def _issue_invoice(api: FlaskClient, series_id: int, auth: Any, quantity: str = "10") -> dict[str, Any]:
    created = api.post(
        "/api/v1/invoices", json=invoice_body(series_id, [goods(quantity)]), headers=auth("cashier", "i-1")
    )
    assert created.status_code == 201, created.get_json()
    return dict(created.get_json())


def _xml(engine: Engine, document_id: int) -> bytes:
    with engine.connect() as conn:
        return bytes(conn.execute(select(documents.c.xml).where(documents.c.id == document_id)).scalar_one())


def test_cashier_replaces_a_receipt_of_the_day(
    api: FlaskClient, world: dict[str, Any], auth: Any, engine: Engine
) -> None:
    """The replacement names the original and the reason; the original becomes replaced; history shows both ways."""
    original = _issue_receipt(api, world, auth)
    before = _xml(engine, original["id"])
    body = receipt_body(world, reason="Sai số lượng bản sao")
    made = api.post(f"/api/v1/receipts/{original['id']}/replacement", json=body, headers=auth("cashier", "rep-1"))
    assert made.status_code == 201, made.get_json()
    new = made.get_json()
    assert (new["corrects_id"], new["correction"], new["number"]) == (original["id"], "replacement", 2)
    related = parse_untrusted(_xml(engine, new["id"])).find("DLBLai/TTChung/TTCTLQuan")
    assert related is not None
    assert [(child.tag, child.text) for child in related] == [
        ("TCCTu", "1"),
        ("LHCTLQuan", "1"),
        ("KHMSCTCLQuan", "EBL01"),
        ("KHCTCLQuan", "26TAA"),
        ("SCTCLQuan", "1"),
        ("NLCTCLQuan", original["issue_date"]),
        ("GChu", "Sai số lượng bản sao"),
    ]
    assert _xml(engine, original["id"]) == before
    seen = api.get(f"/api/v1/documents/{original['id']}", headers=auth("finance")).get_json()
    assert seen["state"] == "replaced"
    assert [d["id"] for d in seen["history"]["corrected_by"]] == [new["id"]]
    events = seen["history"]["events"]
    assert [(e["action"], e["standing"], e["actor"]) for e in events] == [
        ("issue", "issued", "thu.ngan"),
        ("replace", "replaced", "thu.ngan"),
    ]
    assert (events[1]["related_id"], events[1]["reason"]) == (new["id"], "Sai số lượng bản sao")
    back = api.get(f"/api/v1/documents/{new['id']}", headers=auth("finance")).get_json()["history"]
    assert back["corrects"]["id"] == original["id"]


def test_a_replaced_receipt_cannot_be_replaced_again(api: FlaskClient, world: dict[str, Any], auth: Any) -> None:
    """The second replacement of one original is refused with 409 and a reason in both languages."""
    original = _issue_receipt(api, world, auth)
    body = receipt_body(world, reason="Sai tên phí")
    url = f"/api/v1/receipts/{original['id']}/replacement"
    assert api.post(url, json=body, headers=auth("cashier", "a")).status_code == 201
    again = api.post(url, json=body, headers=auth("cashier", "b"))
    assert again.status_code == 409
    assert again.get_json()["problems"][0]["code"] == "illegal_transition"
    assert "thay thế" in again.get_json()["problems"][0]["message_vi"]


def test_replacement_is_idempotent(api: FlaskClient, world: dict[str, Any], auth: Any, engine: Engine) -> None:
    """The same key and body answer the first replacement again; only one document is made."""
    original = _issue_receipt(api, world, auth)
    body = receipt_body(world, reason="Sai tên phí")
    url = f"/api/v1/receipts/{original['id']}/replacement"
    first = api.post(url, json=body, headers=auth("cashier", "same"))
    second = api.post(url, json=body, headers=auth("cashier", "same"))
    assert first.status_code == second.status_code == 201
    assert first.get_json() == second.get_json()
    with engine.connect() as conn:
        assert len(conn.execute(select(documents.c.id)).all()) == 2


def test_reason_is_required(api: FlaskClient, world: dict[str, Any], auth: Any) -> None:
    """A replacement without a reason is refused with 422 naming the field."""
    original = _issue_receipt(api, world, auth)
    url = f"/api/v1/receipts/{original['id']}/replacement"
    answer = api.post(url, json=receipt_body(world), headers=auth("cashier", "x"))
    assert answer.status_code == 422
    assert [p["path"] for p in answer.get_json()["problems"]] == ["reason"]
    blank = api.post(url, json=receipt_body(world, reason="   "), headers=auth("cashier", "y"))
    assert blank.status_code == 422


def test_cashiers_replace_only_their_counters_receipts_of_the_day(
    api: FlaskClient, world: dict[str, Any], auth: Any, clock: Any, other_cashier: dict[str, str]
) -> None:
    """Another counter's cashier and the next day are refused (403); finance may still replace it."""
    original = _issue_receipt(api, world, auth)
    url = f"/api/v1/receipts/{original['id']}/replacement"
    body = receipt_body(world, reason="Sai tên người nộp và số tiền")
    assert api.post(url, json=body, headers={**other_cashier, "Idempotency-Key": "o"}).status_code == 403
    clock.value += timedelta(days=1)
    assert api.post(url, json=body, headers=auth("cashier", "n")).status_code == 403
    assert api.post(url, json=body, headers=auth("finance", "f")).status_code == 201


def test_invoices_are_corrected_by_finance_only(
    api: FlaskClient, world: dict[str, Any], auth: Any, uncoded: dict[str, Any]
) -> None:
    """A cashier may not adjust or replace an invoice, even their own of the day."""
    original = _issue_invoice(api, uncoded["id"], auth)
    body = invoice_body(uncoded["id"], [goods("-1")], reason="Trả lại 1 ram")
    assert (
        api.post(f"/api/v1/invoices/{original['id']}/adjustment", json=body, headers=auth("cashier", "c")).status_code
        == 403
    )


def test_adjustments_add_up_and_bind_the_method(
    api: FlaskClient, world: dict[str, Any], auth: Any, uncoded: dict[str, Any], engine: Engine
) -> None:
    """Two adjustments (signed deltas) sum to the corrected total; a replacement afterwards is refused (Art 10.6.a)."""
    original = _issue_invoice(api, uncoded["id"], auth, quantity="10")
    url = f"/api/v1/invoices/{original['id']}/adjustment"
    down = api.post(
        url, json=invoice_body(uncoded["id"], [goods("-3")], reason="Trả lại 3 ram"), headers=auth("finance", "d")
    )
    up = api.post(
        url, json=invoice_body(uncoded["id"], [goods("1")], reason="Giao thêm 1 ram"), headers=auth("finance", "u")
    )
    assert (down.status_code, up.status_code) == (201, 201), (down.get_json(), up.get_json())
    totals = [int(original["total"]), int(down.get_json()["total"]), int(up.get_json()["total"])]
    assert totals == [550000, -165000, 55000]
    assert sum(totals) == 8 * 55000
    replaced = api.post(
        f"/api/v1/invoices/{original['id']}/replacement",
        json=invoice_body(uncoded["id"], [goods("8")], reason="Lập lại"),
        headers=auth("finance", "r"),
    )
    assert replaced.status_code == 409
    assert "first method binds" in replaced.get_json()["problems"][0]["message_en"]
    seen = api.get(f"/api/v1/documents/{original['id']}", headers=auth("admin")).get_json()
    assert seen["state"] == "adjusted"
    assert [d["correction"] for d in seen["history"]["corrected_by"]] == ["adjustment", "adjustment"]
    related = parse_untrusted(_xml(engine, down.get_json()["id"])).find("DLHDon/TTChung/TTHDLQuan")
    assert related is not None
    assert (related.findtext("TCHDon"), related.findtext("SHDCLQuan")) == ("2", "1")


def test_a_coded_invoice_waits_for_its_code(api: FlaskClient, world: dict[str, Any], auth: Any) -> None:
    """An invoice of a C series the authority has not coded yet cannot be corrected (409, says why)."""
    original = _issue_invoice(api, world["invoices"]["id"], auth)
    body = invoice_body(world["invoices"]["id"], [goods("-1")], reason="Trả lại")
    answer = api.post(f"/api/v1/invoices/{original['id']}/adjustment", json=body, headers=auth("finance", "c"))
    assert answer.status_code == 409
    assert "mã" in answer.get_json()["problems"][0]["message_vi"]


def test_receipts_are_never_adjusted(
    api: FlaskClient, world: dict[str, Any], auth: Any, uncoded: dict[str, Any]
) -> None:
    """The adjustment endpoint refuses a receipt, citing Circular 91 Art 20."""
    original = _issue_receipt(api, world, auth)
    body = invoice_body(uncoded["id"], [goods("-1")], reason="Giảm")
    answer = api.post(f"/api/v1/invoices/{original['id']}/adjustment", json=body, headers=auth("finance", "c"))
    assert answer.status_code == 409
    assert "Art 20" in answer.get_json()["problems"][0]["message_en"]


def test_error_notice_marks_the_document_explained(
    api: FlaskClient, world: dict[str, Any], auth: Any, engine: Engine
) -> None:
    """A soft error gives a stored 04/SS-CTĐT notice and the state explained; a replacement remains possible."""
    original = _issue_receipt(api, world, auth)
    url = f"/api/v1/documents/{original['id']}/error-notices"
    body = {"errors": ["buyer_address"], "reason": "Địa chỉ đúng là Thôn Đình"}
    made = api.post(url, json=body, headers=auth("finance", "n"))
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["form"] == "04/SS-CTĐT"
    with engine.connect() as conn:
        xml = conn.execute(select(error_notices.c.xml)).scalar_one()
    notice = parse_untrusted(xml)
    assert notice.findtext("DLTBao/MSo") == "04/SS-CTĐT"
    assert notice.findtext("DLTBao/DSCTu/CTu/TCTBao") == "4"
    assert "Địa chỉ đúng là Thôn Đình" in (notice.findtext("DLTBao/DSCTu/CTu/LDo") or "")
    seen = api.get(f"/api/v1/documents/{original['id']}", headers=auth("finance")).get_json()
    assert (seen["state"], seen["history"]["notices"][0]["form"]) == ("explained", "04/SS-CTĐT")
    body2 = receipt_body(world, reason="Sai số tiền")
    assert (
        api.post(f"/api/v1/receipts/{original['id']}/replacement", json=body2, headers=auth("finance", "r")).status_code
        == 201
    )


def test_error_notice_refuses_hard_errors(api: FlaskClient, world: dict[str, Any], auth: Any) -> None:
    """An error notice for an amount is refused: amounts are corrected by replacement or adjustment."""
    original = _issue_receipt(api, world, auth)
    body = {"errors": ["amount"], "reason": "Sai số tiền"}
    answer = api.post(f"/api/v1/documents/{original['id']}/error-notices", json=body, headers=auth("finance", "n"))
    assert answer.status_code == 422
    assert answer.get_json()["problems"][0]["path"].startswith("errors")


def test_replaced_receipt_pdf_names_its_replacement(
    api: FlaskClient, world: dict[str, Any], auth: Any, tmp_path: Any
) -> None:
    """The public PDF of a replaced receipt says by which receipt it was replaced."""
    original = _issue_receipt(api, world, auth)
    body = receipt_body(world, reason="Sai tên phí")
    assert (
        api.post(f"/api/v1/receipts/{original['id']}/replacement", json=body, headers=auth("cashier", "p")).status_code
        == 201
    )
    pdf = api.get(f"/tra-cuu/{original['lookup_code']}/pdf")
    assert pdf.status_code == 200
    text = flat(pdf_text(pdf.data, tmp_path))
    assert "Biên lai này đã bị thay thế bởi biên lai Mẫu số EBL01, ký hiệu 26TAA, số 2" in text
