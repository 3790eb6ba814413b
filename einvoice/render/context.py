"""What the print templates receive, and how numbers and dates are written on paper.

Numbers are written the Vietnamese way: ``.`` groups thousands, ``,`` marks decimals (``11.685.000``,
``2,25``). The mapping :func:`print_context` returns is the contract with agencies that override the templates;
``templates/README.md`` lists its keys.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from einvoice.domain import payments
from einvoice.domain.documents import CorrectionKind, Document, InvoiceLine, LineNature, RelatedDocument
from einvoice.domain.kinds import NAMES
from einvoice.domain.lookup import format_lookup_code
from einvoice.kinds import LAYOUTS as LAYOUTS
from einvoice.kinds import Layout as Layout
from einvoice.kinds import row_of_document
from einvoice.render.qr import DEFAULT_PUBLIC_BASE_URL, lookup_page_url, lookup_url, qr_data_uri
from einvoice.render.signature import SignatureFacts, issuer_signature

#: The stylesheet every layout's own stylesheet builds on.
BASE_STYLESHEET = "print/_base.css"


@dataclass(frozen=True, slots=True)
class Conversion:
    """A converted copy for paper archives (bản chuyển đổi): who converted it and when."""

    converted_by: str
    converted_at: datetime


def format_number(value: Decimal | None) -> str:
    """Write ``value`` Vietnamese style, every decimal it has kept: ``1234567.5`` → ``1.234.567,5``."""
    if value is None:
        return ""
    text = format(value, ",f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def line_amount(line: InvoiceLine) -> str:
    """Write an invoice line's amount; a trade discount, which the totals subtract, with its minus sign."""
    text = format_number(line.amount)
    return f"-{text}" if line.nature is LineNature.TRADE_DISCOUNT and line.amount else text


def format_date(value: date | None) -> str:
    """Write a date as ``dd/mm/yyyy``."""
    return "" if value is None else value.strftime("%d/%m/%Y")


def format_datetime(value: datetime | None) -> str:
    """Write a date and time as ``dd/mm/yyyy hh:mm:ss``."""
    return "" if value is None else value.strftime("%d/%m/%Y %H:%M:%S")


def date_in_words(value: date) -> str:
    """Write the issue date as printed under the title: ``Ngày 20 tháng 11 năm 2025``."""
    return f"Ngày {value.day:02d} tháng {value.month:02d} năm {value.year}"


def template_name(document: Document, layout: Layout) -> str | None:
    """Return the template that prints ``document`` in ``layout``, or ``None`` if that layout does not fit it.

    The templates of each kind are a column of the table of kinds; a template's stylesheet has its name in ``.css``.
    """
    return row_of_document(document).print_templates.get(layout)


def _document_words(related: RelatedDocument, kind_name: str) -> str:
    day = related.issue_date
    return (
        f"{kind_name} Mẫu số {related.template}, ký hiệu {related.series}, số {related.number}, "
        f"ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"
    )


def related_words(related: RelatedDocument, kind_name: str) -> str:
    """Write what a correcting document corrects (TT 91 Art 10.1.b): «Thay thế cho / Điều chỉnh cho hóa đơn Mẫu số…»."""
    how = "Điều chỉnh cho" if related.kind is CorrectionKind.ADJUSTMENT else "Thay thế cho"
    return f"{how} {_document_words(related, kind_name)}"


def replaced_by_words(replacement: RelatedDocument, kind_name: str) -> str:
    """Write, on a reprint of a replaced document, which document replaced it."""
    return f"{kind_name.capitalize()} này đã bị thay thế bởi {_document_words(replacement, kind_name)}"


#: Printed for a buyer who gives no identity (NĐ 254 Art 10.1.d; vn-einvoice-2026.md Summary row 10).
CONSUMER_WORDS = "Người mua không cung cấp thông tin – Bán cho người tiêu dùng"


def _identified(document: Document) -> bool:
    party = document.party  # a receipt's payer always has a name
    return any((party.name, party.tax_code, party.budget_unit_code, party.citizen_id, party.passport))


def stylesheet_names(template: str) -> tuple[str, str]:
    """Return the stylesheets of ``template``, in cascade order: the shared one, then the layout's own."""
    return BASE_STYLESHEET, template.removesuffix(".html") + ".css"


def print_context(
    document: Document,
    *,
    signatures: tuple[SignatureFacts, ...] = (),
    authority_code: str | None = None,
    public_base_url: str = DEFAULT_PUBLIC_BASE_URL,
    copy: bool = False,
    converted: Conversion | None = None,
    replaced_by: RelatedDocument | None = None,
) -> dict[str, Any]:
    """Return the variables a print template receives for ``document``."""
    code = document.lookup_code
    kind_name = NAMES[document.kind].noun_vi
    return {
        "related_words": related_words(document.related, kind_name) if document.related else None,
        "related_reason": document.related.note if document.related else None,
        "replaced_by_words": replaced_by_words(replaced_by, kind_name) if replaced_by else None,
        "consumer_words": None if _identified(document) else CONSUMER_WORDS,
        "doc": document,
        "kind": document.kind.value,
        "issuer": document.issuer,
        "party": document.party,
        "payment_method": payments.words(document.payment_method),
        "signature": issuer_signature(signatures),
        "signatures": signatures,
        "authority_code": authority_code,
        "lookup_code": format_lookup_code(code) if code else None,
        "lookup_page": lookup_page_url(public_base_url),
        "lookup_url": lookup_url(public_base_url, code) if code else None,
        "qr": qr_data_uri(lookup_url(public_base_url, code)) if code else None,
        "copy": copy,
        "converted": converted,
    }


_PLACE = re.compile(r"\b((?:XÃ|PHƯỜNG|THỊ TRẤN|ĐẶC KHU|Xã|Phường|Thị trấn|Đặc khu) \S+(?: \S+){0,2})$")


def keep_place(name: str) -> str:
    """Return ``name`` with its trailing place name unbreakable ("… XÃ AN KHÁNH" never wraps as "XÃ AN / KHÁNH")."""
    return _PLACE.sub(lambda found: found.group(1).replace(" ", "\u00a0"), name)


FILTERS = {
    "keep_place": keep_place,
    "number": format_number,
    "line_amount": line_amount,
    "date": format_date,
    "datetime": format_datetime,
    "date_in_words": date_in_words,
}
