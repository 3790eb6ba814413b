"""Rendering on first request, caching, byte-identical re-renders, and the copy and converted-copy marks."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from pathlib import Path

import builders
import pytest
from render.pdftools import flat, pdf_text
from render.signed_docs import Sign

from einvoice.render import pdf as pdf_module
from einvoice.render.cache import cache_key
from einvoice.render.context import Conversion
from einvoice.render.pdf import RenderSettings, render_document_pdf, render_settings
from einvoice.settings import load_settings

CONVERSION = Conversion("Phạm Thị Lan", datetime(2025, 12, 1, 14, 5, 9))


@pytest.fixture(scope="module")
def xml(sign: Sign) -> bytes:
    """Return one signed receipt."""
    return sign(builders.receipt(fees=2))


def test_rerendering_gives_identical_bytes(xml: bytes) -> None:
    """Two renders of the same XML, layout and template version are byte for byte the same PDF."""
    first = render_document_pdf(xml, layout="a5", template_version="v1")
    assert render_document_pdf(xml, layout="a5", template_version="v1") == first


def test_another_process_renders_the_same_bytes(xml: bytes, tmp_path: Path) -> None:
    """A fresh interpreter (new font configuration, new subset names) writes the very same PDF."""
    (tmp_path / "doc.xml").write_bytes(xml)
    script = (
        "import sys; from pathlib import Path; from einvoice.render.pdf import render_document_pdf; "
        "sys.stdout.buffer.write(render_document_pdf(Path(sys.argv[1]).read_bytes(), layout='a5', "
        "template_version='v1'))"
    )
    other = subprocess.run([sys.executable, "-c", script, str(tmp_path / "doc.xml")], capture_output=True, check=True)
    assert other.stdout == render_document_pdf(xml, layout="a5", template_version="v1")


def test_pdf_has_no_dates_and_reads_cleanly(xml: bytes, tmp_path: Path) -> None:
    """No creation or modification date (nor random file identifier) is written, and poppler reads the file cleanly."""
    pdf = render_document_pdf(xml, layout="a5", template_version="v1")
    assert b"/CreationDate" not in pdf
    assert b"/ModDate" not in pdf
    assert b"/ID [" not in pdf
    (tmp_path / "doc.pdf").write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(tmp_path / "doc.pdf")], capture_output=True, text=True, check=True)
    assert info.stderr == ""


def test_second_request_is_served_from_the_cache(xml: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Once rendered, a PDF comes from the cache folder without rendering again."""
    settings = RenderSettings(cache_dir=tmp_path / "cache")
    first = render_document_pdf(xml, layout="a5", template_version="v1", settings=settings)
    assert len(list((tmp_path / "cache").rglob("*.pdf"))) == 1

    def no_render(*args: object, **kwargs: object) -> bytes:
        raise AssertionError("rendered again")

    monkeypatch.setattr(pdf_module, "html_to_pdf", no_render)
    assert render_document_pdf(xml, layout="a5", template_version="v1", settings=settings) == first


def test_cache_key_changes_with_every_printing_choice(xml: bytes) -> None:
    """Layout, template version, copy mark, conversion and the document itself each give their own key."""
    base = {"layout": "a5", "template_version": "v1", "copy": False, "converted": None}
    keys = {
        cache_key(xml, **base),  # type: ignore[arg-type]
        cache_key(xml, **{**base, "layout": "roll80"}),  # type: ignore[arg-type]
        cache_key(xml, **{**base, "template_version": "v2"}),  # type: ignore[arg-type]
        cache_key(xml, **{**base, "copy": True}),  # type: ignore[arg-type]
        cache_key(xml, **{**base, "converted": CONVERSION}),  # type: ignore[arg-type]
        cache_key(xml + b" ", **base),  # type: ignore[arg-type]
    }
    assert len(keys) == 6


def test_unwritable_cache_does_not_fail_the_render(xml: bytes, tmp_path: Path) -> None:
    """A cache folder that cannot be created costs a re-render, never the PDF."""
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    pdf = render_document_pdf(xml, layout="a5", template_version="v1", settings=RenderSettings(cache_dir=blocker))
    assert pdf.startswith(b"%PDF-")


def test_reprint_is_marked_as_a_copy(xml: bytes, tmp_path: Path) -> None:
    """A reprint carries "BẢN SAO"; the original print does not."""
    original = flat(pdf_text(render_document_pdf(xml, layout="a5", template_version="v1"), tmp_path))
    copy = flat(pdf_text(render_document_pdf(xml, layout="a5", template_version="v1", copy=True), tmp_path))
    assert "BẢN SAO" not in original
    assert "BẢN SAO" in copy


@pytest.mark.parametrize(("layout", "kind"), [("a5", "BIÊN LAI"), ("roll80", "BIÊN LAI")])
def test_converted_copy_names_who_converted_it_and_when(xml: bytes, layout: str, kind: str, tmp_path: Path) -> None:
    """A converted copy for paper archives says so, with the converter's name and the conversion time."""
    pdf = render_document_pdf(xml, layout=layout, template_version="v1", converted=CONVERSION)  # type: ignore[arg-type]
    text = flat(pdf_text(pdf, tmp_path))
    assert f"BẢN CHUYỂN ĐỔI TỪ {kind} ĐIỆN TỬ" in text
    assert "Người chuyển đổi: Phạm Thị Lan" in text
    assert "Ngày chuyển đổi: 01/12/2025 14:05:09" in text


def test_converted_invoice_is_marked(sign: Sign, tmp_path: Path) -> None:
    """An invoice's converted copy says it was converted from an e-invoice."""
    pdf = render_document_pdf(sign(builders.invoice()), layout="a4", template_version="v1", converted=CONVERSION)
    assert "BẢN CHUYỂN ĐỔI TỪ HÓA ĐƠN ĐIỆN TỬ" in flat(pdf_text(pdf, tmp_path))


def test_render_settings_come_from_the_service_settings(tmp_path: Path) -> None:
    """Public URL, override folder and a cache under the data folder are taken from the service's settings."""
    settings = render_settings(
        load_settings(
            {},
            {
                "PUBLIC_BASE_URL": "https://tracuu.example.vn",
                "TEMPLATE_OVERRIDE_DIR": str(tmp_path),
                "DATA_DIR": tmp_path,
            },
        )
    )
    assert settings == RenderSettings("https://tracuu.example.vn", tmp_path.resolve(), tmp_path / "pdf-cache")
    defaults = render_settings(load_settings({}))
    assert (defaults.public_base_url, defaults.override_dir) == (RenderSettings().public_base_url, None)
