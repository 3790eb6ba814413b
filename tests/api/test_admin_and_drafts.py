"""Admin configuration, drafts, and verifying an uploaded document through the API."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient


def test_admin_configures_an_issuer_end_to_end(api: FlaskClient, auth: Any) -> None:
    """An admin creates an issuer, counter, series, fee, cashier and token; the cashier can then issue."""

    def post(path: str, body: dict[str, Any], key: str) -> dict[str, Any]:
        answer = api.post(f"/api/v1/{path}", json=body, headers=auth("admin", key))
        assert answer.status_code == 201, answer.get_json()
        return dict(answer.get_json())

    issuer = post("issuers", {"name": "UBND PHƯỜNG BA ĐÌNH", "tax_code": "0101111111", "address": "Hà Nội"}, "a1")
    counter = post("counters", {"issuer_id": issuer["id"], "name": "Quầy 3"}, "a2")
    series = post(
        "series",
        {
            "issuer_id": issuer["id"],
            "kind": "receipt",
            "template": "EBL01",
            "symbol": "26TAA",
            "counter_id": counter["id"],
        },
        "a3",
    )
    assert (series["next_number"], series["year"]) == (1, 2026)
    fee = {"issuer_id": issuer["id"], "code": "LP-X", "name": "Lệ phí X", "legal_basis": "TT 1/2020", "amount": "5000"}
    post("fees", {**fee, "effective_from": "2026-01-01"}, "a4")
    user = post(
        "users",
        {
            "username": "thu.ngan.3",
            "full_name": "Ngô Ba",
            "role": "cashier",
            "counter_id": counter["id"],
            "password": "một-mật-khẩu-dài",
        },
        "a5",
    )
    assert "password" not in user
    token = api.post(f"/api/v1/users/{user['id']}/tokens", json={"name": "máy thu"}, headers=auth("admin"))
    assert token.status_code == 201
    headers = {"Authorization": f"Bearer {token.get_json()['token']}", "Idempotency-Key": "t1"}
    body = {"series_id": series["id"], "payer": {"name": "Lê Văn Tám"}, "fees": [{"code": "LP-X"}]}
    issued = api.post("/api/v1/receipts", json=body, headers=headers)
    assert issued.status_code == 201, issued.get_json()
    revoked = api.delete(f"/api/v1/tokens/{token.get_json()['id']}", headers=auth("admin"))
    assert revoked.status_code == 200
    assert api.get("/api/v1/documents", headers=headers).status_code == 401


def test_admin_input_is_checked(api: FlaskClient, world: dict[str, Any], auth: Any) -> None:
    """A malformed series symbol, a bad tax code and a duplicate username are refused with 422/409."""
    bad_series = {"issuer_id": world["issuer"]["id"], "kind": "receipt", "template": "EBL01", "symbol": "C26TAA"}
    assert api.post("/api/v1/series", json=bad_series, headers=auth("admin", "b1")).status_code == 422
    bad_issuer = {"name": "X", "tax_code": "123", "address": "Y"}
    assert api.post("/api/v1/issuers", json=bad_issuer, headers=auth("admin", "b2")).status_code == 422
    duplicate = {"username": "thu.ngan", "full_name": "X", "role": "finance"}
    assert api.post("/api/v1/users", json=duplicate, headers=auth("admin", "b3")).status_code == 409


def test_series_can_be_closed(api: FlaskClient, world: dict[str, Any], auth: Any) -> None:
    """A closed series refuses to issue with 409."""
    series_id = world["receipts"]["id"]
    assert api.patch(f"/api/v1/series/{series_id}", json={"active": False}, headers=auth("admin")).status_code == 200
    body = {"series_id": series_id, "payer": {"name": "A"}, "fees": [{"code": "LP-CT"}]}
    assert api.post("/api/v1/receipts", json=body, headers=auth("cashier", "closed")).status_code == 409


def test_draft_lifecycle(api: FlaskClient, world: dict[str, Any], auth: Any) -> None:
    """A draft is created, edited, previewed as XML without a number, issued once; a second issue is 409."""
    request = {"series_id": world["receipts"]["id"], "payer": {"name": "Phạm Văn Đồng"}, "fees": [{"code": "LP-CT"}]}
    created = api.post("/api/v1/drafts", json={"kind": "receipt", "request": request}, headers=auth("cashier", "d1"))
    assert created.status_code == 201, created.get_json()
    draft_id = created.get_json()["id"]
    request["fees"] = [{"code": "LP-KS", "quantity": "2"}]
    edited = api.put(
        f"/api/v1/drafts/{draft_id}", json={"kind": "receipt", "request": request}, headers=auth("cashier")
    )
    assert edited.get_json()["request"]["fees"][0]["code"] == "LP-KS"
    preview = api.get(f"/api/v1/drafts/{draft_id}/preview", headers=auth("cashier"))
    assert preview.mimetype == "application/xml"
    assert b"<SBLai>" not in preview.data
    assert "Lệ phí đăng ký khai sinh".encode() in preview.data
    issued = api.post(f"/api/v1/drafts/{draft_id}/issue", headers=auth("cashier", "d2"))
    assert issued.status_code == 201, issued.get_json()
    assert issued.get_json()["total"] == "16000"
    assert api.post(f"/api/v1/drafts/{draft_id}/issue", headers=auth("cashier", "d3")).status_code == 409
    edit_after = api.put(
        f"/api/v1/drafts/{draft_id}", json={"kind": "receipt", "request": request}, headers=auth("cashier")
    )
    assert edit_after.status_code == 409


def test_invalid_draft_is_refused(api: FlaskClient, world: dict[str, Any], auth: Any) -> None:
    """A draft whose request does not match the receipt schema is refused with its field paths."""
    answer = api.post(
        "/api/v1/drafts", json={"kind": "receipt", "request": {"series_id": "x"}}, headers=auth("cashier", "d4")
    )
    assert answer.status_code == 422
    assert any(p["path"].startswith("request.") for p in answer.get_json()["problems"])


def test_verify_upload_reports_signature_and_content(api: FlaskClient, world: dict[str, Any], auth: Any) -> None:
    """Uploading a stored document returns the signature report and the validation problems."""
    body = {"series_id": world["receipts"]["id"], "payer": {"name": "A"}, "fees": [{"code": "LP-CT"}]}
    doc = api.post("/api/v1/receipts", json=body, headers=auth("cashier", "v1")).get_json()
    xml = api.get(f"/api/v1/documents/{doc['id']}/xml", headers=auth("finance")).data
    report = api.post("/api/v1/verify", data=xml, headers={**auth("finance"), "Content-Type": "application/xml"})
    assert report.status_code == 200
    result = report.get_json()
    assert result["kind"] is not None
    assert result["problems"] == []
    assert result["valid"] is False  # the test toolchain does not sign
    garbage = api.post("/api/v1/verify", data=b"<not-xml", headers=auth("finance"))
    assert garbage.status_code == 200
    assert garbage.get_json()["problems"]
