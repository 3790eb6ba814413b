"""Money rounding, rates, series rules, lookup codes and the QR payload."""

from __future__ import annotations

import secrets
from datetime import date
from decimal import Decimal

import pytest

from einvoice.domain import lookup, money, qrdata, series
from einvoice.domain.parties import is_budget_unit_code, is_citizen_id, is_tax_code
from einvoice.domain.rates import UnknownRateError, VatRate


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("0.5", "VND", "1"),
        ("-0.5", "VND", "-1"),
        ("2.4999", "VND", "2"),
        ("1.005", "USD", "1.01"),
        ("-1.005", "USD", "-1.01"),
    ],
)
def test_rounding_is_half_away_from_zero(amount: str, currency: str, expected: str) -> None:
    """Money rounds once, half away from zero, to whole đồng or to cents."""
    assert money.round_money(Decimal(amount), currency) == Decimal(expected)


def test_rounding_refuses_floats() -> None:
    """A float never reaches an amount."""
    with pytest.raises(TypeError):
        money.round_money(0.5, "VND")  # type: ignore[arg-type]


@pytest.mark.parametrize(("value", "text"), [("1E+3", "1000"), ("1.500", "1.5"), ("-0", "0"), ("0.000001", "0.000001")])
def test_decimals_are_written_without_exponent_or_trailing_zeros(value: str, text: str) -> None:
    """Numbers in XML have no exponent, no grouping and no trailing fractional zeros."""
    assert money.format_decimal(Decimal(value)) == text


@pytest.mark.parametrize(
    ("text", "code", "percent"),
    [
        ("10%", "10%", 10),
        ("KCT", "KCT", None),
        ("KHAC:5.26", "KHAC:5.26%", Decimal("5.26")),
        ("KHAC:7%", "KHAC:7.00%", 7),
    ],
)
def test_rates_read_with_or_without_percent(text: str, code: str, percent: Decimal | None) -> None:
    """Rates are read as written by others and written the one way we chose."""
    rate = VatRate.parse(text)
    assert (rate.code, rate.percent) == (code, percent)


@pytest.mark.parametrize("text", ["7%", "KHAC", "10", "KHAC:123%"])
def test_unknown_rates_are_refused(text: str) -> None:
    """Rates outside Phụ lục V are refused."""
    with pytest.raises(UnknownRateError):
        VatRate.parse(text)


def test_identifier_formats() -> None:
    """Tax codes, citizen IDs and budget-unit codes follow their digit patterns."""
    assert all(is_tax_code(v) for v in ("0101234567", "0101234567-001", "001076021271"))
    assert not any(is_tax_code(v) for v in ("12345", "0101234567-01", "01012345678", "010123456a"))
    assert is_citizen_id("001190000001")
    assert not is_citizen_id("00119000000")
    assert is_budget_unit_code("1234567")
    assert not is_budget_unit_code("123456")


def test_series_rules() -> None:
    """Series are well-formed and carry the issue year; numbers have at most eight digits."""
    assert series.is_invoice_series("C25TAA")
    assert series.is_invoice_series("K26XAB")
    assert not series.is_invoice_series("C25TA")
    assert not series.is_invoice_series("A25TAA")
    assert series.is_legacy_receipt_series("25T")
    assert series.is_receipt_series("26TAA")
    assert not series.is_receipt_series("25P")
    assert series.series_matches_date("C25TAA", date(2025, 1, 1))
    assert not series.series_matches_date("25T", date(2026, 1, 1))
    assert series.is_valid_number(99_999_999)
    assert not series.is_valid_number(100_000_000)


def test_lookup_codes_are_random_and_read_forgivingly() -> None:
    """Codes are 12 Crockford characters; typed codes with dashes, spaces, lowercase and O/I/L are read back."""
    codes = {lookup.new_lookup_code() for _ in range(1000)}
    assert len(codes) == 1000
    code = next(iter(codes))
    assert len(code) == 12
    assert set(code) <= set(lookup.ALPHABET)
    typed = lookup.format_lookup_code(code).lower().replace("0", "o").replace("1", "l")
    assert lookup.normalize_lookup_code(f"  {typed} ") == code
    assert lookup.normalize_lookup_code("short") is None
    assert lookup.normalize_lookup_code("U" * 12) is None


def test_qr_payload_matches_the_official_crc_example() -> None:
    """The CRC of the official example payload is the one printed in it."""
    example = (
        "00020101021226280010A000000775011001012345675204504553037045408116850005802VN5911CONG TY ABC6006HA NOI"
        "99740010A00000077501100101234567020110306C25TAA04031230508202511200608116850006304EC86"
    )
    assert qrdata.with_crc(example[:-8]) == example


def test_qr_payload_carries_the_document_identity() -> None:
    """Our DLQRCode holds seller, template, series, number, date and total in template 99, with a valid CRC."""
    payload = qrdata.document_qr_payload(
        seller_tax_code="0101234567-001",
        template="EBL01",
        series="25T",
        number=57,
        issue_date=date(2025, 11, 20),
        total=Decimal(20000),
    )
    top = qrdata.parse_tlv(payload)
    assert qrdata.parse_tlv(top["99"]) == {
        "01": "0101234567001",
        "02": "EBL01",
        "03": "25T",
        "04": "57",
        "05": "20251120",
        "06": "20000",
    }
    assert qrdata.with_crc(payload[:-8]) == payload
    assert secrets.compare_digest(top["63"], payload[-4:])
