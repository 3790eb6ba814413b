"""Request bodies of the lifecycle tests."""

from __future__ import annotations

from typing import Any


def receipt_body(world: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """Return a receipt body for the world's receipt series."""
    return {
        "series_id": world["receipts"]["id"],
        "payer": {"name": "Trần Thị Bích", "citizen_id": "001190000001"},
        "fees": [{"code": "LP-CT", "quantity": 3}],
        **extra,
    }


def invoice_body(series_id: int, lines: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """Return an invoice body with ``lines`` for series ``series_id``."""
    return {
        "series_id": series_id,
        "buyer": {"name": "CÔNG TY CỔ PHẦN XYZ", "tax_code": "0309876543", "address": "12 Nguyễn Huệ"},
        "lines": lines,
        **extra,
    }


def goods(quantity: str, price: int = 50000, rate: str = "10%") -> dict[str, Any]:
    """Return a goods line."""
    return {"name": "Giấy A4", "quantity": quantity, "unit_price": price, "vat_rate": rate, "unit": "Ram"}
