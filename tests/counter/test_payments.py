"""The fixed list of payment methods (choice 18): the API refuses free text, documents print words."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from einvoice.domain import payments


def test_known_codes_print_in_words_and_others_as_written() -> None:
    """A code of the list prints its words; a foreign document's text prints unchanged."""
    assert payments.words("TM/CK") == "Tiền mặt/Chuyển khoản"
    assert payments.words("POS") == "Thẻ ngân hàng (POS)"
    assert payments.words("COD") == "COD"
    assert payments.problem("CK") is None
    found = payments.problem("Tiền mặt")
    assert found is not None
    assert found.path == "payment_method"


@pytest.mark.parametrize("method", ["Tiền mặt", "tm", "CASH", "TM / CK", ""])
def test_the_api_refuses_a_free_text_payment_method(
    api: FlaskClient, world: dict[str, Any], auth: Any, method: str
) -> None:
    """Issuing a receipt with a payment method outside the list is a 422 naming the field, and issues nothing."""
    body = {
        "series_id": world["receipts"]["id"],
        "payer": {"name": "Trần Thị Bích"},
        "fees": [{"code": "LP-KS"}],
        "payment_method": method,
    }
    answer = api.post(
        "/api/v1/receipts", json=body, headers=auth("cashier", f"pm-{len(method)}-{method.encode().hex()}")
    )
    assert answer.status_code == 422, answer.get_json()
    assert [p["path"] for p in answer.get_json()["problems"]] == ["payment_method"]
    assert api.get("/api/v1/documents", headers=auth("finance")).get_json()["total"] == 0


def test_the_api_accepts_each_code_of_the_list(api: FlaskClient, world: dict[str, Any], auth: Any) -> None:
    """Every code of the list issues, and the stored XML carries the code itself."""
    for index, code in enumerate(payments.CODES):
        body = {
            "series_id": world["receipts"]["id"],
            "payer": {"name": "Trần Thị Bích"},
            "fees": [{"code": "LP-KS"}],
            "payment_method": code,
        }
        answer = api.post("/api/v1/receipts", json=body, headers=auth("cashier", f"ok-{index}"))
        assert answer.status_code == 201, answer.get_json()
        xml = api.get(f"/api/v1/documents/{answer.get_json()['id']}/xml", headers=auth("finance")).data
        assert f"<HTTToan>{code}</HTTToan>".encode() in xml
