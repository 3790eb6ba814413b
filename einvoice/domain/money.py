"""Money: ``Decimal`` end to end, rounded at named points with a named mode.

Rounding rule (choice 9 of the team's format decisions), the only places amounts are rounded:

1. **Line amount** (``ThTien``) = quantity × unit price − line discount, rounded once to the currency's quantum.
   A line discount given only as a percentage (``TLCKhau``) becomes an amount (``STCKhau``) rounded once first.
2. **VAT per rate group** (``LTSuat/TThue``) = the group's net amount × rate, rounded once.
3. **Fee line amount** of a receipt (``TPhi``) = quantity × amount per unit, rounded once.

Everything else (group net amounts, ``TgTCThue``, ``TgTThue``, ``TTCKTMai``, ``TgTTTBSo``) is a sum of already-rounded
parts and is never rounded again. The quantum is one whole đồng for VND and 0.01 for foreign currencies; the mode is
:data:`ROUNDING` (``ROUND_HALF_UP``, which for ``Decimal`` means half away from zero, so a negative adjustment rounds
to the mirror image of the positive one). Exchange rates carry at most two decimals. A float never reaches this
module, and arithmetic on amounts runs in :data:`MONEY_CONTEXT` (see :func:`exact`) so that nothing is rounded except
at the points above.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext

VND = "VND"
#: The one rounding mode for money: half away from zero.
ROUNDING = ROUND_HALF_UP
_WHOLE = Decimal(1)
_CENTS = Decimal("0.01")
#: Largest magnitude the format admits: 21 digits in all, 6 of them decimals.
MAX_DIGITS = 21
MAX_DECIMALS = 6
#: Arithmetic on amounts is exact: two 21-digit factors have at most 42 digits, far inside this precision.
MONEY_CONTEXT = Context(prec=80, rounding=ROUNDING)


@contextmanager
def exact() -> Iterator[None]:
    """Run the enclosed arithmetic in :data:`MONEY_CONTEXT`, so no product or sum is silently rounded."""
    with localcontext(MONEY_CONTEXT):
        yield


def quantum(currency: str) -> Decimal:
    """Return the smallest unit amounts in ``currency`` are rounded to."""
    return _WHOLE if currency == VND else _CENTS


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Round ``amount`` once to the quantum of ``currency`` with :data:`ROUNDING`."""
    if not isinstance(amount, Decimal):
        raise TypeError(f"money must be Decimal, got {type(amount).__name__}")
    return amount.quantize(quantum(currency), rounding=ROUNDING, context=MONEY_CONTEXT)


def is_rounded(amount: Decimal, currency: str) -> bool:
    """Tell whether ``amount`` is already a whole number of the currency's quantum."""
    return amount == amount.quantize(quantum(currency), rounding=ROUNDING, context=MONEY_CONTEXT)


def format_decimal(value: Decimal) -> str:
    """Write ``value`` for XML: no exponent, no grouping, no trailing fractional zeros, no ``-0``."""
    if not value.is_finite():
        raise ValueError(f"not a finite number: {value}")
    text = format(value.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def fits_format(value: Decimal, *, max_decimals: int = MAX_DECIMALS) -> bool:
    """Tell whether ``value`` fits the national format's numbers (≤ 21 digits, ≤ ``max_decimals`` decimals)."""
    if not value.is_finite():
        return False
    _sign, digits, exponent = value.normalize().as_tuple()
    assert isinstance(exponent, int)  # finite values have an int exponent
    decimals = max(0, -exponent)
    integer_digits = max(1, len(digits) + exponent)
    return decimals <= max_decimals and integer_digits + decimals <= MAX_DIGITS
