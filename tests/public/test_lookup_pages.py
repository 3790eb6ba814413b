"""The public lookup pages through the WSGI client: summary, signature verdict, downloads, upload check."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from public.lookup_support import PUBLIC_BASE_URL, make_public_app, text_of
from render.pdftools import flat, pdf_qr, pdf_text
from sqlalchemy import Engine, select, update

from einvoice.domain.lookup import format_lookup_code
from einvoice.render.errors import RenderError
from einvoice.storage.schema import documents
from einvoice.web import public as public_module

Issue = Callable[..., dict[str, Any]]
COLLECTOR_CERTIFICATE = "TEST ONLY - TRUNG TÂM DỊCH VỤ HÀNH CHÍNH CÔNG XÃ A"


def test_document_page_shows_summary_and_valid_signature(public: FlaskClient, issue: Issue) -> None:
    """/tra-cuu/<code> shows issuer, identity, date, masked payer, fees, total and state, and that it is intact."""
    doc = issue()
    page = public.get(f"/tra-cuu/{format_lookup_code(doc['lookup_code'])}")
    assert page.status_code == 200
    text = text_of(page.data)
    for expected in (
        "Biên lai thu phí, lệ phí",
        "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG XÃ AN KHÁNH",
        "Mã số thuế 0109999999",
        "EBL01 – 26TAA – 1",
        "Ngày lập 02/03/2026",
        "Người nộp tiền Trần T*** B***",
        "Lệ phí chứng thực bản sao từ bản chính 3 6.000 ₫",
        "Lệ phí đăng ký khai sinh 1 8.000 ₫",
        "Tổng tiền thanh toán 14.000 ₫",
        "Trạng thái Đã phát hành",
        "Chứng từ còn nguyên vẹn",
        "Chữ ký số của đơn vị thu",
        f"Người ký {COLLECTOR_CERTIFICATE}",
        "Thời điểm ký 02/03/2026 09:00:00",
    ):
        assert expected in text
    assert "Trần Thị Bích" not in text
    assert "Thôn Chùa" not in text


def test_invoice_page_shows_lines_tax_and_the_buyer_organisation(public: FlaskClient, issue: Issue) -> None:
    """An invoice page lists its lines, the amount before tax, the VAT and the total; a company buyer is not masked."""
    text = text_of(public.get(f"/tra-cuu/{issue('invoice')['lookup_code']}").data)
    for expected in (
        "Người mua CÔNG TY CỔ PHẦN XYZ",
        "Giấy A4 10 500.000 ₫",
        "Cộng tiền hàng, dịch vụ 500.000 ₫",
        "Tiền thuế GTGT 50.000 ₫",
        "Tổng tiền thanh toán 550.000 ₫",
    ):
        assert expected in text


def test_form_accepts_the_code_as_typed(public: FlaskClient, issue: Issue) -> None:
    """The form's ?ma= takes the code in lower case, with spaces, without dashes, and shows the document."""
    code = issue()["lookup_code"]
    typed = " ".join([code[:4].lower(), code[4:8], code[8:].lower()])
    page = public.get("/tra-cuu", query_string={"ma": typed})
    assert page.status_code == 200
    assert format_lookup_code(code) in text_of(page.data)


def test_form_page_is_labelled_vietnamese(public: FlaskClient) -> None:
    """The empty form is a Vietnamese page with a labelled input and our own stylesheet only."""
    page = public.get("/tra-cuu")
    assert page.status_code == 200
    assert b'<html lang="vi">' in page.data
    assert b'<label for="ma">' in page.data
    with public.get("/static/tra-cuu/public.css") as stylesheet:
        assert stylesheet.status_code == 200


@pytest.mark.parametrize("kind", ["receipt", "invoice"])
def test_pdf_download_is_printed_from_the_signed_xml(
    public: FlaskClient, issue: Issue, kind: str, tmp_path: Path
) -> None:
    """The PDF opens in the browser (inline), its download button downloads it; its QR opens this very page."""
    code = format_lookup_code(issue(kind)["lookup_code"])
    answer = public.get(f"/tra-cuu/{code}/pdf")
    assert answer.status_code == 200
    assert answer.mimetype == "application/pdf"
    assert answer.headers["Content-Disposition"] == f'inline; filename="{code}.pdf"'
    download = public.get(f"/tra-cuu/{code}/pdf?tai-ve=1")
    assert download.headers["Content-Disposition"] == f'attachment; filename="{code}.pdf"'
    assert download.data == answer.data
    page = public.get(f"/tra-cuu/{code}").data.decode()
    assert f'href="/tra-cuu/{code}/pdf">Xem bản PDF</a>' in page
    assert f'href="/tra-cuu/{code}/pdf?tai-ve=1">Tải bản PDF</a>' in page
    assert pdf_qr(answer.data, tmp_path) == f"{PUBLIC_BASE_URL}/tra-cuu/{code}"
    assert f"Mã tra cứu: {code}" in flat(pdf_text(answer.data, tmp_path))


