"""The field types of documents as JSON: text, amount, quantity, VAT rate, currency, identifiers.

Each type's bounds are those of the national format's XSD (lengths, 21 digits with at most 6 decimals, exchange rates
of 7 digits with 2 decimals), so a request the schemas accept never fails the XSD for a field the caller sent.
Bounds are ints, not Decimals: the OpenAPI document states them as JSON numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from marshmallow import ValidationError, fields, validate

from einvoice.domain.parties import is_budget_unit_code, is_citizen_id, is_tax_code
from einvoice.domain.rates import UnknownRateError, VatRate
from einvoice.domain.text import clean, xml_compatible
from einvoice.domain.words import CURRENCIES
from einvoice.jsondoc.problems import Message

#: Every amount a document states (a unit price, a line, a total) is at most this: far below the 10¹⁸ the amount in
#: words can say and the 9.2 × 10¹⁶ a stored total in hundredths can hold.
MAX_AMOUNT = 10**15
MAX_QUANTITY = 10**9
MAX_LINES = 500
MAX_EXCHANGE_RATE = 99_999
_MAX_ID = 2**31 - 1

Validator = Callable[[Any], Any]


def check(test: Callable[[Any], bool], code: str, vi: str, en: str) -> Validator:
    """Return a validator that refuses values failing ``test`` with the problem ``code``."""

    def run(value: Any) -> None:
        if not test(value):
            raise ValidationError(Message(code, vi, en))

    return run


def _xml_safe(value: str) -> None:
    if not xml_compatible(value):
        raise ValidationError(
            Message("NOT_XML_TEXT", "Có ký tự điều khiển không thể ghi vào XML", "contains characters XML cannot hold")
        )


def _not_blank(value: str) -> None:
    if not clean(value):
        raise ValidationError(Message("BLANK", "Không được để trống", "must not be blank"))


def Text(*, required: bool = False, max_length: int = 400, validators: Sequence[Validator] = (), **kw: Any) -> Any:
    """A string XML can carry, at most ``max_length`` characters; a required one must not be blank."""
    checks = [validate.Length(max=max_length), _xml_safe, *((_not_blank,) if required else ()), *validators]
    return fields.String(required=required, validate=checks, **kw)


def TaxCode(**kw: Any) -> Any:
    """A tax code (mã số thuế): 10 digits, 10 + ``-`` + 3 for a branch, or 12."""
    valid = check(is_tax_code, "INVALID_TAX_CODE", "Mã số thuế không hợp lệ", "not a valid tax code")
    return Text(max_length=14, validators=(valid,), **kw)


def CitizenId(**kw: Any) -> Any:
    """A 12-digit citizen ID (căn cước công dân)."""
    valid = check(is_citizen_id, "INVALID_CITIZEN_ID", "Số CCCD phải có 12 chữ số", "not a 12-digit citizen ID")
    return Text(max_length=12, validators=(valid,), **kw)


def BudgetUnitCode(**kw: Any) -> Any:
    """A 7-digit budget-relationship unit code (mã đơn vị có quan hệ với ngân sách)."""
    valid = check(is_budget_unit_code, "INVALID_UNIT_CODE", "Mã ĐVQHNS phải có 7 chữ số", "not a 7-digit unit code")
    return Text(max_length=7, validators=(valid,), **kw)


def Email(**kw: Any) -> Any:
    """An e-mail address of at most 50 characters (the XSD's limit)."""
    return fields.Email(validate=[validate.Length(max=50), _xml_safe], **kw)


def _between(low: int, high: int, *, low_included: bool = True, zero: bool = True) -> Validator:
    sign = "≥" if low_included else ">"

    def within(value: Decimal) -> bool:
        return (low < value or (low_included and value == low)) and value <= high and (zero or value != 0)

    return check(within, "OUT_OF_RANGE", f"Phải {sign} {low} và ≤ {high}", f"must be {sign} {low} and ≤ {high}")


def _decimals(limit: int) -> Validator:
    def fits(value: Decimal) -> bool:
        exponent = value.normalize().as_tuple().exponent
        return not isinstance(exponent, int) or exponent >= -limit

    return check(fits, "TOO_MANY_DECIMALS", f"Tối đa {limit} chữ số thập phân", f"at most {limit} decimals")


def _bounds(low: int, high: int, kw: dict[str, Any]) -> dict[str, Any]:
    """Return ``kw`` with the bounds stated for OpenAPI (the validators above are functions it cannot read)."""
    return {**kw, "metadata": {"minimum": low, "maximum": high, **kw.get("metadata", {})}}


def Amount(*, required: bool = False, positive: bool = False, **kw: Any) -> Any:
    """An exact decimal amount from 0 (excluded if ``positive``) to 10¹⁵, at most 6 decimals."""
    checks = [_between(0, MAX_AMOUNT, low_included=not positive), _decimals(6)]
    return fields.Decimal(required=required, allow_nan=False, validate=checks, **_bounds(0, MAX_AMOUNT, kw))


def Quantity(*, signed: bool = False, **kw: Any) -> Any:
    """A quantity other than zero, at most 10⁹ with 6 decimals; negative only if ``signed`` (adjustments)."""
    low = -MAX_QUANTITY if signed else 0
    checks = [_between(low, MAX_QUANTITY, low_included=signed, zero=False), _decimals(6)]
    return fields.Decimal(allow_nan=False, validate=checks, **_bounds(low, MAX_QUANTITY, kw))


def Percent(**kw: Any) -> Any:
    """A percentage from 0 to 100 with at most 4 decimals (a line's discount rate)."""
    return fields.Decimal(allow_nan=False, validate=[_between(0, 100), _decimals(4)], **kw)


def ExchangeRate(**kw: Any) -> Any:
    """An exchange rate above 0, at most 99 999.99 (7 digits, 2 of them decimals, as the XSD says)."""
    checks = [_between(0, MAX_EXCHANGE_RATE, low_included=False), _decimals(2)]
    return fields.Decimal(allow_nan=False, validate=checks, **kw)


def Currency(**kw: Any) -> Any:
    """A currency whose amounts the documents can write in words (``VND``, ``USD``…)."""
    known = ", ".join(CURRENCIES)
    valid = check(
        lambda value: value in CURRENCIES,
        "UNKNOWN_CURRENCY",
        f"Đơn vị tiền tệ không được hỗ trợ; dùng một trong: {known}",
        f"currency not supported; use one of: {known}",
    )
    metadata = {"enum": list(CURRENCIES), **kw.pop("metadata", {})}
    return fields.String(validate=[valid], metadata=metadata, **kw)


def Id(*, strict: bool = True, **kw: Any) -> Any:
    """A database id from 1 to 2³¹ − 1: a JSON integer (``strict``) or, in a query string, digits."""
    return fields.Integer(strict=strict, validate=validate.Range(min=1, max=_MAX_ID), **kw)


class VatRateField(fields.String):
    """A VAT rate as the national format writes it (``10%``, ``KCT``, ``KHAC:5.26%``), loaded as a :class:`VatRate`."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return VatRate.parse(text)
        except UnknownRateError as error:
            raise ValidationError(
                Message(
                    "UNKNOWN_VAT_RATE",
                    "Thuế suất không hợp lệ (0%, 5%, 8%, 10%, KCT, KKKNT, KHAC:AB.CD%)",
                    f"unknown VAT rate {text!r}",
                )
            ) from error

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else str(value)
