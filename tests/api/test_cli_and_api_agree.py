"""One vocabulary: the same document sent to the API and given to ``einvoice build`` makes the same unsigned XML."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from einvoice.cli import main

PAYER = {"name": "Trần Thị Bích", "citizen_id": "001190000001", "address": "Thôn Chùa, Xã An Khánh"}
FEES = [
    {"name": "Lệ phí chứng thực bản sao", "unit_price": "2000", "quantity": "3", "unit": "Trang", "code": "LP-CT"},
    {"name": "Phí khai thác hồ sơ", "unit_price": "15000", "legal_basis": "Thông tư 1/2026/TT-BTC"},
]
BUYER = {"name": "CÔNG TY CỔ PHẦN XYZ", "tax_code": "0309876543", "address": "12 Nguyễn Huệ", "email": "ap@xyz.vn"}
LINES = [
    {"name": "Giấy A4", "quantity": "10", "unit_price": "50000", "vat_rate": "10%", "unit": "Ram"},
    {"nature": "promotion", "name": "Bút bi tặng kèm", "quantity": "2", "vat_rate": "10%"},
    {"nature": "trade_discount", "name": "Chiết khấu 5%", "amount": "25000", "vat_rate": "10%"},
    {"nature": "note", "name": "Giao tại quầy"},
]
#: For each kind: its API path, the API body (without the series), and the name the CLI gives its issuer.
KINDS = {
    "receipt": ("receipts", {"payer": PAYER, "lines": FEES, "dossier_code": "H01"}, "collector"),
    "invoice": ("invoices", {"buyer": BUYER, "lines": LINES}, "seller"),
}


def _issuer(world: dict[str, Any]) -> dict[str, Any]:
    names = ("name", "tax_code", "address", "phone", "email", "bank_account", "bank_name", "budget_unit_code")
    return {name: world["issuer"][name] for name in names if world["issuer"].get(name) is not None}


@pytest.mark.parametrize("kind", list(KINDS))
def test_cli_and_api_build_the_same_bytes(
    api: FlaskClient, world: dict[str, Any], auth: Any, tmp_path: Path, kind: str
) -> None:
    """The API's unsigned XML (test signer: none) equals, byte for byte, what the CLI builds from the same fields."""
    path, body, issuer_role = KINDS[kind]
    series = world["receipts" if kind == "receipt" else "invoices"]
    issued = api.post(f"/api/v1/{path}", json={"series_id": series["id"], **body}, headers=auth("cashier", kind))
    assert issued.status_code == 201, issued.get_json()
    meta = issued.get_json()
    from_api = api.get(f"/api/v1/documents/{meta['id']}/xml", headers=auth("cashier")).data

    document = {
        "kind": kind,
        "template": meta["template"],
        "series": meta["series"],
        "number": meta["number"],
        "issue_date": meta["issue_date"],
        "lookup_code": meta["lookup_code"],
        "provider_tax_code": world["issuer"]["tax_code"],
        issuer_role: _issuer(world),
        **{k: v for k, v in body.items() if k != "lines"},
    }
    if kind == "receipt":
        document.update(fees=body["lines"], cashier_name=world["users"]["cashier"]["full_name"], payment_method="TM")
    else:
        document.update(lines=body["lines"], payment_method="TM/CK")
    source = tmp_path / "document.json"
    source.write_text(json.dumps(document, ensure_ascii=False), "utf-8")
    out = tmp_path / "document.xml"
    result = CliRunner().invoke(main, ["build", str(source), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == from_api
