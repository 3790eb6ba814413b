"""The A4 invoice as printed: its text read back with pdftotext, its QR read back with zbarimg, its pages."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import builders
import pytest
from render.pdftools import flat, pdf_fonts, pdf_pages, pdf_qr, pdf_text, words_outside_page
from render.signed_docs import AUTHORITY_CODE, Sign

from einvoice.domain.documents import Invoice
from einvoice.domain.rates import VatRate
from einvoice.domain.totals import goods_line, make_invoice, trade_discount_line
from einvoice.render.context import format_number
from einvoice.render.pdf import TEMPLATE_VERSION, RenderSettings, render_document_pdf

HEADER = "Tên hàng hóa, dịch vụ"


def spec_invoice(**overrides: object) -> Invoice:
    """Return the invoice of the format sample §10.1: 2 × 4 500 000 at 10 %, 20 × 85 000 at 5 %."""
    fields: dict[str, object] = {
        "template": "1",
        "series": "C25TAA",
        "issue_date": builders.ISSUE_DATE,
        "seller": builders.seller(),
        "buyer": builders.buyer(),
        "lines": [
            goods_line("Máy in laser đen trắng", Decimal(2), Decimal(4_500_000), VatRate.parse("10%"), unit="Chiếc"),
            goods_line("Giấy in A4 Double A", Decimal(20), Decimal(85_000), VatRate.parse("5%"), unit="Ram"),
        ],
        "provider_tax_code": builders.PROVIDER_TAX_CODE,
        "number": 123,
        "lookup_code": "7K2P9QAXM4TD",
    }
    fields.update(overrides)
    return make_invoice(**fields)  # type: ignore[arg-type]


def render(xml: bytes, settings: RenderSettings | None = None, **options: object) -> bytes:
    """Render ``xml`` as an A4 invoice with the shipped templates."""
    return render_document_pdf(
        xml, layout="a4", template_version=TEMPLATE_VERSION, settings=settings or RenderSettings(), **options
    )  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def sample_pdf(sign: Sign) -> bytes:
    """Return the PDF of the signed sample invoice, which the tax authority has coded."""
    return render(sign(spec_invoice(), authority_code=AUTHORITY_CODE))


def test_text_has_parties_amounts_and_words_with_diacritics(sample_pdf: bytes, tmp_path: Path) -> None:
    """Names, addresses, lines, rate groups, totals and the amount in words come out exactly, diacritics included."""
    text = flat(pdf_text(sample_pdf, tmp_path))
    for expected in (
        "HÓA ĐƠN GIÁ TRỊ GIA TĂNG",
        "Ngày 20 tháng 11 năm 2025",
        "Đơn vị bán hàng: CÔNG TY TNHH ABC",
        "Mã số thuế: 0101234567 – Điện thoại: 02438000000",
        "Số 1 Phố Huế, Phường Hai Bà Trưng, Hà Nội",
        "Tên đơn vị: CÔNG TY CỔ PHẦN XYZ",
        "Mã số thuế: 0309876543",
        "12 Nguyễn Huệ, Phường Sài Gòn, TP. Hồ Chí Minh",
        "Máy in laser đen trắng Chiếc 2 4.500.000 9.000.000 10%",
        "Giấy in A4 Double A Ram 20 85.000 1.700.000 5%",
        "Thuế suất 10%: cộng tiền hàng 9.000.000 Tiền thuế 900.000",
        "Thuế suất 5%: cộng tiền hàng 1.700.000 Tiền thuế 85.000",
        "Tổng tiền chưa thuế 10.700.000",
        "Tổng tiền thuế GTGT 985.000",
        "Tổng tiền thanh toán 11.685.000",
        "Số tiền viết bằng chữ: Mười một triệu sáu trăm tám mươi lăm nghìn đồng",
    ):
        assert expected in text


def test_template_series_and_number_sit_at_the_top_right(sample_pdf: bytes, tmp_path: Path) -> None:
    """Template, series and number are the right end of the first lines, right of the title."""
    top = pdf_text(sample_pdf, tmp_path).splitlines()[:4]
    title = next(line for line in top if "HÓA ĐƠN GIÁ TRỊ GIA TĂNG" in line)
    for label in ("Mẫu số: 1", "Ký hiệu: C25TAA", "Số: 123"):
        line = next(line for line in top if line.rstrip().endswith(label))
        assert line.rindex(label) > title.rindex("TĂNG")


def test_signature_block_names_signer_time_and_authority_code(sample_pdf: bytes, tmp_path: Path) -> None:
    """The signature block names the certificate holder and the signing time; the MCCQT is printed."""
    text = flat(pdf_text(sample_pdf, tmp_path))
    assert "Ký bởi: TEST ONLY - CÔNG TY TNHH ABC" in text
    assert "Ký ngày: 20/11/2025 09:15:02" in text
    assert f"Mã của cơ quan thuế: {AUTHORITY_CODE}" in text


def test_lookup_code_and_address_are_printed(sample_pdf: bytes, tmp_path: Path) -> None:
    """The lookup address and the code in groups of four are printed beside the QR."""
    text = flat(pdf_text(sample_pdf, tmp_path))
    assert "Tra cứu tại: http://127.0.0.1:8000/tra-cuu" in text
    assert "Mã tra cứu: 7K2P-9QAX-M4TD" in text


def test_qr_decodes_to_the_lookup_url(sample_pdf: bytes, tmp_path: Path) -> None:
    """The QR read from the page image at 150 dpi is the document's lookup URL."""
    assert pdf_qr(sample_pdf, tmp_path) == "http://127.0.0.1:8000/tra-cuu/7K2P-9QAX-M4TD"


