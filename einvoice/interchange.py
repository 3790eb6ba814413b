"""Documents as JSON: marshmallow schemas that load a whole invoice or receipt into the domain.

Used by the command line (``einvoice build``) and by golden-file tests; amounts are read as ``Decimal`` (strings or
JSON numbers parsed as ``Decimal``, never floats). Field errors come back as problems whose path is the JSON path.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from einvoice.domain.documents import CorrectionKind, Invoice, InvoiceLine, LineNature, Receipt, RelatedDocument
from einvoice.domain.errors import InvalidDocumentError, Problem
from einvoice.domain.parties import Buyer, Seller
from einvoice.domain.rates import UnknownRateError, VatRate
from einvoice.domain.text import clean, clean_optional, xml_compatible
from einvoice.domain.totals import fee_line, line_of, make_invoice, make_receipt

_Money = fields.Decimal


class _Base(Schema):
    class Meta:
        # Unknown fields are an error, so a misspelt field is never silently dropped.
        unknown = "raise"

    @validates_schema
    def _xml_text(self, data: dict[str, Any], **_: Any) -> None:
        """Refuse text an XML document cannot carry (control characters), naming the field."""
        bad = {
            k: ["contains characters an XML document cannot hold"]
            for k, v in data.items()
            if isinstance(v, str) and not xml_compatible(v)
        }
        if bad:
            raise ValidationError(bad)


def _text(data: Mapping[str, Any], *names: str) -> dict[str, Any]:
    return {name: clean_optional(data.get(name)) for name in names}


class RateField(fields.Field[VatRate]):
    """A VAT rate written as in the national format (``10%``, ``KCT``, ``KHAC:5.26%``)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> VatRate:
        if not isinstance(value, str):
            raise ValidationError("a VAT rate is a string such as '10%' or 'KCT'")
        try:
            return VatRate.parse(value)
        except UnknownRateError as exc:
            raise ValidationError(str(exc)) from exc


class SellerSchema(_Base):
    name = fields.String(required=True)
    tax_code = fields.String(required=True)
    address = fields.String(required=True)
    phone = fields.String()
    email = fields.String()
    bank_account = fields.String()
    bank_name = fields.String()
    budget_unit_code = fields.String()
    fax = fields.String()
    website = fields.String()

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> Seller:
        return Seller(
            name=clean(data["name"]),
            tax_code=data["tax_code"].strip(),
            address=clean(data["address"]),
            **_text(data, "phone", "email", "bank_account", "bank_name", "budget_unit_code", "fax", "website"),
        )


class BuyerSchema(_Base):
    name = fields.String()
    tax_code = fields.String()
    budget_unit_code = fields.String()
    address = fields.String()
    customer_code = fields.String()
    phone = fields.String()
    citizen_id = fields.String()
    passport = fields.String()
    email = fields.String()
    contact_name = fields.String()
    bank_account = fields.String()
    bank_name = fields.String()

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> Buyer:
        return Buyer(**_text(data, *self.fields))


class LineSchema(_Base):
    nature = fields.String(
        load_default="goods", validate=validate.OneOf(["goods", "promotion", "trade_discount", "note"])
    )
    name = fields.String(required=True)
    quantity = _Money()
    unit_price = _Money()
    amount = _Money()
    vat_rate = RateField()
    unit = fields.String()
    item_code = fields.String()
    discount_rate = _Money()
    discount_amount = _Money()


class RelatedSchema(_Base):
    kind = fields.String(required=True, validate=validate.OneOf(["replacement", "adjustment"]))
    template = fields.String(required=True)
    series = fields.String(required=True)
    number = fields.String(required=True)
    issue_date = fields.Date(required=True)
    original_type = fields.Integer(load_default=1, validate=validate.Range(1, 4))
    note = fields.String()

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> RelatedDocument:
        kind = CorrectionKind.REPLACEMENT if data.pop("kind") == "replacement" else CorrectionKind.ADJUSTMENT
        return RelatedDocument(kind=kind, **data)


class _DocumentSchema(_Base):
    template = fields.String(required=True)
    series = fields.String(required=True)
    number = fields.Integer(allow_none=True)
    issue_date = fields.Date(required=True)
    currency = fields.String(load_default="VND", validate=validate.Length(equal=3))
    exchange_rate = _Money()
    payment_method = fields.String()
    provider_tax_code = fields.String()
    dossier_code = fields.String()
    lookup_code = fields.String()


