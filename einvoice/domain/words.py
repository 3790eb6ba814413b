"""The amount in words (số tiền bằng chữ), the text of ``TgTTTBChu`` on invoices and receipts.

The law gives one example and providers disagree on details, so these product decisions hold:

* Vietnamese with full diacritics, NFC-normalised; the first letter is capitalised and nothing
  else is, except the proper nouns in currency names ("đô la Mỹ"); no trailing period (the real
  sample in the spec has one; we drop it).
* VND is read in whole đồng and ends with " đồng"; zero is "Không đồng". A VND amount with a
  non-zero fractional part is a ``ValueError``: totals are rounded before they get here. Trailing
  zeros (``Decimal("1700000.00")``) are fine.
* In a group of three digits: "linh" (never "lẻ") for a zero tens digit before a non-zero unit
  ("một trăm linh năm"); "mười" for the teens, "mươi" for tens of 20 and up. After a tens digit,
  1 is "mốt" from 20 up ("hai mươi mốt", but "mười một"), 4 is "tư" from 20 up ("hai mươi tư",
  but "mười bốn"; the spec's real sample says "tám mươi bốn": we chose "tư"), and 5 is always
  "lăm" ("mười lăm", "hai mươi lăm").
* Scales are "nghìn" (never "ngàn"), "triệu" and "tỷ". Above a tỷ, the count of tỷ is read as a
  number of its own: 10^12 is "một nghìn tỷ", 10^15 "một triệu tỷ", and 1.2 × 10^12 "một nghìn
  hai trăm tỷ" (not "một nghìn tỷ hai trăm tỷ"). An all-zero group is skipped entirely ("một tỷ
  đồng"); a non-zero group after a spoken one is read with all three digits, so below 100 it
  starts with "không trăm" ("một nghìn không trăm linh năm", "một tỷ không trăm linh một", "một
  triệu không trăm năm mươi nghìn").
* A negative amount (an adjustment that decreases) is prefixed with "Âm "; minus zero is zero.
* Foreign currencies (``CURRENCIES``) allow at most 2 decimals: the whole part and the currency
  name, then, when the cents are not zero, " và " + cents in words + the minor unit; 13800.25 USD
  is "Mười ba nghìn tám trăm đô la Mỹ và hai mươi lăm xen" (NĐ 123 Art. 10 k13). The whole part is
  always said: 0.05 USD is "Không đô la Mỹ và năm xen". A currency without a minor unit (VND, JPY,
  KRW) takes whole amounts only. An unknown currency code is a ``ValueError``.
* The amount must be a ``Decimal``; anything else (a float above all, but also an int) is a
  ``TypeError``. |amount| < 10^18 is supported; beyond that, NaN and infinities are a
  ``ValueError``. Every VND amount below 10^15 reads in at most 160 characters, inside the 255
  of ``TgTTTBChu``.
"""

import unicodedata
from decimal import Context, Decimal, localcontext
from typing import Final, NamedTuple


class Currency(NamedTuple):
    """How a currency is named in words: its unit and its minor unit (None when it has none)."""

    name: str
    minor_unit: str | None


CURRENCIES: Final[dict[str, Currency]] = {
    "VND": Currency("đồng", None),
    "USD": Currency("đô la Mỹ", "xen"),
    "EUR": Currency("euro", "xen"),
    "GBP": Currency("bảng Anh", "xu"),
    "JPY": Currency("yên Nhật", None),
    "CNY": Currency("nhân dân tệ", "xu"),
    "KRW": Currency("won", None),
    "SGD": Currency("đô la Singapore", "xen"),
    "AUD": Currency("đô la Úc", "xen"),
}

LIMIT: Final = 10**18
"""|amount| must be below this: nobody invoices in "tỷ tỷ", and we will not print it."""

_DIGITS: Final = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
_BILLION: Final = 10**9
_CENT: Final = Decimal("0.01")
# Our own arithmetic context: the caller's may have a precision that would round an 18-digit amount.
_EXACT: Final = Context(prec=40)


