"""The API's issue requests: a series by id, the payer or buyer, and the lines; the issuer and date come from storage.

These schemas load parties as domain parties and lines as loaded mappings; ``einvoice.web.api.schemas`` turns them
into the issuing service's requests.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from einvoice.domain import payments
from einvoice.domain.money import VND
from einvoice.jsondoc.fields import MAX_LINES, Currency, ExchangeRate, Id, Text
from einvoice.jsondoc.lines import CatalogueFeeSchema, FeeLineSchema, LineSchema
from einvoice.jsondoc.parties import PartySchema, PayerSchema
from einvoice.jsondoc.problems import Message


def _payment(default: str) -> Any:
    """A payment method from the fixed list (choice 18): free text is refused."""
    return fields.String(
        load_default=default,
        validate=validate.OneOf(payments.CODES),
        metadata={"description": "; ".join(f"{code}: {words}" for code, words in payments.METHODS.items())},
    )


class ReceiptIn(Schema):
    """Issue a receipt: fees from the catalogue and/or explicit lines, with the payer."""

    series_id = Id(required=True)
    payer = fields.Nested(PayerSchema, required=True)
    fees = fields.List(fields.Nested(CatalogueFeeSchema), load_default=list, validate=validate.Length(max=MAX_LINES))
    lines = fields.List(fields.Nested(FeeLineSchema), load_default=list, validate=validate.Length(max=MAX_LINES))
    payment_method = _payment("TM")
    dossier_code = Text(max_length=50)  # MHSo of one-stop systems: e.g. 000.00.21.H26-261202-0001 (25)

    @validates_schema
    def _something_to_pay(self, data: dict[str, Any], **_: Any) -> None:
        if not data.get("fees") and not data.get("lines"):
            message = Message(
                "NOTHING_TO_PAY", "Cần ít nhất một mã phí hoặc một dòng thu", "give at least one fee code or one line"
            )
            raise ValidationError(message, "fees")
        if len(data.get("fees", ())) + len(data.get("lines", ())) > MAX_LINES:
            message = Message("TOO_MANY_LINES", f"Tối đa {MAX_LINES} khoản thu", f"at most {MAX_LINES} fees in all")
            raise ValidationError(message, "lines")


class InvoiceIn(Schema):
    """Issue an invoice."""

    series_id = Id(required=True)
    buyer = fields.Nested(PartySchema, required=True)
    lines = fields.List(fields.Nested(LineSchema), required=True, validate=validate.Length(min=1, max=MAX_LINES))
    currency = Currency(load_default=VND)
    exchange_rate = ExchangeRate()
    payment_method = _payment("TM/CK")

    @validates_schema
    def _rate_for_foreign_currency(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("currency", VND) != VND and data.get("exchange_rate") is None:
            message = Message(
                "MISSING_FIELD", "Hóa đơn bằng ngoại tệ phải ghi tỷ giá", "a foreign currency needs an exchange rate"
            )
            raise ValidationError(message, "exchange_rate")