class InvoiceSchema(_DocumentSchema):
    kind = fields.Constant("invoice")
    seller = fields.Nested(SellerSchema, required=True)
    buyer = fields.Nested(BuyerSchema, load_default=dict)
    lines = fields.List(fields.Nested(LineSchema), required=True, validate=validate.Length(min=1))
    related = fields.Nested(RelatedSchema)


class FeeSchema(_Base):
    name = fields.String(required=True)
    unit_price = _Money(required=True)
    quantity = _Money(load_default=None)
    code = fields.String()
    legal_basis = fields.String()
    unit = fields.String()


class ReceiptSchema(_DocumentSchema):
    kind = fields.Constant("receipt")
    collector = fields.Nested(SellerSchema, required=True)
    payer = fields.Nested(BuyerSchema, required=True)
    fees = fields.List(fields.Nested(FeeSchema), required=True, validate=validate.Length(min=1))
    cashier_name = fields.String()


def _problems(messages: Any, path: str = "$") -> list[Problem]:
    if isinstance(messages, dict):
        return [p for key, sub in messages.items() for p in _problems(sub, f"{path}.{key}")]
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [Problem("JSON_FIELD", path, f"Trường không hợp lệ: {'; '.join(messages)}", "; ".join(messages))]
    return [p for index, sub in enumerate(messages) for p in _problems(sub, f"{path}[{index}]")]


_NATURES = {
    "goods": LineNature.GOODS,
    "promotion": LineNature.PROMOTION,
    "trade_discount": LineNature.TRADE_DISCOUNT,
    "note": LineNature.NOTE,
}


def _line(data: dict[str, Any], currency: str) -> InvoiceLine:
    fields_ = {k: data.get(k) for k in ("quantity", "unit_price", "amount", "vat_rate", "unit", "item_code")}
    discounts = {k: data.get(k) for k in ("discount_rate", "discount_amount")}
    return line_of(_NATURES[data["nature"]], data["name"], currency=currency, **fields_, **discounts)


def _line_problems(lines: list[dict[str, Any]]) -> list[Problem]:
    problems = []
    for index, line in enumerate(lines):
        needed = {"goods": ("quantity", "unit_price"), "trade_discount": ("amount",)}.get(line["nature"], ())
        problems += [
            Problem("JSON_FIELD", f"$.lines[{index}].{name}", "Thiếu trường bắt buộc.", "missing required field")
            for name in needed
            if line.get(name) is None
        ]
    return problems


def load_document(data: Mapping[str, Any]) -> Invoice | Receipt:
    """Load a JSON mapping (``kind`` = ``invoice`` or ``receipt``) into a document with computed figures."""
    kind = data.get("kind")
    schema: Schema = ReceiptSchema() if kind == "receipt" else InvoiceSchema()
    if kind not in ("invoice", "receipt"):
        raise InvalidDocumentError(
            [
                Problem(
                    "JSON_FIELD",
                    "$.kind",
                    "Loại chứng từ phải là invoice hoặc receipt.",
                    "kind must be 'invoice' or 'receipt'",
                )
            ]
        )
    try:
        loaded: dict[str, Any] = schema.load(data)
    except ValidationError as exc:
        raise InvalidDocumentError(_problems(exc.messages)) from exc
    loaded.pop("kind")
    options = {k: v for k, v in loaded.items() if k not in ("lines", "fees") and v is not None}
    currency = loaded["currency"]
    try:
        if kind == "receipt":
            fees = [
                fee_line(
                    f["name"],
                    f["unit_price"],
                    quantity=f["quantity"] or Decimal(1),
                    currency=currency,
                    code=f.get("code"),
                    legal_basis=f.get("legal_basis"),
                    unit=f.get("unit"),
                )
                for f in loaded["fees"]
            ]
            return make_receipt(fees=fees, **options)
        problems = _line_problems(loaded["lines"])
        if problems:
            raise InvalidDocumentError(problems)
        return make_invoice(lines=[_line(line, currency) for line in loaded["lines"]], **options)
    except ValueError as exc:  # e.g. a currency the amount-in-words table does not know
        raise InvalidDocumentError([Problem("JSON_FIELD", "$.currency", f"Không xử lý được: {exc}", str(exc))]) from exc
