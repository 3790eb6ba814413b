"""Schemas of the finance API: filters (an unknown one is refused by name) and figures with amounts as JSON numbers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import EXCLUDE, Schema, fields, validate

from einvoice.domain.kinds import DocumentKind
from einvoice.finance.rules import NOT_COUNTED


def _id() -> fields.Integer:
    return fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))


class Money(fields.Field):  # type: ignore[type-arg]
    """An exact decimal written as a JSON number (an integer when it has no fraction).

    JSON has no decimal type: a fractional amount (two places at most) is written through ``float``, whose shortest
    representation prints the same digits back, so the text in the answer is the exact decimal. No arithmetic uses it.
    """

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> int | float | None:
        if value is None:
            return None
        amount = Decimal(value)
        return int(amount) if amount == amount.to_integral_value() else float(amount)

    def _jsonschema_type_mapping(self) -> dict[str, str]:
        return {"type": "number"}


class _Strict(Schema):
    class Meta:
        unknown = EXCLUDE  # unknown names are refused with 400 before parsing (web.api.finance.known_filters)


class PeriodQuery(_Strict):
    """A period and what narrows it."""

    date_from = fields.Date(required=True, metadata={"description": "first day (ISO 8601), Vietnam date"})
    date_to = fields.Date(metadata={"description": "last day, included; the first day when absent"})
    counter_id = _id()
    cashier_id = _id()
    series_id = _id()
    kind = fields.String(validate=validate.OneOf([kind.value for kind in DocumentKind]))


class ListQuery(_Strict):
    """Filters of the finance list: the names a summary figure's ``filters`` use, and paging."""

    date_from = fields.Date()
    date_to = fields.Date()
    kind = fields.String(validate=validate.OneOf([kind.value for kind in DocumentKind]))
    series_id = _id()
    counter_id = _id()
    cashier_id = _id()
    state = fields.String(validate=validate.Length(max=20))
    payment_method = fields.String(validate=validate.Length(max=20))
    fee = fields.String(validate=validate.Length(max=500), metadata={"description": "fee code, or name without one"})
    counted = fields.Boolean(metadata={"description": f"true: counted in totals; false: states {NOT_COUNTED}"})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class ExportQuery(ListQuery):
    """The list's filters and the file format."""

    format = fields.String(load_default="csv", validate=validate.OneOf(["csv", "xlsx"]))


class PeriodExportQuery(PeriodQuery):
    """A period and the file format."""

    format = fields.String(load_default="csv", validate=validate.OneOf(["csv", "xlsx"]))


class FigureOut(Schema):
    """One figure: label, count, amount, and the list filters that show its documents."""

    label = fields.String()
    detail = fields.String(allow_none=True)
    count = fields.Integer()
    amount = Money()
    counted = fields.Boolean()
    filters = fields.Dict(keys=fields.String())
    documents_url = fields.String()


class SummaryOut(Schema):
    """The reconciliation of a period."""

    date_from = fields.Date()
    date_to = fields.Date()
    count = fields.Integer()
    amount = Money()
    rule = fields.String(metadata={"description": "how corrected documents are counted (Vietnamese)"})
    tables = fields.Dict(keys=fields.String(), values=fields.List(fields.Nested(FigureOut)))


class LineOut(Schema):
    """A fee or goods line."""

    line_no = fields.Integer()
    code = fields.String(allow_none=True)
    name = fields.String()
    legal_basis = fields.String(allow_none=True)
    quantity = Money()
    amount = Money()


class FinanceDocumentOut(Schema):
    """A document as finance reads it."""

    id = fields.Integer()
    kind = fields.String()
    template = fields.String()
    series = fields.String()
    template_series = fields.String()
    number = fields.Integer()
    issue_date = fields.Date()
    created_at = fields.DateTime(format="iso")
    currency = fields.String()
    total = Money()
    state = fields.String()
    lookup_code = fields.String()
    party_name = fields.String(allow_none=True)
    party_tax_code = fields.String(allow_none=True)
    series_id = fields.Integer()
    counter_id = fields.Integer(allow_none=True)
    counter_name = fields.String(allow_none=True)
    cashier_id = fields.Integer(attribute="issued_by", allow_none=True)
    cashier_name = fields.String(allow_none=True)
    payment_method = fields.String()
    lines_summary = fields.String()
    lines = fields.List(fields.Nested(LineOut))


class FinancePage(Schema):
    """One page of the finance list."""

    items = fields.List(fields.Nested(FinanceDocumentOut))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class UsageQuery(_Strict):
    """A period."""

    date_from = fields.Date(required=True)
    date_to = fields.Date()


class UsageOut(Schema):
    """One series' usage in the period (BC26 columns)."""

    series_id = fields.Integer()
    template = fields.String()
    symbol = fields.String()
    kind = fields.String()
    first_number = fields.Integer(allow_none=True)
    last_number = fields.Integer(allow_none=True)
    used = fields.Integer()
    replaced = fields.Integer()
    cancelled = fields.Integer()
    amount = Money()
    remaining = fields.Integer()


class DailyOut(Schema):
    """One day's counted collections per payment method."""

    date = fields.Date()
    amounts = fields.Dict(keys=fields.String(), values=Money())
