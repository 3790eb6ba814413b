"""The VAT invoice of §10.1 of the format reference, reproduced from its data."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import builders
from tests_support import SHARED, needs

from einvoice.domain.qrdata import parse_tlv
from einvoice.domain.rates import VatRate
from einvoice.domain.totals import goods_line, make_invoice
from einvoice.xmldoc.build import build_invoice
from einvoice.xmldoc.validate import validate_document

SPEC = SHARED / "spec" / "vn-einvoice-format.md"


def _sample_invoice() -> bytes:
    lines = [
        goods_line(
            "Máy in laser đơn sắc",
            Decimal(2),
            Decimal(4_500_000),
            VatRate.parse("10%"),
            unit="Cái",
            item_code="MI-LJ01",
            discount_rate=Decimal(0),
            discount_amount=Decimal(0),
        ),
        goods_line(
            "Găng tay y tế (hộp 100 chiếc)",
            Decimal(20),
            Decimal(85_000),
            VatRate.parse("5%"),
            unit="Hộp",
            item_code="YT-GT01",
            discount_rate=Decimal(0),
            discount_amount=Decimal(0),
        ),
    ]
    invoice = make_invoice(
        template="1",
        series="C25TAA",
        issue_date=date(2025, 11, 20),
        seller=builders.seller(),
        buyer=builders.buyer(),
        lines=lines,
        provider_tax_code="0100000000",
        number=123,
        exchange_rate=Decimal(1),
        lookup_code="X7K2P9QA",
    )
    return build_invoice(invoice)


def _spec_sample() -> str:
    text = SPEC.read_text("utf-8")
    block = text[text.index("### 10.1") :]
    block = block[block.index("```xml") + 6 : block.index("```", block.index("```xml") + 6)]
    return re.sub(r">\s+<", "><", block.strip())


def test_sample_validates() -> None:
    """The reproduced §10.1 invoice passes the XSD and every business rule."""
    assert validate_document(_sample_invoice()) == []


@needs(SPEC)
def test_sample_data_part_equals_the_spec() -> None:
    """Our DLHDon is the spec's DLHDon byte for byte, once the spec's reading whitespace is removed."""
    ours = _sample_invoice().decode()
    spec = _spec_sample()
    data = re.compile(r"<DLHDon Id=\"DLHDon\">.*</DLHDon>")
    assert data.search(ours).group(0) == data.search(spec).group(0)  # type: ignore[union-attr]


@needs(SPEC)
def test_sample_qr_identity_equals_the_spec() -> None:
    """Our DLQRCode carries the spec's document identity (template 99, without the spec's payment GUID)."""
    ours = parse_tlv(re.search(r"<DLQRCode>(.*)</DLQRCode>", _sample_invoice().decode()).group(1))  # type: ignore[union-attr]
    spec = parse_tlv(re.search(r"<DLQRCode>(.*)</DLQRCode>", _spec_sample()).group(1))  # type: ignore[union-attr]
    spec_identity = {k: v for k, v in parse_tlv(spec["99"]).items() if k != "00"}
    assert parse_tlv(ours["99"]) == spec_identity