def test_qr_decodes_at_110_dpi(sample_pdf: bytes, tmp_path: Path) -> None:
    """The QR still reads from a page image at 110 dpi, a cheap scanner's or a phone photo's resolution."""
    assert pdf_qr(sample_pdf, tmp_path, dpi=110) == "http://127.0.0.1:8000/tra-cuu/7K2P-9QAX-M4TD"


def test_trade_discount_line_prints_with_its_minus_sign(sign: Sign, tmp_path: Path) -> None:
    """A trade-discount line's amount, which the totals subtract, prints negative; goods lines stay positive."""
    ten = VatRate.parse("10%")
    lines = [
        goods_line("Máy in laser đen trắng", Decimal(2), Decimal(4_500_000), ten, unit="Chiếc"),
        trade_discount_line("Chiết khấu thương mại 5% máy in", Decimal(450_000), ten),
    ]
    text = flat(pdf_text(render(sign(spec_invoice(lines=lines))), tmp_path))
    assert "Máy in laser đen trắng Chiếc 2 4.500.000 9.000.000 10%" in text
    assert "2 Chiết khấu thương mại 5% máy in -450.000 10%" in text
    assert "Thuế suất 10%: cộng tiền hàng 8.550.000 Tiền thuế 855.000" in text
    assert "Tổng tiền thanh toán 9.405.000" in text


def test_tax_rate_header_stays_on_one_line(sample_pdf: bytes, tmp_path: Path) -> None:
    """The line table's header prints on one line: "Thuế suất" does not wrap under "Thuế"."""
    header = next(line for line in pdf_text(sample_pdf, tmp_path).splitlines() if HEADER in line)
    assert header.rstrip().endswith("Thành tiền Thuế suất")


def test_qr_follows_the_configured_public_base_url(sign: Sign, tmp_path: Path) -> None:
    """With another public base URL the QR and the printed address use it."""
    pdf = render(sign(spec_invoice()), RenderSettings(public_base_url="https://hoadon.xaankhanh.gov.vn/"))
    assert pdf_qr(pdf, tmp_path) == "https://hoadon.xaankhanh.gov.vn/tra-cuu/7K2P-9QAX-M4TD"
    assert "Tra cứu tại: https://hoadon.xaankhanh.gov.vn/tra-cuu" in flat(pdf_text(pdf, tmp_path))