def test_xml_download_is_the_stored_bytes(public: FlaskClient, issue: Issue, engine: Engine) -> None:
    """The XML button downloads the signed document exactly as stored."""
    code = issue()["lookup_code"]
    answer = public.get(f"/tra-cuu/{code}/xml")
    assert answer.status_code == 200
    assert answer.mimetype == "application/xml"
    with engine.connect() as conn:
        assert answer.data == conn.execute(select(documents.c.xml)).scalar_one()


def test_tampered_stored_document_shows_an_invalid_signature(public: FlaskClient, issue: Issue, engine: Engine) -> None:
    """If the stored bytes are altered after a first view, the next view says the signature is not valid."""
    code = issue()["lookup_code"]
    assert "Chứng từ còn nguyên vẹn" in text_of(public.get(f"/tra-cuu/{code}").data)
    with engine.begin() as conn:
        xml = conn.execute(select(documents.c.xml)).scalar_one()
        conn.execute(update(documents).values(xml=xml.replace("Trần Thị Bích".encode(), "Trần Thị Bính".encode())))
    text = text_of(public.get(f"/tra-cuu/{code}").data)
    assert "Cảnh báo: chứng từ đã bị thay đổi" in text
    assert "Chứng từ còn nguyên vẹn" not in text


def test_stored_bytes_must_hash_to_the_stored_digest(public: FlaskClient, issue: Issue, engine: Engine) -> None:
    """Bytes that still verify but no longer hash to the SHA-256 recorded at issue are not called intact."""
    code = issue()["lookup_code"]
    with engine.begin() as conn:
        xml = conn.execute(select(documents.c.xml)).scalar_one()
        # Unsigned and outside the signed data: the signature still verifies, the recorded digest does not.
        conn.execute(update(documents).values(xml=xml.replace(b"<DLQRCode>", b"<DLQRCode>00", 1)))
    text = text_of(public.get(f"/tra-cuu/{code}").data)
    assert "Cảnh báo: chứng từ đã bị thay đổi" in text
    assert "Chứng từ còn nguyên vẹn" not in text


