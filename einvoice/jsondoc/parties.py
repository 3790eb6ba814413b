"""Parties as JSON: the issuer (seller or collecting organisation) and the buyer or payer.

One schema per role of a party, with the XSD's limits; ``PayerSchema`` is the buyer's schema with the name required,
since a receipt must say who paid (``NNop/Ten``).
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, post_load

from einvoice.domain.parties import Buyer, Seller
from einvoice.domain.text import clean_optional
from einvoice.jsondoc.fields import BudgetUnitCode, CitizenId, Email, TaxCode, Text


def _cleaned(data: dict[str, Any]) -> dict[str, Any]:
    return {name: clean_optional(value) for name, value in data.items()}


class PartySchema(Schema):
    """A buyer (on invoices); every field optional. Loads as a :class:`Buyer` with NFC, trimmed text."""

    name = Text()
    tax_code = TaxCode()
    citizen_id = CitizenId()
    budget_unit_code = BudgetUnitCode()
    address = Text()
    customer_code = Text(max_length=50)
    phone = Text(max_length=20)
    email = Email()
    passport = Text(max_length=20)
    contact_name = Text(max_length=100)
    bank_account = Text(max_length=30)
    bank_name = Text()

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> Buyer:
        return Buyer(**_cleaned(data))


class PayerSchema(PartySchema):
    """The payer of a receipt (người nộp): the name is required."""

    name = Text(required=True)


class IssuerFieldsSchema(Schema):
    """The issuer's fields that a document names and the configuration stores (admin's issuer schema adds to them)."""

    name = Text(required=True)
    tax_code = TaxCode(required=True)
    address = Text(required=True)
    phone = Text(max_length=20)
    email = Email()
    bank_account = Text(max_length=30)
    bank_name = Text()
    budget_unit_code = BudgetUnitCode()


class IssuerSchema(IssuerFieldsSchema):
    """The issuer named on a document: seller of an invoice, collecting organisation (đơn vị thu) of a receipt."""

    fax = Text(max_length=20)
    website = Text(max_length=100)

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> Seller:
        return Seller(**_cleaned(data))