def amount_in_words(amount: Decimal, currency: str = "VND") -> str:
    """Return ``amount`` in Vietnamese words with its currency, as printed in ``TgTTTBChu``."""
    if not isinstance(amount, Decimal):
        raise TypeError(f"amount must be a Decimal, not {type(amount).__name__}")
    unit = CURRENCIES.get(currency)
    if unit is None:
        raise ValueError(f"unknown currency {currency!r}; known: {', '.join(CURRENCIES)}")
    if not amount.is_finite():
        raise ValueError(f"amount must be a finite number, got {amount}")
    if not -LIMIT < amount < LIMIT:  # comparisons are exact; abs() would round in the caller's context
        raise ValueError(f"amount {amount} is too large: words are supported below 10^18")
    with localcontext(_EXACT):
        # Checks on the value, not the exponent, so that "100.00" passes as a whole amount.
        if unit.minor_unit is None and amount % 1 != 0:
            raise ValueError(f"{currency} amount {amount} has a fractional part; round it first")
        if amount % _CENT != 0:
            raise ValueError(f"{currency} amount {amount} has more than 2 decimals")
        whole, cents = divmod(int(abs(amount) * 100), 100)
    text = f"{_integer_words(whole)} {unit.name}"
    if cents and unit.minor_unit is not None:
        text += f" và {_integer_words(cents)} {unit.minor_unit}"
    if amount < 0:
        text = f"âm {text}"
    # The literals are NFC already; normalising again guards against an editor that decomposes them.
    text = unicodedata.normalize("NFC", text)
    return text[0].upper() + text[1:]


def _integer_words(number: int) -> str:
    """Return a non-negative integer in lower-case words, without a unit."""
    if number == 0:
        return _DIGITS[0]
    return " ".join(_words(number, leading=True))


def _words(number: int, *, leading: bool) -> list[str]:
    """Return the words of a positive integer; ``leading`` is False after higher digits."""
    billions, rest = divmod(number, _BILLION)
    words: list[str] = []
    if billions:
        # The count of tỷ is a number in its own right: "một nghìn hai trăm tỷ", "một triệu tỷ".
        words += [*_words(billions, leading=leading), "tỷ"]
        leading = False
    if rest:
        words += _below_billion(rest, leading=leading)
    return words


def _below_billion(number: int, *, leading: bool) -> list[str]:
    """Return the words of 0 < number < 10^9, group by group (triệu, nghìn, units)."""
    groups = ((number // 1_000_000, "triệu"), (number // 1000 % 1000, "nghìn"), (number % 1000, ""))
    words: list[str] = []
    for value, scale in groups:
        if value == 0:
            continue  # an all-zero group is not read: "một triệu đồng", not "... không nghìn ..."
        words += _group(value, full=not leading)
        if scale:
            words.append(scale)
        leading = False
    return words


def _group(number: int, *, full: bool) -> list[str]:
    """Return the words of 0 < number < 1000; ``full`` says even zero hundreds ("không trăm")."""
    hundreds, tens, units = number // 100, number // 10 % 10, number % 10
    words: list[str] = []
    if hundreds or full:
        words += [_DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units:
            # "linh" marks the missing tens only when something was said before: 105, but plain 5.
            words += ["linh", _DIGITS[units]] if words else [_DIGITS[units]]
        return words
    words += ["mười"] if tens == 1 else [_DIGITS[tens], "mươi"]
    if units:
        words.append(_unit_after_tens(tens, units))
    return words


def _unit_after_tens(tens: int, units: int) -> str:
    """Return the unit digit spoken after a tens digit, with its euphonic forms (mốt, tư, lăm)."""
    if units == 5:
        return "lăm"
    if tens >= 2 and units == 1:
        return "mốt"
    if tens >= 2 and units == 4:
        return "tư"
    return _DIGITS[units]
