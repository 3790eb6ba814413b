"""What reconciliation needs of one issued document, read from its signed XML: payment method, cashier, lines."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from einvoice.domain.documents import Invoice, Receipt
from einvoice.domain.kinds import DocumentKind
from einvoice.xmldoc.parse import parse_document

HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class LineFact:
    """One fee (receipt) or goods line (invoice) with its amount."""

    line_no: int
    code: str | None
    name: str
    legal_basis: str | None
    quantity: Decimal
    amount: Decimal


@dataclass(frozen=True, slots=True)
class DocumentFacts:
    """The payment method as issued (``HTTToan``), the cashier printed on a receipt, and the lines."""

    payment_method: str
    cashier_name: str | None
    lines: tuple[LineFact, ...]


def hundredths(amount: Decimal) -> int:
    """Return ``amount`` in hundredths of the currency unit, rounding half up (amounts are stated to 2 places)."""
    return int((amount * HUNDRED).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _receipt_facts(document: Receipt) -> DocumentFacts:
    lines = tuple(
        LineFact(fee.line_no or i, fee.code, fee.name, fee.legal_basis, fee.quantity, fee.amount)
        for i, fee in enumerate(document.fees, start=1)
    )
    return DocumentFacts(document.payment_method, document.cashier_name, lines)


def _invoice_facts(document: Invoice) -> DocumentFacts:
    goods = tuple(
        LineFact(
            line.line_no or i, line.item_code, line.name, None, line.quantity or Decimal(1), line.amount or Decimal(0)
        )
        for i, line in enumerate(document.lines, start=1)
    )
    return DocumentFacts(document.payment_method, None, goods)


#: How each kind's lines become facts (the finance column of the table of kinds).
_FACTS: dict[DocumentKind, Callable[[Any], DocumentFacts]] = {
    DocumentKind.RECEIPT: _receipt_facts,
    DocumentKind.INVOICE: _invoice_facts,
}


def read_facts(xml: bytes) -> DocumentFacts:
    """Read the facts of a stored document (our own signed bytes)."""
    document = parse_document(xml)
    return _FACTS[document.kind](document)
