"""Agency template overrides, and failures that raise RenderError instead of losing or blocking anything."""

from __future__ import annotations

import subprocess
from pathlib import Path

import builders
import pytest
from render.pdftools import flat, pdf_text
from render.signed_docs import Sign

from einvoice.render.errors import RenderError
from einvoice.render.pdf import RenderSettings, render_document_pdf
from einvoice.resources import templates_dir


@pytest.fixture(scope="module")
def receipt_xml(sign: Sign) -> bytes:
    """Return one signed receipt."""
    return sign(builders.receipt())


def test_override_folder_is_searched_before_ours(receipt_xml: bytes, tmp_path: Path) -> None:
    """A template in the override folder replaces ours; the pieces it does not override still come from ours."""
    ours = (templates_dir() / "print" / "receipt_a5.html").read_text(encoding="utf-8")
    (tmp_path / "print").mkdir()
    (tmp_path / "print" / "receipt_a5.html").write_text(
        ours.replace("<body>", "<body><p>ỦY BAN NHÂN DÂN XÃ AN KHÁNH – mẫu riêng</p>"), encoding="utf-8"
    )
    settings = RenderSettings(override_dir=tmp_path)
    text = flat(
        pdf_text(render_document_pdf(receipt_xml, layout="a5", template_version="x", settings=settings), tmp_path)
    )
    assert "ỦY BAN NHÂN DÂN XÃ AN KHÁNH – mẫu riêng" in text
    assert "Người thu tiền: Lê Văn Cường" in text  # from our shared receipt body
    roll = render_document_pdf(receipt_xml, layout="roll80", template_version="x", settings=settings)
    assert "mẫu riêng" not in pdf_text(roll, tmp_path)  # not overridden: ours


def test_override_of_a_shared_piece_applies_to_every_layout(receipt_xml: bytes, tmp_path: Path) -> None:
    """Overriding the shared receipt body changes both receipt layouts."""
    (tmp_path / "print").mkdir()
    (tmp_path / "print" / "_receipt_body.html").write_text("<p>Biên lai của {{ party.name }}</p>", encoding="utf-8")
    settings = RenderSettings(override_dir=tmp_path)
    for layout in ("a5", "roll80"):
        pdf = render_document_pdf(receipt_xml, layout=layout, template_version="x", settings=settings)  # type: ignore[arg-type]
        assert flat(pdf_text(pdf, tmp_path)) == "Biên lai của Trần Thị Bích"


def test_override_of_a_stylesheet_changes_the_paper(receipt_xml: bytes, tmp_path: Path) -> None:
    """A layout's stylesheet can be overridden too: here the A5 receipt is printed on A4 paper."""
    (tmp_path / "print").mkdir()
    ours = (templates_dir() / "print" / "receipt_a5.css").read_text(encoding="utf-8")
    (tmp_path / "print" / "receipt_a5.css").write_text(ours.replace("size: A5", "size: A4"), encoding="utf-8")
    pdf = render_document_pdf(
        receipt_xml, layout="a5", template_version="x", settings=RenderSettings(override_dir=tmp_path)
    )
    (tmp_path / "doc.pdf").write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(tmp_path / "doc.pdf")], capture_output=True, text=True, check=True).stdout
    assert "Page size:       595.276 x 841.89 pts (A4)" in info


def test_broken_override_raises_render_error(receipt_xml: bytes, tmp_path: Path) -> None:
    """An override using a variable the context does not have fails loudly with RenderError."""
    (tmp_path / "print").mkdir()
    (tmp_path / "print" / "receipt_a5.html").write_text("{{ no_such_thing.name }}", encoding="utf-8")
    with pytest.raises(RenderError, match=r"receipt_a5\.html"):
        render_document_pdf(
            receipt_xml, layout="a5", template_version="x", settings=RenderSettings(override_dir=tmp_path)
        )


def test_layout_that_does_not_fit_the_document_raises(receipt_xml: bytes, sign: Sign) -> None:
    """A receipt is not printed on the invoice layout, nor an invoice on a receipt roll."""
    with pytest.raises(RenderError, match="layout 'a4'"):
        render_document_pdf(receipt_xml, layout="a4", template_version="x")
    with pytest.raises(RenderError, match="layout 'roll80'"):
        render_document_pdf(sign(builders.invoice()), layout="roll80", template_version="x")


@pytest.mark.parametrize(
    "xml",
    [
        b"not xml",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><HDon>&a;</HDon>',
        b"<Other/>",
        b"<BLai><DLBLai><TTChung><NLap>20-11-2025</NLap></TTChung></DLBLai></BLai>",
    ],
)
def test_unreadable_xml_raises_render_error(xml: bytes, tmp_path: Path) -> None:
    """Malformed, unsafe, foreign or unreadable XML raises RenderError and writes nothing to the cache."""
    with pytest.raises(RenderError, match="cannot be read"):
        render_document_pdf(xml, layout="a5", template_version="x", settings=RenderSettings(cache_dir=tmp_path / "c"))
    assert not (tmp_path / "c").exists()
