"""Printing fixes found at the counter: the 80 mm roll is one strip, A5 pages repeat the header, fees never split."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import builders
import pytest
from render.pdftools import pdf_pages
from render.signed_docs import Sign

from einvoice.render.pdf import TEMPLATE_VERSION, RenderSettings, render_document_pdf


@pytest.fixture(scope="module")
def long_receipt(sign: Sign) -> bytes:
    """Return a signed receipt with 19 fees (the length that printed as two roll pages and three A5 pages)."""
    return sign(builders.receipt(fees=19))


def _page_sizes(pdf: bytes, folder: Path) -> list[tuple[float, float]]:
    path = folder / "sizes.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "99", str(path)], capture_output=True, text=True, check=True)
    return [(float(w), float(h)) for w, h in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", info.stdout)]


def test_a_19_fee_roll_is_one_strip_cut_below_its_content(long_receipt: bytes, tmp_path: Path) -> None:
    """The roll of a 19-fee receipt is one page 80 mm wide, longer than A4 but cut short of the 3 m page."""
    pdf = render_document_pdf(
        long_receipt, layout="roll80", template_version=TEMPLATE_VERSION, settings=RenderSettings()
    )
    sizes = _page_sizes(pdf, tmp_path)
    assert len(sizes) == 1
    width, height = sizes[0]
    assert round(width / 72 * 25.4) == 80
    assert 297 < height / 72 * 25.4 < 1000
    text = pdf_pages(pdf, tmp_path)[0]
    assert "Tổng cộng (VND)" in text
    assert "Mã tra cứu" in text


def test_a5_pages_repeat_the_header_and_never_leave_the_total_alone(long_receipt: bytes, tmp_path: Path) -> None:
    """Every A5 page after the first names template, series and number, and says page x/y; fees stay whole."""
    pdf = render_document_pdf(long_receipt, layout="a5", template_version=TEMPLATE_VERSION, settings=RenderSettings())
    pages = pdf_pages(pdf, tmp_path)
    assert len(pages) >= 2
    for number, page in enumerate(pages[1:], start=2):
        assert f"Trang {number}/{len(pages)}" in page
        assert "Mẫu số: EBL01 – Ký hiệu: 25T – Số: 1" in " ".join(page.split())
    last = pages[-1]
    assert "Tổng cộng (VND)" in last
    assert "Căn cứ:" in last  # at least one fee kept the total company
    names = ("Lệ phí chứng thực bản sao", "Lệ phí đăng ký khai sinh", "Phí thẩm định hồ sơ")
    for page in pages:  # every fee on a page has its legal basis on the same page
        assert sum(page.count(name) for name in names) == page.count("Căn cứ:")
    assert sum(page.count("Căn cứ:") for page in pages) == 19


def test_place_names_and_phone_numbers_do_not_wrap_on_the_roll(long_receipt: bytes, tmp_path: Path) -> None:
    """On 80 mm the issuer's place name ("XÃ AN KHÁNH") and the phone number stay on one line with their label."""
    pdf = render_document_pdf(
        long_receipt, layout="roll80", template_version=TEMPLATE_VERSION, settings=RenderSettings()
    )
    lines = [" ".join(line.split()) for line in pdf_pages(pdf, tmp_path)[0].splitlines()]
    assert any("XÃ AN KHÁNH" in line for line in lines)
    assert any("Điện thoại: 0240000000" in line for line in lines)
