"""Request and response schemas of the API, and their translation into the use cases' requests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from einvoice.domain.documents import InvoiceLine, LineNature
from einvoice.domain.parties import Buyer, is_budget_unit_code, is_citizen_id, is_tax_code
from einvoice.domain.rates import UnknownRateError, VatRate
from einvoice.domain.text import xml_compatible
from einvoice.domain.totals import fee_line, line_of
from einvoice.services.issuing import CatalogueFee, InvoiceRequest, ReceiptRequest

MAX_LINES = 500
#: Bounds are ints, not Decimals: the OpenAPI document must state them as JSON numbers.
MAX_AMOUNT = 10**15
MAX_QUANTITY = 10**9


def _xml_safe(value: str) -> None:
    if not xml_compatible(value):
        raise ValidationError("Contains characters an XML document cannot hold.")


def _rule(check: Any, message: str) -> Any:
    def run(value: str) -> None:
        if not check(value):
            raise ValidationError(message)

    return run


def Text(*, required: bool = False, max_length: int = 400, **kwargs: Any) -> fields.String:
    """A string field that XML can carry, at most ``max_length`` characters."""
    validators = [validate.Length(max=max_length), _xml_safe, *kwargs.pop("validators", [])]
    return fields.String(required=required, validate=validators, **kwargs)


def Amount(*, required: bool = False, minimum: int = 0, positive: bool = False, **kwargs: Any) -> fields.Decimal:
    """An exact, finite decimal amount from ``minimum`` (excluded if ``positive``) to 10¹⁵, at most 6 decimals."""
    return fields.Decimal(
        required=required,
        allow_nan=False,
        validate=[_between(minimum, MAX_AMOUNT, low_included=not positive), _at_most_6_decimals],
        **kwargs,
    )


def _between(low: int, high: int, *, low_included: bool = True) -> Any:
    """A range check for Decimal fields (marshmallow's Range would put its bounds in OpenAPI as strings)."""

    def check(value: Decimal) -> None:
        if value > high or value < low or (value == low and not low_included):
            raise ValidationError(f"Must be {'≥' if low_included else '>'} {low} and ≤ {high}.")

    return check


def _at_most_6_decimals(value: Decimal) -> None:
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -6:
        raise ValidationError("At most 6 decimals.")


def Quantity(**kwargs: Any) -> fields.Decimal:
    """A positive quantity, at most 10⁹ with 6 decimals."""
    return fields.Decimal(
        allow_nan=False,
        validate=[_between(0, MAX_QUANTITY, low_included=False), _at_most_6_decimals],
        **kwargs,
    )


class PartySchema(Schema):
    """A buyer or payer; every field optional."""

    name = Text()
    tax_code = Text(max_length=14, validators=[_rule(is_tax_code, "Not a valid tax code.")])
    citizen_id = Text(max_length=12, validators=[_rule(is_citizen_id, "Not a 12-digit citizen ID.")])
    budget_unit_code = Text(max_length=7, validators=[_rule(is_budget_unit_code, "Not a 7-digit unit code.")])
    address = Text()
    customer_code = Text(max_length=50)
    phone = Text(max_length=20)
    email = fields.Email(validate=[validate.Length(max=50), _xml_safe])
    passport = Text(max_length=20)
    contact_name = Text(max_length=100)
    bank_account = Text(max_length=30)
    bank_name = Text()


class CatalogueFeeSchema(Schema):
    """A fee of the catalogue, by code."""

    code = Text(required=True, max_length=40)
    quantity = Quantity(load_default=Decimal(1))


class FeeLineSchema(Schema):
    """An explicit fee line."""

    name = Text(required=True)
    unit_price = Amount(required=True)
    quantity = Quantity(load_default=Decimal(1))
    unit = Text(max_length=40)
    legal_basis = Text()
    code = Text(max_length=40)


def _payment(default: str) -> fields.String:
    return Text(max_length=50, load_default=default, validators=[validate.Length(min=1)])


class ReceiptIn(Schema):
    """Issue a receipt: fees from the catalogue and/or explicit lines, with the payer."""

    series_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**31 - 1))
    payer = fields.Nested(PartySchema, required=True)
    fees = fields.List(fields.Nested(CatalogueFeeSchema), load_default=list, validate=validate.Length(max=MAX_LINES))
    lines = fields.List(fields.Nested(FeeLineSchema), load_default=list, validate=validate.Length(max=MAX_LINES))
    payment_method = _payment("TM")
    dossier_code = Text(max_length=50)

    @validates_schema
    def _something_to_pay(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data.get("fees") and not data.get("lines"):
            raise ValidationError("Give at least one fee code or one line.", "fees")


class InvoiceLineSchema(Schema):
    """One invoice line: goods (default), a trade discount, a promotion or a note."""

    nature = fields.String(load_default="goods", validate=validate.OneOf(["goods", "discount", "promotion", "note"]))
    name = Text(required=True, max_length=500)
    quantity = Quantity()
    unit_price = Amount()
    amount = Amount()
    vat_rate = Text(max_length=20)
    unit = Text(max_length=50)
    item_code = Text(max_length=50)
    discount_rate = fields.Decimal(allow_nan=False, validate=[_between(0, 100), _at_most_6_decimals])
    discount_amount = Amount()

    @validates_schema
    def _consistent(self, data: dict[str, Any], **kwargs: Any) -> None:
        rate = data.get("vat_rate")
        if rate is not None:
            try:
                VatRate.parse(rate)
            except UnknownRateError as error:
                raise ValidationError(str(error), "vat_rate") from error
        nature = data.get("nature", "goods")
        if nature == "goods":
            for name in ("quantity", "unit_price"):
                if data.get(name) is None:
                    raise ValidationError("Required for goods lines.", name)
        if nature == "discount" and data.get("amount") is None:
            raise ValidationError("Required for discount lines.", "amount")
        if nature == "promotion" and data.get("quantity") is None:
            raise ValidationError("Required for promotion lines.", "quantity")


class InvoiceIn(Schema):
    """Issue an invoice."""

    series_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**31 - 1))
    buyer = fields.Nested(PartySchema, required=True)
    lines = fields.List(fields.Nested(InvoiceLineSchema), required=True, validate=validate.Length(min=1, max=MAX_LINES))
    currency = fields.String(load_default="VND", validate=validate.Regexp(r"^[A-Z]{3}$"))
    exchange_rate = Amount(positive=True)
    payment_method = _payment("TM/CK")


