"""VAT rates (thuế suất, ``TSuat``) as the national format writes them (Phụ lục V).

Choice 3: "other" rates are written ``KHAC:AB.CD%`` and read with or without the trailing ``%``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from einvoice.domain.errors import EInvoiceError
from einvoice.domain.money import exact, round_money

_PERCENT_RATES = {"0%": Decimal(0), "5%": Decimal(5), "8%": Decimal(8), "10%": Decimal(10)}
#: Rates that carry no percentage: not subject to VAT, not declared, financial-leasing pass-through.
_NON_PERCENT_RATES = frozenset({"KCT", "KKKNT", "CTTC"})
_OTHER_RATE = re.compile(r"^KHAC:(\d{1,2}(?:\.\d{1,2})?)%?$")


class UnknownRateError(EInvoiceError, ValueError):
    """The text is not a VAT rate of the national format."""


@dataclass(frozen=True, slots=True)
class VatRate:
    """A VAT rate: its code as written in XML and, when it has one, its percentage."""

    code: str
    percent: Decimal | None

    @classmethod
    def parse(cls, text: str) -> VatRate:
        """Read a rate as found in XML or JSON (``10%``, ``KCT``, ``KHAC:5.26%`` or ``KHAC:5.26``)."""
        value = text.strip()
        if value in _PERCENT_RATES:
            return cls(value, _PERCENT_RATES[value])
        if value in _NON_PERCENT_RATES:
            return cls(value, None)
        match = _OTHER_RATE.match(value)
        if match:
            percent = Decimal(match.group(1))
            return cls(f"KHAC:{percent:.2f}%", percent)
        raise UnknownRateError(f"unknown VAT rate {text!r}")

    def tax_on(self, net_amount: Decimal, currency: str) -> Decimal:
        """Return the VAT on a rate group's net amount, rounded once (rounding point 2)."""
        if self.percent is None:
            return round_money(Decimal(0), currency)
        with exact():
            return round_money(net_amount * self.percent / 100, currency)

    def __str__(self) -> str:
        return self.code


STANDARD_RATES = tuple(VatRate.parse(code) for code in ("0%", "5%", "8%", "10%", "KCT", "KKKNT"))
