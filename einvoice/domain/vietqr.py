"""VietQR (NAPAS 247) payloads: the EMVCo merchant-presented TLV a banking app scans to pay a bank transfer.

Layout (spec ``vn-einvoice-2026.md`` §5.1, choice 21): ``00`` format ``01``; ``01`` ``11`` static or ``12`` dynamic
(with an amount); ``38`` merchant account = ``00`` GUID ``A000000727`` (NAPAS) + ``01`` (``00`` BIN, ``01`` account)
+ ``02`` service ``QRIBFTTA`` (to an account); ``53`` currency ``704``; ``54`` amount in whole đồng; ``58`` ``VN``;
``62`` additional data (``01`` bill number, ``08`` purpose, which becomes the transfer's description); ``63`` CRC-16/
CCITT-FALSE over everything before it, ``6304`` included, four upper-case hex digits. Fields in ascending order, empty
ones omitted, lengths in characters. Pure: no I/O, no clock.

:func:`encode` writes any payload the layout allows (the spec's verified strings carry lower-case purposes);
:func:`payment_reference` makes the reference *we* print — upper-case ASCII letters, digits and spaces, at most 25 —
from a receipt's identity, so a bank statement line can be matched back to it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from einvoice.domain.qrdata import crc16_ccitt_false, tlv, with_crc

NAPAS_GUID = "A000000727"
TO_ACCOUNT = "QRIBFTTA"
TO_CARD = "QRIBFTTC"
CURRENCY_VND = "704"
COUNTRY_VN = "VN"
#: Longest reference (62.08 purpose, 62.01 bill number) NAPAS carries.
REFERENCE_MAX = 25
#: Longest account or card number in 38.01.01.
ACCOUNT_MAX = 19
AMOUNT_MAX_DIGITS = 13

_BIN = re.compile(r"\d{6}")
_ACCOUNT = re.compile(r"[0-9A-Za-z]{1,19}")
_ASCII_TEXT = re.compile(r"[\x20-\x7e]*")
_OUR_REFERENCE = re.compile(r"[A-Z0-9 ]{1,25}")
_BILL_NUMBER = re.compile(r"[A-Za-z0-9_-]{1,25}")


class VietQRError(ValueError):
    """A value the VietQR layout cannot carry; the message names the field."""


@dataclass(frozen=True, slots=True)
class Transfer:
    """What a VietQR asks the payer's bank to do: pay ``amount`` đồng (static if ``None``) to an account."""

    bank_bin: str
    account: str
    amount: Decimal | None = None
    purpose: str | None = None  # 62.08, the transfer description
    bill_number: str | None = None  # 62.01
    service: str = TO_ACCOUNT


def _field(tag: str, value: str | None) -> str:
    try:
        return tlv(tag, value or "")
    except ValueError as error:
        raise VietQRError(str(error)) from error


def _amount(amount: Decimal) -> str:
    if amount <= 0 or amount != amount.to_integral_value():
        raise VietQRError(f"amount must be a positive whole number of đồng, not {amount}")
    digits = str(int(amount))
    if len(digits) > AMOUNT_MAX_DIGITS:
        raise VietQRError(f"amount {digits} has more than {AMOUNT_MAX_DIGITS} digits")
    return digits


def _check(transfer: Transfer) -> None:
    if not _BIN.fullmatch(transfer.bank_bin):
        raise VietQRError(f"bank_bin must be the 6-digit NAPAS BIN, not {transfer.bank_bin!r}")
    if not _ACCOUNT.fullmatch(transfer.account):
        raise VietQRError(f"account must be 1 to {ACCOUNT_MAX} letters or digits, not {transfer.account!r}")
    if transfer.service not in (TO_ACCOUNT, TO_CARD):
        raise VietQRError(f"service must be {TO_ACCOUNT} or {TO_CARD}")
    for name, text in (("purpose", transfer.purpose), ("bill_number", transfer.bill_number)):
        if text is not None and (len(text) > REFERENCE_MAX or not _ASCII_TEXT.fullmatch(text)):
            raise VietQRError(f"{name} must be printable ASCII of at most {REFERENCE_MAX} characters: {text!r}")
    if transfer.bill_number is not None and not _BILL_NUMBER.fullmatch(transfer.bill_number):
        raise VietQRError(f"bill_number must be letters, digits, '_' or '-': {transfer.bill_number!r}")


def encode(transfer: Transfer) -> str:
    """Return the VietQR payload of ``transfer``: dynamic with an amount, static without; CRC upper case."""
    _check(transfer)
    beneficiary = _field("00", transfer.bank_bin) + _field("01", transfer.account)
    merchant = _field("00", NAPAS_GUID) + _field("01", beneficiary) + _field("02", transfer.service)
    additional = _field("01", transfer.bill_number) + _field("08", transfer.purpose)
    body = (
        _field("00", "01")
        + _field("01", "11" if transfer.amount is None else "12")
        + _field("38", merchant)
        + _field("53", CURRENCY_VND)
        + _field("54", None if transfer.amount is None else _amount(transfer.amount))
        + _field("58", COUNTRY_VN)
        + _field("62", additional)
    )
    return with_crc(body)


def crc_is_valid(payload: str) -> bool:
    """Tell whether ``payload`` ends in ``6304`` + the CRC of what precedes it (either letter case accepted)."""
    if len(payload) < 8 or payload[-8:-4] != "6304":
        return False
    try:
        written = int(payload[-4:], 16)
    except ValueError:
        return False
    return written == crc16_ccitt_false(payload[:-4].encode("ascii", errors="replace"))


def ascii_reference(text: str) -> str:
    """Return ``text`` as a reference we print: accents dropped, đ→D, upper case, only A–Z, 0–9 and single spaces."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).upper()
    return " ".join(re.sub(r"[^A-Z0-9]+", " ", plain).split())


def payment_reference(prefix: str, series: str, number: int) -> str:
    """Return the 62.08 reference of a receipt, e.g. ``LPCT BL26TAA 57``: prefix, series, number, at most 25.

    Raises :class:`VietQRError` if the parts do not fit: a reference cut short would match the wrong receipt.
    """
    reference = ascii_reference(f"{prefix} {series} {number}")
    if not _OUR_REFERENCE.fullmatch(reference):
        raise VietQRError(f"reference {reference!r} is longer than {REFERENCE_MAX} characters or empty")
    return reference