def test_render_failure_answers_503_and_keeps_the_xml(
    public: FlaskClient, issue: Issue, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When printing fails the PDF link answers 503 with a way to the XML, which still downloads."""
    code = format_lookup_code(issue()["lookup_code"])

    def broken(*args: object, **kwargs: object) -> bytes:
        raise RenderError("template broken")

    monkeypatch.setattr(public_module, "render_document_pdf", broken)
    answer = public.get(f"/tra-cuu/{code}/pdf")
    assert answer.status_code == 503
    assert f"/tra-cuu/{code}/xml".encode() in answer.data
    assert public.get(f"/tra-cuu/{code}/xml").status_code == 200


def test_page_shows_nothing_the_printout_does_not(public: FlaskClient, issue: Issue, world: dict[str, Any]) -> None:
    """No internal id, user name or payer identity number appears on the public page."""
    doc = issue()
    html = public.get(f"/tra-cuu/{doc['lookup_code']}").data.decode()
    assert world["users"]["cashier"]["username"] not in html
    assert "001190000001" not in html
    assert f"/documents/{doc['id']}" not in html


def test_upload_of_a_genuine_document_is_valid(public: FlaskClient, issue: Issue, engine: Engine) -> None:
    """Uploading a genuine document we issued says valid, and that it matches the document issued."""
    issue()
    with engine.connect() as conn:
        xml = conn.execute(select(documents.c.xml)).scalar_one()
    answer = public.post("/tra-cuu/kiem-tra", data={"tep": (_file(xml), "bien-lai.xml")})
    text = text_of(answer.data)
    assert answer.status_code == 200
    assert '<p class="headline">Hợp lệ</p>' in answer.data.decode()
    assert "Trùng khớp với chứng từ gốc đã phát hành." in text
    assert "Tổng tiền thanh toán 14.000 ₫" in text


def test_upload_speaks_plain_vietnamese(public: FlaskClient) -> None:
    """Garbage gets plain words up front; the parser's English stays inside the folded technical detail."""
    answer = public.post("/tra-cuu/kiem-tra", data={"tep": (_file(b"<HDon><oops></HDon>"), "x.xml")})
    html = answer.data.decode()
    shown = html.split("<details>", 1)[0]
    assert "Tệp không phải hóa đơn, biên lai điện tử đọc được." in shown
    for jargon in ("Start tag", "well-formed", "XSD", "Digest"):
        assert jargon not in shown
    assert "<details><summary>Chi tiết kỹ thuật" in html


def test_upload_of_garbage_lists_problems(public: FlaskClient) -> None:
    """A file that is not XML is answered with the reason, not an error page."""
    answer = public.post("/tra-cuu/kiem-tra", data={"tep": (_file(b"%PDF-1.7 not xml"), "x.xml")})
    assert answer.status_code == 200
    assert '<p class="headline">Không hợp lệ</p>' in answer.data.decode()


def test_upload_without_a_file_is_400(public: FlaskClient) -> None:
    """Posting the form without a file asks for one."""
    answer = public.post("/tra-cuu/kiem-tra", data={})
    assert answer.status_code == 400
    assert "Vui lòng chọn một tệp XML." in text_of(answer.data)


def test_upload_over_the_public_limit_is_413_in_vietnamese(
    engine: Engine, world: dict[str, Any], clock: Callable[[], datetime], tmp_path: Path
) -> None:
    """A file over the public page's own limit gets the form back with the reason, status 413."""
    from einvoice.web.runtime import dispose

    app = make_public_app(engine, clock, tmp_path / "data", PUBLIC_UPLOAD_MAX_BYTES=2048)
    try:
        client = app.test_client()
        small = client.post("/tra-cuu/kiem-tra", data={"tep": (_file(b"<a/>"), "x.xml")})
        assert small.status_code == 200
        answer = client.post("/tra-cuu/kiem-tra", data={"tep": (_file(b"<a>" + b" " * 4096 + b"</a>"), "x.xml")})
        assert answer.status_code == 413
        assert "Tệp quá lớn: tối đa" in text_of(answer.data)
        # A 5 MB upload is refused from its Content-Length: the body (here never sent) is not read.
        huge = client.post("/tra-cuu/kiem-tra", data=b"", environ_overrides={"CONTENT_LENGTH": str(5 * 1024 * 1024)})
        assert huge.status_code == 413
    finally:
        dispose(app)


def test_weasyprint_is_loaded_with_the_app(public_app: Flask) -> None:
    """Building the app has imported WeasyPrint, so no request pays for the import."""
    import sys

    assert "weasyprint" in sys.modules


def _file(data: bytes) -> Any:
    """Return an in-memory upload."""
    import io

    return io.BytesIO(data)


def test_header_names_the_configured_agency_with_its_logo(
    engine: Engine, world: dict[str, Any], clock: Callable[[], datetime], tmp_path: Path
) -> None:
    """PUBLIC_AGENCY_NAME and PUBLIC_AGENCY_LOGO put the agency's name and logo in every public page's header."""
    from einvoice.web.runtime import dispose

    logo = tmp_path / "logo.png"
    logo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
    app = make_public_app(
        engine, clock, tmp_path / "data", PUBLIC_AGENCY_NAME="ỦY BAN NHÂN DÂN XÃ AN KHÁNH", PUBLIC_AGENCY_LOGO=str(logo)
    )
    try:
        client = app.test_client()
        page = client.get("/tra-cuu").data.decode()
        assert '<span class="agency-name">ỦY BAN NHÂN DÂN XÃ AN KHÁNH</span>' in page
        assert '<img src="/tra-cuu/logo"' in page
        served = client.get("/tra-cuu/logo")
        assert (served.status_code, served.mimetype, served.data) == (200, "image/png", logo.read_bytes())
        served.close()
    finally:
        dispose(app)


def test_header_names_the_only_issuer_by_default(public: FlaskClient) -> None:
    """Without a configured name, the header names the one issuer the service issues for; no logo, no logo route."""
    page = public.get("/tra-cuu").data.decode()
    assert '<span class="agency-name">TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG XÃ AN KHÁNH</span>' in page
    assert "<img" not in page
    assert public.get("/tra-cuu/logo").status_code == 404