def _buyer(data: dict[str, Any]) -> Buyer:
    return Buyer(**data)


def receipt_request(data: dict[str, Any]) -> ReceiptRequest:
    """Translate a loaded :class:`ReceiptIn` into the issuing request."""
    lines = tuple(
        fee_line(
            line["name"],
            line["unit_price"],
            quantity=line["quantity"],
            unit=line.get("unit"),
            legal_basis=line.get("legal_basis"),
            code=line.get("code"),
        )
        for line in data["lines"]
    )
    return ReceiptRequest(
        series_id=data["series_id"],
        payer=_buyer(data["payer"]),
        fees=tuple(CatalogueFee(fee["code"], fee["quantity"]) for fee in data["fees"]),
        lines=lines,
        payment_method=data["payment_method"],
        dossier_code=data.get("dossier_code"),
    )


_NATURES = {
    "goods": LineNature.GOODS,
    "promotion": LineNature.PROMOTION,
    "discount": LineNature.TRADE_DISCOUNT,
    "note": LineNature.NOTE,
}


def _invoice_line(line: dict[str, Any], currency: str) -> InvoiceLine:
    rate = VatRate.parse(line["vat_rate"]) if line.get("vat_rate") else None
    names = ("quantity", "unit_price", "amount", "unit", "item_code", "discount_rate", "discount_amount")
    return line_of(
        _NATURES[line["nature"]], line["name"], currency=currency, vat_rate=rate, **{k: line.get(k) for k in names}
    )


def invoice_request(data: dict[str, Any]) -> InvoiceRequest:
    """Translate a loaded :class:`InvoiceIn` into the issuing request."""
    currency = data["currency"]
    return InvoiceRequest(
        series_id=data["series_id"],
        buyer=_buyer(data["buyer"]),
        lines=tuple(_invoice_line(line, currency) for line in data["lines"]),
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


class DocumentPage(Schema):
    """One page of search results."""

    items = fields.List(fields.Nested(DocumentOut))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class DocumentQuery(Schema):
    """Search filters and paging."""

    date_from = fields.Date()
    date_to = fields.Date()
    kind = fields.String(validate=validate.OneOf(["invoice", "receipt"]))
    series_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))
    counter_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))
    state = Text(max_length=20)
    payer_name = Text(max_length=200)
    tax_code = Text(max_length=14)
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
