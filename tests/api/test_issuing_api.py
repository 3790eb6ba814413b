"""Issuing and reading through the API: answers, exactly-once keys, errors, and what each role sees."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, select

from einvoice.storage.schema import documents


def _receipt(world: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    body = {
        "series_id": world["receipts"]["id"],
        "payer": {"name": "Trần Thị Bích", "citizen_id": "001190000001"},
        "fees": [{"code": "LP-CT", "quantity": 3}],
    }
    body.update(overrides)
    return body


def test_receipt_is_issued_and_readable(api: FlaskClient, world: dict[str, Any], auth: Any, engine: Engine) -> None:
    """POST /receipts answers 201 with the document; its XML downloads as the stored bytes exactly."""
    created = api.post("/api/v1/receipts", json=_receipt(world), headers=auth("cashier", "k-1"))
    assert created.status_code == 201, created.get_json()
    doc = created.get_json()
    assert (doc["number"], doc["total"], doc["series"], doc["kind"]) == (1, "6000", "26TAA", "receipt")
    assert created.headers["Location"] == f"/api/v1/documents/{doc['id']}"
    assert (
        api.get(f"/api/v1/documents/{doc['id']}", headers=auth("finance")).get_json()["lookup_code"]
        == doc["lookup_code"]
    )
    xml = api.get(f"/api/v1/documents/{doc['id']}/xml", headers=auth("cashier"))
    assert xml.mimetype == "application/xml"
    with engine.connect() as conn:
        assert xml.data == conn.execute(select(documents.c.xml)).scalar_one()


def test_invoice_is_issued(api: FlaskClient, world: dict[str, Any], auth: Any) -> None:
    """POST /invoices with goods lines answers 201 with the computed total payable."""
    body = {
        "series_id": world["invoices"]["id"],
        "buyer": {"name": "CÔNG TY CỔ PHẦN XYZ", "tax_code": "0309876543", "address": "12 Nguyễn Huệ"},
        "lines": [{"name": "Giấy A4", "quantity": "10", "unit_price": 50000, "vat_rate": "10%", "unit": "Ram"}],
    }
    created = api.post("/api/v1/invoices", json=body, headers=auth("cashier", "inv-1"))
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["total"] == "550000"


def test_missing_idempotency_key_is_400_naming_it(api: FlaskClient, world: dict[str, Any], auth: Any) -> None:
    """A creating POST without Idempotency-Key is refused with 400, and the message names the header."""
    answer = api.post("/api/v1/receipts", json=_receipt(world), headers=auth("cashier"))
    assert answer.status_code == 400
    assert "Idempotency-Key" in answer.get_json()["message"]


def test_replay_is_byte_identical(api: FlaskClient, world: dict[str, Any], auth: Any) -> None:
    """The same key and body give the stored answer byte for byte, and no second document."""
    first = api.post("/api/v1/receipts", json=_receipt(world), headers=auth("cashier", "same"))
    again = api.post(
        "/api/v1/receipts",
        data=json.dumps(_receipt(world), indent=2),
        headers={**auth("cashier", "same"), "Content-Type": "application/json"},
    )
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.data == first.data
    assert again.headers["Idempotent-Replayed"] == "true"
    listing = api.get("/api/v1/documents", headers=auth("finance")).get_json()
    assert listing["total"] == 1


def test_same_key_other_body_is_422(api: FlaskClient, world: dict[str, Any], auth: Any) -> None:
    """Reusing a key for a different body is refused with 422."""
    api.post("/api/v1/receipts", json=_receipt(world), headers=auth("cashier", "reuse"))
    other = api.post("/api/v1/receipts", json=_receipt(world, dossier_code="H01"), headers=auth("cashier", "reuse"))
    assert other.status_code == 422
    assert other.get_json()["problems"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"


def test_outcome_can_be_fetched_by_key(api: FlaskClient, world: dict[str, Any], auth: Any) -> None:
    """A client that timed out learns the outcome with GET /idempotency-keys/<key>; keys are per user."""
    first = api.post("/api/v1/receipts", json=_receipt(world), headers=auth("cashier", "lost-answer"))
    found = api.get("/api/v1/idempotency-keys/lost-answer", headers=auth("cashier"))
    assert (found.status_code, found.data) == (201, first.data)
    assert api.get("/api/v1/idempotency-keys/lost-answer", headers=auth("finance")).status_code == 404


def test_malformed_json_is_400(api: FlaskClient, world: dict[str, Any], auth: Any) -> None:
    """A body that is not JSON gets 400, not 500."""
    headers = {**auth("cashier", "bad-json"), "Content-Type": "application/json"}
    assert api.post("/api/v1/receipts", data=b'{"series_id": 1,', headers=headers).status_code == 400


def test_schema_errors_list_every_field(api: FlaskClient, world: dict[str, Any], auth: Any) -> None:
    """Wrong fields give 422 with one problem per field, with paths and both languages."""
    body = {"series_id": "x", "payer": {"tax_code": "12"}, "fees": [{"code": "LP-CT", "quantity": -1}]}
    answer = api.post("/api/v1/receipts", json=body, headers=auth("cashier", "schema"))
    assert answer.status_code == 422
    problems = answer.get_json()["problems"]
    assert {p["path"] for p in problems} >= {"series_id", "payer.tax_code", "fees[0].quantity"}
    assert all(p["message_vi"] and p["message_en"] and p["code"] for p in problems)


def test_unknown_fee_is_422(api: FlaskClient, world: dict[str, Any], auth: Any) -> None:
    """A fee code not in the catalogue is a 422 problem at its path."""
    answer = api.post("/api/v1/receipts", json=_receipt(world, fees=[{"code": "NOPE"}]), headers=auth("cashier", "f"))
    assert answer.status_code == 422
    assert answer.get_json()["problems"][0]["path"] == "fees[0].code"


def test_invalid_document_lists_problems(api_app: Any, world: dict[str, Any], auth: Any) -> None:
    """When validation finds problems the answer is 422 listing each of them, and nothing is stored."""
    from einvoice.domain.errors import Problem
    from einvoice.services.issuing import Toolchain

    problems = [Problem("A", "/BLai/x", "lỗi một", "fault one"), Problem("B", "/BLai/y", "lỗi hai", "fault two")]
    api_app.config["TOOLCHAIN"] = Toolchain(validate=lambda xml: problems, sign=lambda built, issuer, moment: built.xml)
    answer = api_app.test_client().post("/api/v1/receipts", json=_receipt(world), headers=auth("cashier", "inv"))
    assert answer.status_code == 422
    assert [p["code"] for p in answer.get_json()["problems"]] == ["A", "B"]


def test_search_filters_and_cashier_visibility(api: FlaskClient, world: dict[str, Any], auth: Any) -> None:
    """Search filters by party name and tax code (named as in the output; old names still work) and amount; a cashier
    sees only their own documents."""
    api.post("/api/v1/receipts", json=_receipt(world), headers=auth("cashier", "s1"))
    other_payer = {"name": "Công ty Hoa Sen", "tax_code": "0101234567"}
    api.post(
        "/api/v1/receipts",
        json=_receipt(world, payer=other_payer, fees=[{"code": "LP-KS"}]),
        headers=auth("cashier", "s2"),
    )

    def search(role: str, **query: Any) -> list[int]:
        answer = api.get("/api/v1/documents", query_string=query, headers=auth(role))
        assert answer.status_code == 200, answer.get_json()
        return [item["number"] for item in answer.get_json()["items"]]

    assert search("finance") == [2, 1]
    assert search("finance", party_name="hoa sen") == [2]
    assert search("finance", party_name="TRAN thi bich") == [1]  # accents and case do not matter
    assert search("finance", payer_name="hoa sen") == [2]  # the deprecated name still filters
    assert search("finance", party_tax_code="0101234567") == [2]
    assert search("finance", tax_code="0101234567") == [2]  # deprecated too
    assert search("finance", amount_min="7000") == [2]
    assert search("finance", amount_max="7000") == [1]
    assert search("finance", date_from="2026-03-03") == []
    assert search("finance", per_page=1, page=2) == [1]
    assert search("cashier") == [2, 1]
    assert search("admin", series_id=world["invoices"]["id"]) == []


def test_roles_are_enforced(
    api: FlaskClient, world: dict[str, Any], auth: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Anonymous → 401, finance issuing → 403 (logged as a security event), a bad token → 401."""
    assert api.get("/api/v1/documents").status_code == 401
    with caplog.at_level(logging.WARNING, logger="einvoice.security"):
        assert api.post("/api/v1/receipts", json=_receipt(world), headers=auth("finance", "r")).status_code == 403
    assert any(getattr(record, "event", {}).get("action") == "forbidden" for record in caplog.records)
    assert api.get("/api/v1/documents", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert api.get("/api/v1/openapi.json").status_code == 200


def test_session_login(api: FlaskClient, world: dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
    """A wrong password is 401 and logged; the right one opens a session the API accepts; logout closes it."""
    with caplog.at_level(logging.WARNING, logger="einvoice.security"):
        wrong = api.post("/api/v1/session", json={"username": "thu.ngan", "password": "sai"})
    assert wrong.status_code == 401
    assert any(getattr(record, "event", {}).get("action") == "login_failed" for record in caplog.records)
    right = api.post("/api/v1/session", json={"username": "thu.ngan", "password": "mật-khẩu-thu-ngân"})
    assert right.status_code == 200
    assert right.get_json()["role"] == "cashier"
    assert "HttpOnly" in right.headers["Set-Cookie"]
    assert api.get("/api/v1/session").get_json()["username"] == "thu.ngan"
    assert api.delete("/api/v1/session").status_code == 204
    assert api.get("/api/v1/session").status_code == 401


def test_security_headers_and_request_log(api: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    """Every answer carries the security headers; each request leaves one structured log line."""
    with caplog.at_level(logging.INFO, logger="einvoice.request"):
        answer = api.get("/healthz", headers={"X-Request-Id": "abc-123"})
        missing = api.get("/nowhere")
    for response in (answer, missing):
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
    lines = [r for r in caplog.records if r.name == "einvoice.request"]
    first = lines[0].__dict__
    assert (first["method"], first["path"], first["status"], first["request_id"]) == ("GET", "/healthz", 200, "abc-123")
    assert all(isinstance(r.__dict__["duration_ms"], float) for r in lines)


def test_json_formatter_writes_one_json_object() -> None:
    """The log formatter turns a record and its extra fields into one JSON line."""
    from einvoice.web.logging import JsonFormatter

    record = logging.LogRecord("einvoice.request", logging.INFO, __file__, 1, "GET / 200", None, None)
    record.status = 200
    line = JsonFormatter().format(record)
    assert "\n" not in line
    assert json.loads(line)["status"] == 200
