"""Fee receipts as printed on A5 and on 80 mm counter rolls: text, QR, marks."""

from __future__ import annotations

import re
import subprocess
from dataclasses import replace
from pathlib import Path

import builders
import pytest
from render.pdftools import flat, pdf_qr, pdf_text, words_outside_page
from render.signed_docs import Sign

from einvoice.render.context import Layout
from einvoice.render.pdf import TEMPLATE_VERSION, RenderSettings, render_document_pdf

LOOKUP_URL = "http://127.0.0.1:8000/tra-cuu/Q4XZ-8B1M-N2PK"
MARGINS_PT = {"a5": 8 * 72 / 25.4, "roll80": 4 * 72 / 25.4}


@pytest.fixture(scope="module")
def receipt_xml(sign: Sign) -> bytes:
    """Return a signed receipt with three fees (2 000, 2 × 8 000, 3 × 150 000)."""
    return sign(builders.receipt(fees=3, dossier_code="000.00.23.H26-251120-0001"))


@pytest.mark.parametrize("layout", ["a5", "roll80"])
def test_receipt_text_is_complete_with_diacritics(receipt_xml: bytes, layout: Layout, tmp_path: Path) -> None:
    """Organisation, payer, fees with legal basis, total in figures and words, payment, cashier and code print."""
    pdf = render_document_pdf(receipt_xml, layout=layout, template_version=TEMPLATE_VERSION, settings=RenderSettings())
    text = flat(pdf_text(pdf, tmp_path))
    for expected in (
        "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG XÃ AN KHÁNH",
        "Mã số thuế: 0109999999 – Mã ĐVQHNS: 1234567",
        "Địa chỉ: Xã An Khánh, Thành phố Hà Nội – Điện thoại: 0240000000",
        "BIÊN LAI THU PHÍ, LỆ PHÍ",
        "Mẫu số: EBL01 – Ký hiệu: 25T – Số: 1",
        "Người nộp: Trần Thị Bích",
        "Địa chỉ: Thôn Chùa, Xã An Khánh, Hà Nội",
        "Mã hồ sơ: 000.00.23.H26-251120-0001",
        "Lệ phí chứng thực bản sao từ bản chính",
        "(1 Bản × 2.000)",
        "Căn cứ: Thông tư 226/2016/TT-BTC",
        "Lệ phí đăng ký khai sinh (2 Bản × 8.000)",
        "16.000",
        "Căn cứ: Nghị quyết 04/2024/NQ-HĐND",
        "Phí thẩm định hồ sơ (3 Bản × 150.000)",
        "450.000",
        "Tổng cộng (VND)",
        "468.000",
        "Số tiền viết bằng chữ: Bốn trăm sáu mươi tám nghìn đồng",
        "Hình thức thanh toán: Tiền mặt – Người thu tiền: Lê Văn Cường",
        "Ký bởi: TEST ONLY - TRUNG TÂM DỊCH VỤ HÀNH CHÍNH CÔNG XÃ A",  # the certificate's name
        "Mã tra cứu: Q4XZ-8B1M-N2PK",
    ):
        assert expected in text
    assert "BẢN SAO" not in text


@pytest.mark.parametrize("layout", ["a5", "roll80"])
@pytest.mark.parametrize("dpi", [150, 110])
def test_receipt_qr_decodes_to_the_lookup_url(receipt_xml: bytes, layout: Layout, dpi: int, tmp_path: Path) -> None:
    """The QR of both receipt layouts, read at 150 and at 110 dpi, is the lookup URL."""
    pdf = render_document_pdf(receipt_xml, layout=layout, template_version=TEMPLATE_VERSION, settings=RenderSettings())
    assert pdf_qr(pdf, tmp_path, dpi=dpi) == LOOKUP_URL


@pytest.mark.parametrize("layout", ["a5", "roll80"])
def test_fee_lines_show_their_unit(sign: Sign, layout: Layout, tmp_path: Path) -> None:
    """A fee counted in a unit prints quantity, unit and unit price, even for one; a fee without a unit prints none."""
    receipt = builders.receipt(fees=2)
    fees = (replace(receipt.fees[0], unit="Trang"), replace(receipt.fees[1], unit=None))
    xml = sign(replace(receipt, fees=fees))
    pdf = render_document_pdf(xml, layout=layout, template_version=TEMPLATE_VERSION, settings=RenderSettings())
    text = flat(pdf_text(pdf, tmp_path))
    assert "(1 Trang × 2.000)" in text
    assert "Lệ phí đăng ký khai sinh (2 × 8.000)" in text


@pytest.mark.parametrize("layout", ["a5", "roll80"])
def test_long_payer_and_fee_names_wrap_on_narrow_paper(sign: Sign, layout: Layout, tmp_path: Path) -> None:
    """A long payer name, address and an unbroken legal reference stay inside the paper's margins."""
    receipt = builders.receipt(
        payer=builders.payer(
            name="Nguyễn Thị Phương Thảo Hoàng Lê Nhất Thống Chí Huyền Trân Công Chúa Ngọc Hân",
            address="Tổ dân phố số 15, khu phố Đông Hòa Thượng, Phường Thuận Giao, Thành phố Hồ Chí Minh, Việt Nam",
        ),
    )
    basis = "Nghị-quyết-số-04/2024/NQ-HĐND-ngày-15-tháng-3-năm-2024-của-Hội-đồng-nhân-dân-thành-phố"
    xml = sign(replace(receipt, fees=(replace(receipt.fees[0], legal_basis=basis),)))
    pdf = render_document_pdf(xml, layout=layout, template_version=TEMPLATE_VERSION, settings=RenderSettings())
    assert words_outside_page(pdf, tmp_path, margin_pt=MARGINS_PT[layout]) == []
    assert "Ngọc Hân" in flat(pdf_text(pdf, tmp_path))


def test_roll_is_cut_below_its_content(receipt_xml: bytes, tmp_path: Path) -> None:
    """The 80 mm roll is as long as the receipt, not a full 297 mm page, and nothing is cut off."""
    pdf = render_document_pdf(receipt_xml, layout="roll80", template_version=TEMPLATE_VERSION)
    (tmp_path / "roll.pdf").write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(tmp_path / "roll.pdf")], capture_output=True, text=True, check=True).stdout
    width, height = (float(v) for v in re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info).groups())  # type: ignore[union-attr]
    assert round(width / 72 * 25.4) == 80
    assert 100 < height / 72 * 25.4 < 250
    assert flat(pdf_text(pdf, tmp_path)).endswith("Mã tra cứu: Q4XZ-8B1M-N2PK")
