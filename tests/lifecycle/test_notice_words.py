"""An error notice names the document's other party as its kind does: a receipt's payer, an invoice's buyer."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from lifecycle.lifecycle_support import goods, invoice_body, receipt_body
from sqlalchemy import Engine, select

from einvoice.storage.schema import error_notices
from einvoice.xmldoc.safe import parse_untrusted


def _noticed(api: FlaskClient, auth: Any, engine: Engine, path: str, body: dict[str, Any]) -> tuple[str, str]:
    """Issue a document at ``path``, notify a wrong name and address; return the stored reason and the XML's LDo."""
    created = api.post(path, json=body, headers=auth("cashier", path))
    assert created.status_code == 201, created.get_json()
    document_id = created.get_json()["id"]
    notice = {"errors": ["buyer_name", "buyer_address"], "reason": "Thông tin đúng là Thôn Đình"}
    made = api.post(f"/api/v1/documents/{document_id}/error-notices", json=notice, headers=auth("finance", "n" + path))
    assert made.status_code == 201, made.get_json()
    with engine.connect() as conn:
        row = conn.execute(select(error_notices).where(error_notices.c.document_id == document_id)).mappings().one()
    return row["reason"], parse_untrusted(row["xml"]).findtext(".//LDo") or ""


def test_a_receipts_notice_says_payer_and_an_invoices_says_buyer(
    api: FlaskClient, world: dict[str, Any], auth: Any, engine: Engine, uncoded: dict[str, Any]
) -> None:
    """The stored words and the signed notice say người nộp for a receipt and người mua for an invoice."""
    receipt = _noticed(api, auth, engine, "/api/v1/receipts", receipt_body(world))
    invoice = _noticed(api, auth, engine, "/api/v1/invoices", invoice_body(uncoded["id"], [goods("2")]))
    expected = "Sai tên {0}; Sai địa chỉ {0}; Thông tin đúng là Thôn Đình"
    assert receipt == (expected.format("người nộp"),) * 2
    assert invoice == (expected.format("người mua"),) * 2
