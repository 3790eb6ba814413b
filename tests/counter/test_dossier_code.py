"""Dossier codes as one-stop systems print them fit a receipt (MHSo widened to 50 in our receipt format)."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

DOSSIER = "000.00.21.H26-261202-0001"


def test_a_25_character_dossier_code_is_issued_and_kept(api: FlaskClient, world: dict[str, Any], auth: Any) -> None:
    """A receipt carrying a real 25-character one-stop dossier code validates, issues and keeps the code."""
    assert len(DOSSIER) == 25
    body = {
        "series_id": world["receipts"]["id"],
        "payer": {"name": "Trần Thị Bích"},
        "fees": [{"code": "LP-KS"}],
        "dossier_code": DOSSIER,
    }
    answer = api.post("/api/v1/receipts", json=body, headers=auth("cashier", "dossier-25"))
    assert answer.status_code == 201, answer.get_json()
    xml = api.get(f"/api/v1/documents/{answer.get_json()['id']}/xml", headers=auth("finance")).data
    assert f"<MHSo>{DOSSIER}</MHSo>".encode() in xml


def test_a_dossier_code_over_50_characters_is_refused_by_field(
    api: FlaskClient, world: dict[str, Any], auth: Any
) -> None:
    """A dossier code longer than the format allows is a 422 naming dossier_code."""
    body = {
        "series_id": world["receipts"]["id"],
        "payer": {"name": "Trần Thị Bích"},
        "fees": [{"code": "LP-KS"}],
        "dossier_code": "X" * 51,
    }
    answer = api.post("/api/v1/receipts", json=body, headers=auth("cashier", "dossier-51"))
    assert answer.status_code == 422
    assert [p["path"] for p in answer.get_json()["problems"]] == ["dossier_code"]
