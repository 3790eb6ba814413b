"""Once the tax authority codes an invoice, its coded XML is the document of record: looked up, downloaded, printed
and checked as such (both signatures, by chain); the lookup page says where each document stands with the authority,
and the document resource lists its messages with the authority."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from public.authority_support import (
    WRONG_BUYER,
    coded_record,
    invoice_body,
    issue,
    refusing,
    simulated_authority,
    transmit,
)
from public.lookup_support import make_public_app, text_of
from render.pdftools import flat, pdf_text
from render.signed_docs import ROOT_CA
from sqlalchemy import Engine, select, update

from einvoice.domain.lookup import format_lookup_code
from einvoice.gateway.simulator import authority_root_path
from einvoice.storage.schema import coded_documents, documents
from einvoice.web.runtime import dispose
from einvoice.xmldoc.verify import verify_document

pytestmark = pytest.mark.slow
#: The buyer the simulated authority refuses (its 204 names the tax code as wrong).
REFUSED_BUYER = "0301111111"


def _page(public: FlaskClient, issued: dict[str, Any]) -> str:
    answer = public.get(f"/tra-cuu/{format_lookup_code(issued['lookup_code'])}")
    assert answer.status_code == 200
    return text_of(answer.data)


def test_a_coded_invoice_is_looked_up_downloaded_and_printed_as_the_authority_coded_it(
    public_app: Flask, public: FlaskClient, world: dict[str, Any], auth: Any, engine: Engine, clock: Any, tmp_path: Path
) -> None:
    """Before its code: "Chờ cơ quan thuế cấp mã"; after: the code, the coded bytes everywhere, both signatures."""
    issued = issue(public_app, auth, "coded-1", "invoice", invoice_body(world))
    assert "Chờ cơ quan thuế cấp mã" in _page(public, issued)
    transmit(engine, simulated_authority(tmp_path / "data", clock), clock)
    coded, code = coded_record(engine, issued["id"])
    with engine.connect() as conn:
        as_issued = bytes(conn.execute(select(documents.c.xml).where(documents.c.id == issued["id"])).scalar_one())

    page = _page(public, issued)
    assert f"Đã được cơ quan thuế cấp mã {code}" in page
    assert "Chứng từ còn nguyên vẹn" in page, page
    assert "Chữ ký số của cơ quan thuế" in page
    assert "Chữ ký số của người bán" in page
    lookup = format_lookup_code(issued["lookup_code"])
    assert public.get(f"/tra-cuu/{lookup}/xml").data == coded
    assert b"<MCCQT" in coded
    assert as_issued != coded
    report = verify_document(coded, allow_development=True)
    assert report.valid
    assert {s.role for s in report.signatures} == {"NBan", "CQT"}

    record = public_app.test_client().get(f"/api/v1/documents/{issued['id']}/xml", headers=auth("finance"))
    assert (record.data, record.headers["Einvoice-Xml"]) == (coded, "coded")
    seller = public_app.test_client().get(
        f"/api/v1/documents/{issued['id']}/xml?version=issued", headers=auth("finance")
    )
    assert (seller.data, seller.headers["Einvoice-Xml"]) == (as_issued, "issued")

    for pdf in (
        public.get(f"/tra-cuu/{lookup}/pdf").data,
        public_app.test_client().get(f"/api/v1/documents/{issued['id']}/pdf", headers=auth("finance")).data,
    ):
        assert f"Mã của cơ quan thuế: {code}" in flat(pdf_text(pdf, tmp_path))


def test_the_document_resource_lists_its_messages_with_the_authority(
    public_app: Flask, world: dict[str, Any], auth: Any, engine: Engine, clock: Any, tmp_path: Path
) -> None:
    """The 200 we sent, then its 999 and 202 (answering its MTDiep), beside the state changes; the record is coded."""
    issued = issue(public_app, auth, "coded-2", "invoice", invoice_body(world))
    transmit(engine, simulated_authority(tmp_path / "data", clock), clock)
    detail = public_app.test_client().get(f"/api/v1/documents/{issued['id']}", headers=auth("finance")).get_json()
    _, code = coded_record(engine, issued["id"])
    assert (detail["authority_code"], detail["record"]) == (code, "coded")
    assert detail["issued_xml_url"] == f"/api/v1/documents/{issued['id']}/xml?version=issued"
    messages = detail["history"]["messages"]
    assert [(m["direction"], m["type"], m["outcome"]) for m in messages] == [
        ("sent", "200", "done"),
        ("received", "999", "received"),
        ("received", "202", "coded"),
    ]
    sent = messages[0]
    assert re.fullmatch(r"0109999999[0-9A-F]{32}", sent["message_id"])
    assert sent["answers"] is None
    assert all(m["answers"] == sent["message_id"] for m in messages[1:])
    assert messages[2]["authority_code"] == code
    assert sent["at"] is not None
    assert [e["action"] for e in detail["history"]["events"]] == ["issue", "send", "accept"]


def test_a_refused_invoice_shows_the_authority_s_reasons(
    public_app: Flask, public: FlaskClient, world: dict[str, Any], auth: Any, engine: Engine, clock: Any, tmp_path: Path
) -> None:
    """A 204 refusing the code: the page says so, with MLoi/MTLoi/HDXLy; the API lists the same reasons."""
    issued = issue(public_app, auth, "refused-1", "invoice", invoice_body(world, REFUSED_BUYER))
    transmit(engine, simulated_authority(tmp_path / "data", clock, refusing(REFUSED_BUYER.encode())), clock)
    page = _page(public, issued)
    assert "Cơ quan thuế từ chối cấp mã cho hóa đơn này" in page
    assert WRONG_BUYER.message_vi in page
    assert "mã lỗi 2001" in page
    assert "Cách xử lý: Sửa dữ liệu theo mô tả lỗi và gửi lại" in page
    assert "Đã được cơ quan thuế cấp mã" not in page
    detail = public_app.test_client().get(f"/api/v1/documents/{issued['id']}", headers=auth("finance")).get_json()
    final = detail["history"]["messages"][-1]
    assert (final["type"], final["outcome"]) == ("204", "rejected")
    assert final["reasons"][0]["code"] == "2001"
    assert WRONG_BUYER.message_vi in final["reasons"][0]["text"]
    assert detail["record"] == "issued"
    assert detail["authority_code"] is None


def test_a_receipt_says_whether_it_went_in_the_day_s_table(
    public_app: Flask, public: FlaskClient, world: dict[str, Any], auth: Any, engine: Engine, clock: Any, tmp_path: Path
) -> None:
    """Before the evening: waits for the day's table; after 20:00 the table goes and the authority takes it."""
    body = {"series_id": world["receipts"]["id"], "payer": {"name": "Trần Thị Bích"}, "fees": [{"code": "LP-KS"}]}
    issued = issue(public_app, auth, "receipt-1", "receipt", body)
    assert "Chưa gửi cơ quan thuế: biên lai sẽ được gửi trong bảng tổng hợp biên lai ngày 02/03/2026" in _page(
        public, issued
    )
    clock.value += timedelta(hours=11, minutes=1)  # 20:01 in Hà Nội: the day's table is due
    transmit(engine, simulated_authority(tmp_path / "data", clock), clock)
    page = _page(public, issued)
    assert "Cơ quan thuế đã tiếp nhận bảng tổng hợp biên lai ngày 02/03/2026 có biên lai này" in page
    assert "Chứng từ còn nguyên vẹn" in page, page
    detail = public_app.test_client().get(f"/api/v1/documents/{issued['id']}", headers=auth("finance")).get_json()
    assert [(m["type"], m["outcome"]) for m in detail["history"]["messages"]] == [
        ("212", "done"),
        ("999", "received"),
        ("204", "accepted"),
    ]


