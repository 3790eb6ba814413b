"""Corrections as printed: what a replacement or adjustment corrects and why, and by which document a replaced one
was replaced; a buyer who gives nothing prints as the decree says."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import builders
from render.pdftools import flat, pdf_text
from render.signed_docs import Sign

from einvoice.domain.documents import CorrectionKind, RelatedDocument
from einvoice.domain.parties import Buyer
from einvoice.render.cache import cache_key
from einvoice.render.pdf import TEMPLATE_VERSION, RenderSettings, render_document_html, render_document_pdf
from einvoice.xmldoc.build import build_invoice, build_receipt

DAY = date(2026, 9, 2)
ORIGINAL = RelatedDocument(CorrectionKind.REPLACEMENT, "EBL01", "26TAA", "7", date(2026, 9, 1), note="Sai số bản sao")


def test_replacement_receipt_prints_what_it_replaces_and_why(sign: Sign, tmp_path: Path) -> None:
    """The printed replacement says «Thay thế cho biên lai Mẫu số…, ký hiệu…, số…, ngày…» and the reason."""
    xml = sign(builders.receipt(series="26TAA", issue_date=DAY, number=8, related=ORIGINAL))
    pdf = render_document_pdf(xml, layout="a5", template_version=TEMPLATE_VERSION, settings=RenderSettings())
    text = flat(pdf_text(pdf, tmp_path))
    assert "Thay thế cho biên lai Mẫu số EBL01, ký hiệu 26TAA, số 7, ngày 01 tháng 09 năm 2026" in text
    assert "Lý do: Sai số bản sao" in text
    assert "đã bị thay thế" not in text


def test_replaced_receipt_reprint_names_its_replacement(sign: Sign, tmp_path: Path) -> None:
    """Reprinted after its replacement, a receipt says by which receipt it was replaced; the cache keeps both apart."""
    xml = sign(builders.receipt(series="26TAA", issue_date=date(2026, 9, 1), number=7))
    by = RelatedDocument(CorrectionKind.REPLACEMENT, "EBL01", "26TAA", "8", DAY)
    pdf = render_document_pdf(
        xml, layout="roll80", template_version=TEMPLATE_VERSION, settings=RenderSettings(), replaced_by=by
    )
    text = flat(pdf_text(pdf, tmp_path))
    assert (
        "Biên lai này đã bị thay thế bởi biên lai Mẫu số EBL01, ký hiệu 26TAA, số 8, ngày 02 tháng 09 năm 2026" in text
    )
    plain = cache_key(xml, layout="roll80", template_version="1", copy=False, converted=None)
    assert cache_key(xml, layout="roll80", template_version="1", copy=False, converted=None, replaced_by=by) != plain


def test_adjustment_invoice_prints_what_it_adjusts() -> None:
    """An adjustment prints «Điều chỉnh cho hóa đơn Mẫu số 1, ký hiệu…» with the reason."""
    related = RelatedDocument(CorrectionKind.ADJUSTMENT, "1", "K26TAA", "12", date(2026, 9, 1), note="Trả lại hàng")
    invoice = builders.invoice(series="K26TAA", issue_date=DAY, related=related)
    html = render_document_html(build_invoice(invoice), layout="a4")
    assert "Điều chỉnh cho hóa đơn Mẫu số 1, ký hiệu K26TAA, số 12, ngày 01 tháng 09 năm 2026" in html
    assert "Lý do: Trả lại hàng" in html


def test_a_buyer_who_gives_nothing_prints_as_the_decree_says() -> None:
    """No name, tax code, unit code or personal ID: «Người mua không cung cấp thông tin – Bán cho người tiêu dùng»."""
    nobody = render_document_html(build_invoice(builders.invoice(buyer=Buyer())), layout="a4")
    assert "Người mua không cung cấp thông tin – Bán cho người tiêu dùng" in nobody
    someone = render_document_html(build_invoice(builders.invoice(buyer=Buyer(citizen_id="001190000001"))), layout="a4")
    assert "Người mua không cung cấp thông tin" not in someone
    assert "Số định danh cá nhân: 001190000001" in someone


def test_a_budget_unit_buyer_prints_its_code() -> None:
    """A buyer identified by budget-unit code prints «Mã ĐVQHNS»."""
    buyer = Buyer(name="UBND XÃ AN KHÁNH", budget_unit_code="7654321")
    html = render_document_html(build_receipt(builders.receipt(payer=buyer)), layout="a5")
    assert "Mã ĐVQHNS: 7654321" in html
