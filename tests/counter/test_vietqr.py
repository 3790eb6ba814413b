"""The VietQR encoder against the spec's verified strings and test vectors (vn-einvoice-2026.md §5.3–5.4)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from einvoice.domain.qrdata import crc16_ccitt_false
from einvoice.domain.vietqr import (
    Transfer,
    VietQRError,
    ascii_reference,
    crc_is_valid,
    encode,
    payment_reference,
)

VERIFIED = [
    (
        Transfer("970403", "0011012345678", Decimal(180000), "thanh toan don hang", "NPS6869"),
        "00020101021238570010A00000072701270006970403011300110123456780208QRIBFTTA530370454061800005802VN62340107"
        "NPS68690819thanh toan don hang63042E2E",
    ),
    (
        Transfer("970418", "V3CAS6262723924", Decimal(375000), "CSPZKHEL6A2 NTK O0004"),
        "00020101021238590010A000000727012900069704180115V3CAS62627239240208QRIBFTTA530370454063750005802VN6225"
        "0821CSPZKHEL6A2 NTK O000463044729",
    ),
    (
        Transfer("970422", "VQRQACLNP2680", Decimal(100000), "Thanh toan don hang ABC"),
        "00020101021238570010A000000727012700069704220113VQRQACLNP26800208QRIBFTTA530370454061000005802VN6227"
        "0823Thanh toan don hang ABC6304CE4C",
    ),
    (
        Transfer("970416", "257678859", Decimal(10000), "Chuyen tien"),
        "00020101021238530010A0000007270123000697041601092576788590208QRIBFTTA53037045405100005802VN62150811"
        "Chuyen tien630453E6",
    ),
    (
        Transfer("970416", "257678859"),
        "00020101021138530010A0000007270123000697041601092576788590208QRIBFTTA53037045802VN6304AE9F",
    ),
    (
        Transfer("970415", "113000012345", Decimal(20000), "LPCT BL26TAA 57", "BL26TAA00000057"),
        "00020101021238560010A0000007270126000697041501121130000123450208QRIBFTTA53037045405200005802VN62380115"
        "BL26TAA000000570815LPCT BL26TAA 576304F653",
    ),
    (
        Transfer("970415", "113000012345"),
        "00020101021138560010A0000007270126000697041501121130000123450208QRIBFTTA53037045802VN6304E942",
    ),
    (
        Transfer("970436", "0011001234567", Decimal(150000), "HS2026000123"),
        "00020101021238570010A00000072701270006970436011300110012345670208QRIBFTTA530370454061500005802VN6216"
        "0812HS20260001236304D77C",
    ),
]


@pytest.mark.parametrize(("transfer", "expected"), VERIFIED)
def test_encoder_reproduces_the_spec_strings_byte_for_byte(transfer: Transfer, expected: str) -> None:
    """Each verified string and test vector of §5.3–5.4 comes out of the encoder exactly."""
    assert encode(transfer) == expected


def test_crc_is_ccitt_false() -> None:
    """The CRC is CRC-16/CCITT-FALSE: its standard check value over "123456789" is 0x29B1."""
    assert crc16_ccitt_false(b"123456789") == 0x29B1


@pytest.mark.parametrize(("_transfer", "payload"), VERIFIED)
def test_crc_check_accepts_both_cases_and_refuses_a_changed_digit(_transfer: Transfer, payload: str) -> None:
    """A payload's CRC checks in upper or lower case; changing one amount digit breaks it."""
    assert crc_is_valid(payload)
    assert crc_is_valid(payload[:-4] + payload[-4:].lower())
    changed = payload.replace("5802VN", "5802VM")
    assert not crc_is_valid(changed)


@pytest.mark.parametrize(
    ("transfer", "field"),
    [
        (Transfer("97041", "123"), "bank_bin"),
        (Transfer("970415", "12345678901234567890"), "account"),
        (Transfer("970415", "1130", Decimal("1000.5")), "amount"),
        (Transfer("970415", "1130", Decimal(0)), "amount"),
        (Transfer("970415", "1130", Decimal(1000), "Lệ phí chứng thực"), "purpose"),
        (Transfer("970415", "1130", Decimal(1000), "A" * 26), "purpose"),
        (Transfer("970415", "1130", Decimal(1000), bill_number="BL 26"), "bill_number"),
    ],
)
def test_values_the_layout_cannot_carry_are_refused_by_name(transfer: Transfer, field: str) -> None:
    """A BIN, account, amount or reference the layout cannot carry raises an error naming the field."""
    with pytest.raises(VietQRError, match=field):
        encode(transfer)


def test_our_reference_is_plain_upper_case_ascii() -> None:
    """The printed reference drops accents, reads đ as D, keeps A–Z, 0–9 and single spaces."""
    assert ascii_reference("Lệ phí  đăng-ký") == "LE PHI DANG KY"
    assert payment_reference("LPCT", "BL26TAA", 57) == "LPCT BL26TAA 57"


def test_a_reference_too_long_is_refused_not_cut() -> None:
    """A reference over 25 characters raises instead of being cut (a cut one could match another receipt)."""
    with pytest.raises(VietQRError, match="25"):
        payment_reference("LEPHITHUPHI", "BL26TAA", 1234567)