def test_the_coded_record_is_intact_only_by_chain_and_bytes(
    engine: Engine, world: dict[str, Any], auth: Any, clock: Any, tmp_path: Path
) -> None:
    """Without the authority's root the page cannot confirm the code's signer (amber); with it, intact; altered
    coded bytes are red. The authority's certificate is judged by its chain, never by its subject."""
    simulator = tmp_path / "simulator"  # the simulator's own folder: its root is not where the first app looks
    untrusting = make_public_app(engine, clock, tmp_path / "untrusting")
    trusting = make_public_app(engine, clock, tmp_path / "trusting")
    try:
        issued = issue(untrusting, auth, "chain-1", "invoice", invoice_body(world))
        transmit(engine, simulated_authority(simulator, clock), clock)
        page = _page(untrusting.test_client(), issued)
        assert "Chưa xác thực được chữ ký của cơ quan thuế" in page
        assert "Chứng từ còn nguyên vẹn" not in page

        root = authority_root_path(tmp_path / "trusting")
        root.parent.mkdir(parents=True)
        shutil.copy(authority_root_path(simulator), root)
        assert "Chứng từ còn nguyên vẹn" in _page(trusting.test_client(), issued)

        coded, code = coded_record(engine, issued["id"])
        altered = coded.replace(code.encode(), code[::-1].encode())
        assert altered != coded
        with engine.begin() as conn:
            conn.execute(update(coded_documents).values(xml=altered))
        page = _page(trusting.test_client(), issued)
        assert "Cảnh báo: chứng từ đã bị thay đổi" in page
        assert "Chứng từ còn nguyên vẹn" not in page
    finally:
        dispose(untrusting)
        dispose(trusting)


def test_xmlsec1_verifies_both_signatures_of_a_codedinvoice_body(
    public_app: Flask, world: dict[str, Any], auth: Any, engine: Engine, clock: Any, tmp_path: Path
) -> None:
    """xmlsec1, trusting the issuer's root and the authority's root (never a subject), verifies NBan and CQT."""
    binary = shutil.which("xmlsec1")
    assert binary is not None, "xmlsec1 is installed by scripts/test.sh"
    issued = issue(public_app, auth, "xmlsec-1", "invoice", invoice_body(world))
    transmit(engine, simulated_authority(tmp_path / "data", clock), clock)
    coded, _ = coded_record(engine, issued["id"])
    path = tmp_path / "coded.xml"
    path.write_bytes(coded)
    for slot, root in (("NBan", ROOT_CA), ("CQT", authority_root_path(tmp_path / "data"))):
        command = [binary, "--verify", "--id-attr:Id", "DLHDon", "--id-attr:Id", "MCCQT", "--trusted-pem", str(root)]
        command += ["--node-xpath", f"//*[local-name()='{slot}']/*[local-name()='Signature']", str(path)]
        result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)
        assert result.returncode == 0, (slot, result.stderr)
        assert "OK" in result.stdout + result.stderr
    tampered = coded.replace(">Giấy A4<".encode(), ">Giấy A5<".encode())
    assert tampered != coded
    path.write_bytes(tampered)
    command = [binary, "--verify", "--id-attr:Id", "DLHDon", "--id-attr:Id", "MCCQT", "--trusted-pem"]
    command += [str(authority_root_path(tmp_path / "data")), "--node-xpath"]
    command += ["//*[local-name()='CQT']/*[local-name()='Signature']", str(path)]
    assert subprocess.run(command, capture_output=True, text=True, check=False, timeout=60).returncode != 0
