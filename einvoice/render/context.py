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
from typing import Any, Literal

from einvoice.domain import payments
from einvoice.domain.documents import Invoice, Receipt
from einvoice.domain.lookup import format_lookup_code
from einvoice.render.qr import DEFAULT_PUBLIC_BASE_URL, lookup_page_url, lookup_url, qr_data_uri
from einvoice.render.signature import SignatureFacts, issuer_signature

Layout = Literal["a4", "a5", "roll80"]
LAYOUTS: tuple[Layout, ...] = ("a4", "a5", "roll80")
#: Which layouts print which kind of document: the template of each; its stylesheet has the same name in ``.css``.
TEMPLATES: dict[tuple[str, Layout], str] = {
    ("invoice", "a4"): "print/invoice_a4.html",
    ("receipt", "a5"): "print/receipt_a5.html",
    ("receipt", "roll80"): "print/receipt_roll80.html",
}
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


def format_date(value: date | None) -> str:
    """Write a date as ``dd/mm/yyyy``."""
    return "" if value is None else value.strftime("%d/%m/%Y")


def format_datetime(value: datetime | None) -> str:
    """Write a date and time as ``dd/mm/yyyy hh:mm:ss``."""
    return "" if value is None else value.strftime("%d/%m/%Y %H:%M:%S")


def date_in_words(value: date) -> str:
    """Write the issue date as printed under the title: ``Ngày 20 tháng 11 năm 2025``."""
    return f"Ngày {value.day:02d} tháng {value.month:02d} năm {value.year}"


def kind_of(document: Invoice | Receipt) -> str:
    """Return ``invoice`` or ``receipt``."""
    return "invoice" if isinstance(document, Invoice) else "receipt"


def template_name(document: Invoice | Receipt, layout: Layout) -> str | None:
    """Return the template that prints ``document`` in ``layout``, or ``None`` if that layout does not fit it."""
    return TEMPLATES.get((kind_of(document), layout))


def stylesheet_names(template: str) -> tuple[str, str]:
    """Return the stylesheets of ``template``, in cascade order: the shared one, then the layout's own."""
    return BASE_STYLESHEET, template.removesuffix(".html") + ".css"


def print_context(
    document: Invoice | Receipt,
    *,
    signatures: tuple[SignatureFacts, ...] = (),
    authority_code: str | None = None,
    public_base_url: str = DEFAULT_PUBLIC_BASE_URL,
    copy: bool = False,
    converted: Conversion | None = None,
) -> dict[str, Any]:
    """Return the variables a print template receives for ``document``."""
    code = document.lookup_code
    return {
        "doc": document,
        "kind": kind_of(document),
        "issuer": document.seller if isinstance(document, Invoice) else document.collector,
        "party": document.buyer if isinstance(document, Invoice) else document.payer,
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
    "date": format_date,
    "datetime": format_datetime,
    "date_in_words": date_in_words,
}