def test_only_dejavu_faces_are_embedded_and_subset(sample_pdf: bytes, tmp_path: Path) -> None:
    """Regular, bold and italic DejaVu Sans are embedded as subsets, and nothing else."""
    fonts = pdf_fonts(sample_pdf, tmp_path)
    assert {name for name, _, _ in fonts} == {"DejaVu-Sans", "DejaVu-Sans-Bold", "DejaVu-Sans-Oblique"}
    assert all(embedded and subset for _, embedded, subset in fonts)
    assert len(sample_pdf) < 60_000  # whole DejaVu faces would weigh about 2 MB


def test_sixty_lines_span_pages_with_the_header_repeated(sign: Sign, tmp_path: Path) -> None:
    """A 60-line invoice runs over pages: every page of lines is under the table header, every page says "Trang x/y"."""
    pdf = render(sign(builders.invoice(lines=60)))
    pages = pdf_pages(pdf, tmp_path)
    pages_with_lines = [page for page in pages if "bút bi Thiên Long" in page]
    assert len(pages_with_lines) >= 2
    for page in pages_with_lines:
        assert HEADER in page
    for number, page in enumerate(pages, start=1):
        assert f"Trang {number}/{len(pages)}" in page
    assert "Trang 2/" in pages[1]
    everything = flat("\n".join(pages))
    for line_no in (1, 30, 60):
        assert f"Hàng hóa số {line_no - 1} – bút bi Thiên Long" in everything


def test_long_names_and_addresses_wrap_inside_the_page(sign: Sign, tmp_path: Path) -> None:
    """Very long names, addresses and unbroken words wrap inside the margins instead of overflowing."""
    long_name = "CÔNG TY TRÁCH NHIỆM HỮU HẠN MỘT THÀNH VIÊN THƯƠNG MẠI DỊCH VỤ XUẤT NHẬP KHẨU " * 3
    long_address = "Số 123 ngõ 456 ngách 789 hẻm 10, Phường Nghĩa Đô, Quận Cầu Giấy, Thành phố Hà Nội, " * 3
    invoice = spec_invoice(
        buyer=builders.buyer(name=long_name.strip(), address=long_address.strip()),
        seller=builders.seller(bank_name="Ngân-hàng-thương-mại-cổ-phần-" * 6),
    )
    pdf = render(sign(invoice))
    assert words_outside_page(pdf, tmp_path, margin_pt=12 * 72 / 25.4) == []
    text = flat(pdf_text(pdf, tmp_path))
    assert "THƯƠNG MẠI DỊCH VỤ XUẤT NHẬP KHẨU CÔNG TY TRÁCH NHIỆM" in text
    assert "Quận Cầu Giấy, Thành phố Hà Nội, Số 123" in text


def test_ten_page_invoice_prints_every_line_once_in_order_under_a_header_on_each_page(
    sign: Sign, tmp_path: Path
) -> None:
    """400 lines run to 10 pages: each says "Trang x/10" under the table header; every line prints once, in order, with
    its number, amount and rate; the totals come once, after the last line."""
    invoice = builders.invoice(lines=400)
    pages = pdf_pages(render(sign(invoice)), tmp_path)
    assert len(pages) == 10
    for number, page in enumerate(pages, start=1):
        assert f"Trang {number}/10" in page
        assert HEADER in page
    text = "\n".join(pages)
    rows = re.findall(
        r"^\s*(\d+)\s+Hàng hóa số (\d+) – bút bi Thiên Long\s+Cái\s.*?([\d.]+)\s+(\S+%|KCT)\s*$", text, re.M
    )
    assert [int(row[0]) for row in rows] == list(range(1, 401))
    assert [int(row[1]) for row in rows] == list(range(400))
    assert [row[2] for row in rows] == [format_number(line.amount) for line in invoice.lines]
    assert [row[3] for row in rows] == [line.vat_rate.code for line in invoice.lines if line.vat_rate]
    total = f"Tổng tiền thanh toán {format_number(invoice.totals.total_payable)}"
    assert flat(text).count(total) == 1
    assert flat(text).index(total) > flat(text).index("Hàng hóa số 399 – bút bi Thiên Long")
    assert total in flat(pages[-1])
