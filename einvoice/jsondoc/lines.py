"""Lines as JSON: invoice lines of every nature, fee lines, catalogue fees, and the document a correction refers to.

:data:`NATURES` is the one table of invoice line natures: the JSON name of each, its nature in the domain, and the
fields a line of that nature must carry. ``discount`` is a deprecated alias of ``trade_discount`` that the API keeps
so that no client breaks (:data:`ALIASES`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from einvoice.domain.documents import CorrectionKind, FeeLine, InvoiceLine, LineNature, RelatedDocument
from einvoice.domain.totals import fee_line, line_of
from einvoice.jsondoc.fields import Amount, Percent, Quantity, Text, VatRateField
from einvoice.jsondoc.problems import LABELS, Message


@dataclass(frozen=True, slots=True)
class Nature:
    """One nature of invoice line: its JSON name, its domain value, the fields it requires, in both languages."""

    name: str
    nature: LineNature
    requires: tuple[str, ...]
    vi: str
    en: str


#: The line natures, by JSON name (tính chất, ``TChat``).
NATURES: dict[str, Nature] = {
    n.name: n
    for n in (
        Nature("goods", LineNature.GOODS, ("quantity", "unit_price"), "hàng hóa, dịch vụ", "goods or services"),
        Nature("promotion", LineNature.PROMOTION, ("quantity",), "khuyến mại", "promotion"),
        Nature("trade_discount", LineNature.TRADE_DISCOUNT, ("amount",), "chiết khấu thương mại", "trade discount"),
        Nature("note", LineNature.NOTE, (), "ghi chú, diễn giải", "note"),
    )
}
#: Deprecated JSON names still accepted, and the nature each stands for.
ALIASES = {"discount": "trade_discount"}


_NATURES_DOC = "; ".join(
    [f"{n.name}: requires {', '.join(n.requires) or 'only a name'}" for n in NATURES.values()]
    + [f"`{alias}`: deprecated alias of `{name}`" for alias, name in ALIASES.items()]
)


def nature_of(name: str) -> Nature:
    """Return the nature a JSON name (or a deprecated alias) stands for."""
    return NATURES[ALIASES.get(name, name)]


class LineSchema(Schema):
    """One invoice line: goods (the default), a promotion, a trade discount or a note.

    Loads as a mapping; :func:`make_line` makes the domain line, in the document's currency (for rounding).
    """

    nature = fields.String(
        load_default="goods",
        validate=validate.OneOf([*NATURES, *ALIASES]),
        metadata={"description": _NATURES_DOC},
    )
    name = Text(required=True, max_length=500)
    quantity = Quantity(signed=True, metadata={"description": "negative only on an adjustment document"})
    unit_price = Amount()
    amount = Amount()
    vat_rate = VatRateField(metadata={"maxLength": 11})
    unit = Text(max_length=50)
    item_code = Text(max_length=50)
    discount_rate = Percent()
    discount_amount = Amount()

    @validates_schema
    def _required_by_nature(self, data: dict[str, Any], **_: Any) -> None:
        nature = nature_of(data.get("nature", "goods"))
        missing = {
            name: [
                Message(
                    "MISSING_FIELD",
                    f"Dòng {nature.vi} phải có {LABELS[name][0]}",
                    f"a {nature.en} line needs its {LABELS[name][1]}",
                )
            ]
            for name in nature.requires
            if data.get(name) is None
        }
        if missing:
            raise ValidationError(missing)


def make_line(data: dict[str, Any], currency: str) -> InvoiceLine:
    """Make the domain line a loaded :class:`LineSchema` mapping describes, in ``currency``."""
    names = ("quantity", "unit_price", "amount", "vat_rate", "unit", "item_code", "discount_rate", "discount_amount")
    return line_of(nature_of(data["nature"]).nature, data["name"], currency=currency, **{k: data.get(k) for k in names})


class FeeLineSchema(Schema):
    """An explicit fee line of a receipt: what is collected, how much per unit, how many units."""

    name = Text(required=True, max_length=500)
    unit_price = Amount(required=True)
    quantity = Quantity(load_default=Decimal(1))
    unit = Text(max_length=50)
    legal_basis = Text(max_length=500)
    code = Text(max_length=50)


def make_fee(data: dict[str, Any], currency: str) -> FeeLine:
    """Make the domain fee line a loaded :class:`FeeLineSchema` mapping describes, in ``currency``."""
    return fee_line(
        data["name"],
        data["unit_price"],
        quantity=data["quantity"],
        currency=currency,
        code=data.get("code"),
        legal_basis=data.get("legal_basis"),
        unit=data.get("unit"),
    )


class CatalogueFeeSchema(Schema):
    """A fee of the catalogue, by its code, with how many units are paid."""

    code = Text(required=True, max_length=40)
    quantity = Quantity(load_default=Decimal(1))


class RelatedSchema(Schema):
    """The original document a replacement or an adjustment refers to."""

    kind = fields.String(required=True, validate=validate.OneOf(["replacement", "adjustment"]))
    template = Text(required=True, max_length=11)
    series = Text(required=True, max_length=8)
    number = Text(required=True, max_length=8)
    issue_date = fields.Date(required=True)
    original_type = fields.Integer(load_default=1, validate=validate.Range(1, 4))
    note = Text(max_length=255)

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> RelatedDocument:
        kind = CorrectionKind.REPLACEMENT if data.pop("kind") == "replacement" else CorrectionKind.ADJUSTMENT
        return RelatedDocument(kind=kind, **data)
