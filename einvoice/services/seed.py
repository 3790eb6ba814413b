"""The demo set-up of a first start in development: an issuer with a development certificate, a counter, an
invoice and a receipt series for the current year, a small catalogue of real administrative fees, and accounts.

It runs only on an empty database (no issuer yet) and returns the generated passwords, to be shown once.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, func, select

from einvoice.domain.kinds import DocumentKind
from einvoice.domain.vntime import local_date
from einvoice.services import accounts, catalogue
from einvoice.storage.schema import issuers

DEMO_ISSUER = {
    "name": "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG XÃ AN KHÁNH",
    "tax_code": "0109999999",
    "address": "Xã An Khánh, Thành phố Hà Nội",
    "phone": "0240000000",
    "bank_account": "3713.0.1234567",
    "bank_name": "Kho bạc Nhà nước khu vực I",
    "budget_unit_code": "1234567",
    "tax_office_code": "10100",
    "tax_office_name": "Thuế thành phố Hà Nội",
    "province": "Hà Nội",
}

#: (code, name, amount, per unit? (else one flat amount per receipt), unit, legal basis)
DEMO_FEES = (
    ("LP-CTBS", "Lệ phí chứng thực bản sao từ bản chính", "2000", True, "Trang", "Thông tư 226/2016/TT-BTC"),
    ("LP-CTCK", "Lệ phí chứng thực chữ ký", "10000", True, "Trường hợp", "Thông tư 226/2016/TT-BTC"),
    ("LP-CTHD", "Lệ phí chứng thực hợp đồng, giao dịch", "50000", False, "Hợp đồng", "Thông tư 226/2016/TT-BTC"),
    (
        "LP-KS",
        "Lệ phí đăng ký khai sinh",
        "8000",
        True,
        "Trường hợp",
        "Thông tư 85/2019/TT-BTC (mức thu do HĐND cấp tỉnh quyết định)",
    ),
    (
        "PHI-TTDN",
        "Phí cung cấp thông tin doanh nghiệp",
        "20000",
        True,
        "Bản",
        "Thông tư 47/2019/TT-BTC",
    ),
)


def seed_demo(engine: Engine, data_dir: Path, now: datetime) -> dict[str, str] | None:
    """Create the demo set-up on an empty database; return ``{username: password}``, or ``None`` if not empty."""
    with engine.connect() as conn:
        if conn.execute(select(func.count()).select_from(issuers)).scalar_one():
            return None
    from einvoice.signing.devca import dev_credentials, ensure_dev_credentials

    p12 = ensure_dev_credentials(data_dir, DEMO_ISSUER["tax_code"], DEMO_ISSUER["name"])
    password_file = dev_credentials(data_dir, DEMO_ISSUER["tax_code"]).password_file
    issuer = catalogue.create_issuer(
        engine, {**DEMO_ISSUER, "signer_p12_path": str(p12), "signer_password_file": str(password_file)}, now=now
    )
    counter = catalogue.create_counter(engine, issuer["id"], "Quầy số 1")
    year = local_date(now).year % 100
    demo_series = (
        (DocumentKind.INVOICE, "1", f"C{year:02d}TAA"),
        (DocumentKind.INVOICE, "1", f"K{year:02d}TAA"),
        (DocumentKind.RECEIPT, "EBL01", f"{year:02d}TAA"),
    )
    for kind, template, symbol in demo_series:
        catalogue.create_series(
            engine, issuer_id=issuer["id"], kind=kind, template=template, symbol=symbol, counter_id=counter["id"]
        )
    start = date(local_date(now).year, 1, 1)
    for code, name, amount, per_unit, unit, basis in DEMO_FEES:
        catalogue.create_fee(
            engine,
            {
                "issuer_id": issuer["id"],
                "code": code,
                "name": name,
                "amount": Decimal(amount),
                "per_unit": per_unit,
                "unit": unit,
                "legal_basis": basis,
                "effective_from": start,
            },
        )
    passwords = {"admin": secrets.token_urlsafe(12), "thu.ngan": secrets.token_urlsafe(12)}
    accounts.create_user(
        engine, username="admin", full_name="Quản trị hệ thống", role="admin", password=passwords["admin"], demo=True
    )
    accounts.create_user(
        engine,
        username="thu.ngan",
        full_name="Thu ngân Quầy số 1",
        role="cashier",
        counter_id=counter["id"],
        password=passwords["thu.ngan"],
        demo=True,
    )
    return passwords
