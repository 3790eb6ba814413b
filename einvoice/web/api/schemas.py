"""The API's schemas: issue requests from :mod:`einvoice.jsondoc`, turned into the use cases' requests; the outputs."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from einvoice.domain.kinds import DocumentKind
from einvoice.domain.money import VND
from einvoice.jsondoc.fields import Amount, Id, Text
from einvoice.jsondoc.lines import make_fee, make_line
from einvoice.jsondoc.requests import InvoiceIn, ReceiptIn
from einvoice.services.issuing import CatalogueFee, InvoiceRequest, ReceiptRequest

__all__ = ["DocumentOut", "DocumentPage", "DocumentQuery", "InvoiceIn", "ProblemOut", "ReceiptIn"]


def receipt_request(data: dict[str, Any]) -> ReceiptRequest:
    """Translate a loaded :class:`ReceiptIn` into the issuing request."""
    return ReceiptRequest(
        series_id=data["series_id"],
        payer=data["payer"],
        fees=tuple(CatalogueFee(fee["code"], fee["quantity"]) for fee in data["fees"]),
        lines=tuple(make_fee(line, VND) for line in data["lines"]),
        payment_method=data["payment_method"],
        dossier_code=data.get("dossier_code"),
    )


def invoice_request(data: dict[str, Any]) -> InvoiceRequest:
    """Translate a loaded :class:`InvoiceIn` into the issuing request."""
    currency = data["currency"]
    return InvoiceRequest(
        series_id=data["series_id"],
        buyer=data["buyer"],
        lines=tuple(make_line(line, currency) for line in data["lines"]),
        currency=currency,
        exchange_rate=data.get("exchange_rate"),
        payment_method=data["payment_method"],
    )


class DocumentOut(Schema):
    """A document's metadata."""

    id = fields.Integer()
    kind = fields.String()
    template = fields.String()
    series = fields.String()
    number = fields.Integer()
    issue_date = fields.Date()
    currency = fields.String()
    total = fields.Decimal(as_string=True)
    state = fields.String()  # standing: issued | explained | adjusted | replaced | cancelled
    transmission = fields.String()  # pending | sent | accepted | rejected
    corrects_id = fields.Integer(allow_none=True)
    correction = fields.String(allow_none=True)  # replacement | adjustment
    lookup_code = fields.String()
    party_name = fields.String(allow_none=True)
    party_tax_code = fields.String(allow_none=True)
    issuer_id = fields.Integer()
    series_id = fields.Integer()
    issued_by = fields.Integer(allow_none=True)
    counter_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    sha256 = fields.String()
    xml_url = fields.Function(lambda row: f"/api/v1/documents/{row['id']}/xml")
    pdf_url = fields.Function(lambda row: f"/api/v1/documents/{row['id']}/pdf")


class DocumentPage(Schema):
    """One page of search results."""

    items = fields.List(fields.Nested(DocumentOut))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class DocumentQuery(Schema):
    """Search filters and paging; each filter is named as the field of :class:`DocumentOut` it filters."""

    date_from = fields.Date()
    date_to = fields.Date()
    kind = fields.String(validate=validate.OneOf([kind.value for kind in DocumentKind]))
    series_id = Id(strict=False)
    counter_id = Id(strict=False)
    state = Text(max_length=20)
    party_name = Text(max_length=200, metadata={"description": "buyer or payer name; accents and case do not matter"})
    payer_name = Text(max_length=200, metadata={"description": "deprecated: use party_name", "deprecated": True})
    party_tax_code = Text(max_length=14)
    tax_code = Text(max_length=14, metadata={"description": "deprecated: use party_tax_code", "deprecated": True})
    amount_min = Amount()
    amount_max = Amount()
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class ProblemOut(Schema):
    """One problem, in both languages."""

    code = fields.String()
    path = fields.String()
    message_vi = fields.String()
    message_en = fields.String()
