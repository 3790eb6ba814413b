"""The one-stop queue: a fee request created through the API, collected at the counter, its state read back."""

from __future__ import annotations

import re
from typing import Any

from counter.conftest import issue
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select

from einvoice.storage.schema import documents, fee_requests

DOSSIER = "000.00.21.H26-261202-0001"


def _request(dossier: str = DOSSIER, name: str = "Trần Thị Bích") -> dict[str, Any]:
    return {
        "dossier_code": dossier,
        "payer": {"name": name, "id_number": "001190000001", "address": "Thôn Chùa, Xã An Khánh"},
        "fees": [{"code": "LP-CT", "quantity": 2}, {"code": "LP-KS", "quantity": 1}],
    }


def test_the_same_dossier_posted_twice_creates_one_request(counter_app: Flask, auth: Any, engine: Engine) -> None:
    """The first post creates (201), the second answers the same request (200); one row exists."""
    client = counter_app.test_client()
    first = client.post("/api/v1/fee-requests", json=_request(), headers=auth("cashier"))
    second = client.post("/api/v1/fee-requests", json=_request(), headers=auth("cashier"))
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.get_json()["id"] == second.get_json()["id"]
    assert first.get_json()["state"] == "waiting"
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(fee_requests)).scalar_one() == 1


def test_an_unknown_fee_code_is_refused_by_field(counter_app: Flask, auth: Any) -> None:
    """A request naming a fee the catalogue lacks is a 422 naming fees[i].code."""
    body = _request()
    body["fees"].append({"code": "KHONG-CO", "quantity": 1})
    answer = counter_app.test_client().post("/api/v1/fee-requests", json=body, headers=auth("cashier"))
    assert answer.status_code == 422
    assert [p["path"] for p in answer.get_json()["problems"]] == ["fees[2].code"]


def test_collecting_a_request_prefills_the_receipt_and_marks_it_paid(
    counter_app: Flask, cashier: FlaskClient, auth: Any, engine: Engine
) -> None:
    """Opening a waiting request pre-fills fees and payer; issuing marks it paid with the receipt, read back by API."""
    api = counter_app.test_client()
    created = api.post("/api/v1/fee-requests", json=_request(), headers=auth("cashier")).get_json()
    queue = cashier.get("/quay/ho-so?tim=tran thi").get_data(as_text=True)
    assert DOSSIER in queue
    form = cashier.get(f"/quay?yeu-cau={created['id']}").get_data(as_text=True)
    assert re.search(r'name="sl-LP-CT"\s+value="2"', form)
    assert 'value="Trần Thị Bích"' in form
    answer = issue(
        cashier,
        {},
        request=str(created["id"]),
        payer_name="Trần Thị Bích",
        dossier_code=DOSSIER,
        **{"sl-LP-CT": "2", "sl-LP-KS": "1"},
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)[:1500]
    document_id = int(answer.headers["Location"].rsplit("/", 1)[1])
    read = api.get(f"/api/v1/fee-requests/{created['id']}", headers=auth("finance")).get_json()
    assert (read["state"], read["document_id"]) == ("paid", document_id)
    with engine.connect() as conn:
        xml = conn.execute(select(documents.c.xml).where(documents.c.id == document_id)).scalar_one()
    assert f"<MHSo>{DOSSIER}</MHSo>".encode() in xml
    assert "Đã thu phí" in cashier.get("/quay/ho-so?trang-thai=paid").get_data(as_text=True)
    again = issue(cashier, {"LP-KS": "1"}, request=str(created["id"]), payer_name="X")
    assert again.status_code == 409
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(documents)).scalar_one() == 1


def test_the_queue_finds_by_dossier_code_or_name_without_diacritics(
    counter_app: Flask, cashier: FlaskClient, auth: Any
) -> None:
    """Searching the waiting queue finds by a piece of the dossier code or the unaccented payer name, not others."""
    api = counter_app.test_client()
    api.post("/api/v1/fee-requests", json=_request(), headers=auth("cashier"))
    api.post("/api/v1/fee-requests", json=_request("000.00.21.H26-261202-0002", "Đỗ Văn Đức"), headers=auth("cashier"))
    by_name = cashier.get("/quay/ho-so?tim=do van duc").get_data(as_text=True)
    assert "261202-0002" in by_name
    assert "261202-0001" not in by_name
    by_code = cashier.get("/quay/ho-so?tim=261202-0001").get_data(as_text=True)
    assert "261202-0001" in by_code
    assert "261202-0002" not in by_code
    listed = api.get("/api/v1/fee-requests?q=duc&state=waiting", headers=auth("finance")).get_json()
    assert [r["dossier_code"] for r in listed] == ["000.00.21.H26-261202-0002"]


def test_a_cancelled_request_cannot_be_collected(counter_app: Flask, auth: Any) -> None:
    """Cancelling moves a waiting request to cancelled; cancelling again is a 409."""
    api = counter_app.test_client()
    created = api.post("/api/v1/fee-requests", json=_request(), headers=auth("cashier")).get_json()
    url = f"/api/v1/fee-requests/{created['id']}/cancel"
    assert api.post(url, headers=auth("cashier")).get_json()["state"] == "cancelled"
    assert api.post(url, headers=auth("cashier")).status_code == 409
