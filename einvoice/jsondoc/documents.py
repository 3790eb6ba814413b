"""Whole documents as JSON, for the command line (``einvoice build``) and the golden files.

A document names its own template, series, date and issuer; amounts are read as ``Decimal`` (strings, or JSON numbers
parsed as ``Decimal``), never floats. :func:`load_document` returns the domain document with its figures computed,
or raises :class:`~einvoice.domain.errors.InvalidDocumentError` listing every problem at its field path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from einvoice.domain.documents import CorrectionKind, Invoice, Receipt
from einvoice.domain.errors import InvalidDocumentError, Problem
from einvoice.domain.kinds import DocumentKind
from einvoice.domain.parties import Buyer
from einvoice.domain.totals import make_invoice, make_receipt
from einvoice.jsondoc.fields import MAX_LINES, Currency, ExchangeRate, TaxCode, Text
from einvoice.jsondoc.figures import fee_problems, invoice_problems
from einvoice.jsondoc.lines import FeeLineSchema, LineSchema, RelatedSchema, make_fee, make_line
from einvoice.jsondoc.parties import IssuerSchema, PartySchema, PayerSchema
from einvoice.jsondoc.problems import problems_of


class _DocumentSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf([kind.value for kind in DocumentKind]))
    template = Text(required=True, max_length=11)
    series = Text(required=True, max_length=8)
    number = fields.Integer(allow_none=True, strict=True, validate=validate.Range(1, 99_999_999))
    issue_date = fields.Date(required=True)
    currency = Currency(load_default="VND")
    exchange_rate = ExchangeRate()
    payment_method = Text(max_length=50)
    provider_tax_code = TaxCode()
    dossier_code = Text(max_length=20)
    lookup_code = Text(max_length=50)


class InvoiceDocument(_DocumentSchema):
    """An invoice: its seller, buyer, lines and, for a correction, the original it refers to."""

    seller = fields.Nested(IssuerSchema, required=True)
    buyer = fields.Nested(PartySchema, load_default=Buyer)
    lines = fields.List(fields.Nested(LineSchema), required=True, validate=validate.Length(min=1, max=MAX_LINES))
    related = fields.Nested(RelatedSchema)


class ReceiptDocument(_DocumentSchema):
    """A fee receipt: its collecting organisation, payer and fee lines."""

    collector = fields.Nested(IssuerSchema, required=True)
    payer = fields.Nested(PayerSchema, required=True)
    fees = fields.List(fields.Nested(FeeLineSchema), required=True, validate=validate.Length(min=1, max=MAX_LINES))
    cashier_name = Text(max_length=100)
    dossier_code = Text(max_length=50)  # MHSo of one-stop systems (our receipt XSD: 50)


def load_document(data: Mapping[str, Any]) -> Invoice | Receipt:
    """Load a JSON mapping (``kind`` = ``invoice`` or ``receipt``) into a document with computed figures."""
    try:
        kind = DocumentKind(str(data.get("kind")))
    except ValueError:
        kind = DocumentKind.INVOICE  # its schema reports the bad kind with every other problem
    schema_class, make = _KINDS[kind]
    try:
        loaded: dict[str, Any] = schema_class().load(data)
    except ValidationError as error:
        raise InvalidDocumentError(problems_of(error.messages)) from error
    loaded.pop("kind")
    return make(loaded)


def _options(loaded: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in loaded.items() if k not in ("lines", "fees") and v is not None}


def _receipt(loaded: dict[str, Any]) -> Receipt:
    fees = [make_fee(fee, loaded["currency"]) for fee in loaded["fees"]]
    problems = fee_problems([(f"fees[{i}]", fee) for i, fee in enumerate(fees)])
    if problems:
        raise InvalidDocumentError(problems)
    return make_receipt(fees=fees, **_options(loaded))


def _invoice(loaded: dict[str, Any]) -> Invoice:
    currency = loaded["currency"]
    lines = [make_line(line, currency) for line in loaded["lines"]]
    related = loaded.get("related")
    adjustment = related is not None and related.kind is CorrectionKind.ADJUSTMENT
    problems: list[Problem] = invoice_problems(
        lines, template=loaded["template"], currency=currency, adjustment=adjustment
    )
    if problems:
        raise InvalidDocumentError(problems)
    return make_invoice(lines=lines, **_options(loaded))


#: The JSON document of each kind (the interchange column of the table of kinds): its schema and its maker.
_KINDS: dict[DocumentKind, tuple[type[Schema], Callable[[dict[str, Any]], Invoice | Receipt]]] = {
    DocumentKind.INVOICE: (InvoiceDocument, _invoice),
    DocumentKind.RECEIPT: (ReceiptDocument, _receipt),
}
