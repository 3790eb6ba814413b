"""Test factories: documents with sensible defaults, overridable field by field."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from einvoice.domain.documents import Invoice, InvoiceLine, Receipt
from einvoice.domain.parties import Buyer, Seller
from einvoice.domain.rates import VatRate
from einvoice.domain.totals import fee_line, goods_line, make_invoice, make_receipt

ISSUE_DATE = date(2025, 11, 20)
PROVIDER_TAX_CODE = "0100000000"


def seller(**overrides: Any) -> Seller:
    """Return a seller (or collecting organisation) with every usual field filled."""
    base = Seller(
        name="CÔNG TY TNHH ABC",
        tax_code="0101234567",
        address="Số 1 Phố Huế, Phường Hai Bà Trưng, Hà Nội",
        phone="02438000000",
        email="ketoan@abc.vn",
        bank_account="0011000000001",
        bank_name="Ngân hàng TMCP Ngoại thương Việt Nam",
    )
    return replace(base, **overrides)


def collector(**overrides: Any) -> Seller:
    """Return a fee-collecting public agency."""
    base = Seller(
        name="TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG XÃ AN KHÁNH",
        tax_code="0109999999",
        address="Xã An Khánh, Thành phố Hà Nội",
        phone="0240000000",
        bank_account="3713.0.1234567",
        bank_name="Kho bạc Nhà nước khu vực I",
        budget_unit_code="1234567",
    )
    return replace(base, **overrides)


def buyer(**overrides: Any) -> Buyer:
    """Return a company buyer."""
    base = Buyer(
        name="CÔNG TY CỔ PHẦN XYZ",
        tax_code="0309876543",
        address="12 Nguyễn Huệ, Phường Sài Gòn, TP. Hồ Chí Minh",
        customer_code="KH0001",
        email="ap@xyz.vn",
        contact_name="Nguyễn Văn A",
    )
    return replace(base, **overrides)


def payer(**overrides: Any) -> Buyer:
    """Return a citizen paying a fee."""
    base = Buyer(name="Trần Thị Bích", citizen_id="001190000001", address="Thôn Chùa, Xã An Khánh, Hà Nội")
    return replace(base, **overrides)


_RATES = ("10%", "8%", "5%", "0%", "KCT")


def goods(count: int, *, rates: tuple[str, ...] = _RATES) -> list[InvoiceLine]:
    """Return ``count`` goods lines cycling through ``rates``, with quantities and prices that need rounding."""
    return [
        goods_line(
            f"Hàng hóa số {i} – bút bi Thiên Long",
            Decimal(i % 7 + 1) + Decimal("0.25") * (i % 3),
            Decimal(12_345) * (i % 11 + 1) + Decimal("0.5"),
            VatRate.parse(rates[i % len(rates)]),
            unit="Cái",
            item_code=f"HH{i:04d}",
        )
        for i in range(count)
    ]


def invoice(lines: int | Sequence[InvoiceLine] = 2, **overrides: Any) -> Invoice:
    """Return a VAT invoice (template 1) with ``lines`` goods lines of mixed rates, or with the lines given."""
    fields: dict[str, Any] = {
        "template": "1",
        "series": "C25TAA",
        "issue_date": ISSUE_DATE,
        "seller": seller(),
        "buyer": buyer(),
        "lines": goods(lines) if isinstance(lines, int) else lines,
        "provider_tax_code": PROVIDER_TAX_CODE,
        "number": 1,
        "lookup_code": "7K2P9QAXM4TD",
    }
    fields.update(overrides)
    return make_invoice(**fields)


def receipt(fees: int = 1, **overrides: Any) -> Receipt:
    """Return a fee receipt (EBL01, series 25T) with ``fees`` fee lines."""
    catalogue = [
        ("LP-CT", "Lệ phí chứng thực bản sao từ bản chính", Decimal(2_000), "Thông tư 226/2016/TT-BTC"),
        ("LP-HT", "Lệ phí đăng ký khai sinh", Decimal(8_000), "Nghị quyết 04/2024/NQ-HĐND"),
        ("PHI-TT", "Phí thẩm định hồ sơ", Decimal(150_000), "Thông tư 85/2019/TT-BTC"),
    ]
    lines = [
        fee_line(
            catalogue[i % 3][1],
            catalogue[i % 3][2],
            quantity=Decimal(i % 4 + 1),
            code=catalogue[i % 3][0],
            legal_basis=catalogue[i % 3][3],
            unit="Bản",
        )
        for i in range(fees)
    ]
    fields: dict[str, Any] = {
        "template": "EBL01",
        "series": "25T",
        "issue_date": ISSUE_DATE,
        "collector": collector(),
        "payer": payer(),
        "fees": lines,
        "number": 1,
        "payment_method": "TM",
        "provider_tax_code": PROVIDER_TAX_CODE,
        "cashier_name": "Lê Văn Cường",
        "lookup_code": "Q4XZ8B1MN2PK",
    }
    fields.update(overrides)
    return make_receipt(**fields)
