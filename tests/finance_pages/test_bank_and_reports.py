"""Bank statements and reports as pages: a statement imports once and explains each match; the day's receipts table
and the usage report show the services' rows and read back the same as CSV, XLSX and PDF."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from counter.conftest import csrf_of
from finance_pages.test_pages import amount, parsed
from flask.testing import FlaskClient
from openpyxl import load_workbook
from render.pdftools import pdf_text
from sqlalchemy import Engine, select

from einvoice.services.ledger import catch_up
from einvoice.services.usage import usage
from einvoice.storage.schema import documents, finance_facts


def statement_for(receipts: list[Any], day: Any) -> bytes:
    """Return a Vietcombank CSV statement paying ``receipts`` by their reference, plus one foreign credit."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["SAO KÊ TÀI KHOẢN"])
    writer.writerow(["Ngày giao dịch", "Số tham chiếu", "Số tiền ghi nợ", "Số tiền ghi có", "Mô tả"])
    for i, r in enumerate(receipts):
        writer.writerow([day.strftime("%d/%m/%Y"), f"5243.{i:05d}", "", f"{r.total:,}", f"LP {r.series} {r.number} CK"])
    writer.writerow([day.strftime("%d/%m/%Y"), "5243.99999", "", "5,000,000", "TRA LUONG THANG 2"])
    writer.writerow(["Tổng"])
    return ("\ufeff" + out.getvalue()).encode()


def transfer_receipts(engine: Engine, world: dict[str, Any]) -> list[Any]:
    """Return the world's first series' receipts paid by transfer alone (their references are unique)."""
    catch_up(engine)
    d = documents.c
    with engine.connect() as conn:
        return conn.execute(
            select(d.id, d.series, d.number, d.total)
            .join(finance_facts, finance_facts.c.document_id == d.id)
            .where(finance_facts.c.payment_method == "CK", d.state == "issued", d.series_id == world["receipts"]["id"])
            .order_by(d.id)
        ).all()


def test_bank_statement_imports_once_and_explains(
    finance: FlaskClient, day: dict[str, Any], engine: Engine, world: dict[str, Any]
) -> None:
    """Matched lines name their receipt and why; the foreign credit is unmatched; a second import changes nothing."""
    receipts = transfer_receipts(engine, world)[:2]
    assert len(receipts) == 2
    data = statement_for(receipts, day["date"])

    def upload() -> Any:
        token = csrf_of(finance.get("/tai-chinh/sao-ke").get_data(as_text=True))
        body = {"csrf_token": token, "bank": "VCB", "statement": (io.BytesIO(data), "vcb.csv")}
        answer = finance.post("/tai-chinh/sao-ke", data=body, content_type="multipart/form-data")
        assert answer.status_code == 302, answer.get_data(as_text=True)[:800]
        return parsed(finance, answer.headers["Location"])

    first = upload()
    assert "Đã nhập 3 dòng mới" in first.xpath("string(//*[@id='ket-qua-nhap'])")
    matched = first.xpath("//table[@id='da-khop']/tbody/tr")
    assert len(matched) == 2
    assert all("Khớp" in r.xpath("string(td[6])") for r in matched)
    assert {r.xpath("string(td[5])") for r in matched} == {f"EBL01/{r.series} số {r.number}" for r in receipts}
    unmatched = first.xpath("//table[@id='chua-khop']/tbody/tr")
    assert [r.xpath("string(td[5])") for r in unmatched] == ["Không thuộc biên lai nào"]
    unpaid = {r.xpath("string(td[1])") for r in first.xpath("//table[@id='chua-nhan-tien']/tbody/tr")}
    assert not unpaid & {f"EBL01/{r.series} số {r.number}" for r in receipts}
    again = upload()
    assert "Đã nhập 0 dòng mới; 3 dòng đã có" in again.xpath("string(//*[@id='ket-qua-nhap'])")
    assert len(again.xpath("//table[@id='da-khop']/tbody/tr")) == 2


def test_unreadable_statement_is_named_not_a_500(finance: FlaskClient, day: dict[str, Any]) -> None:
    """A file that is not a statement of the chosen layout shows the form again with the problem beside the file."""
    token = csrf_of(finance.get("/tai-chinh/sao-ke").get_data(as_text=True))
    for name, content in (("x.xlsx", b"not a workbook"), ("x.csv", b"\xff\xfe\x00bad")):
        body = {"csrf_token": token, "bank": "BIDV", "statement": (io.BytesIO(content), name)}
        answer = finance.post("/tai-chinh/sao-ke", data=body, content_type="multipart/form-data")
        assert answer.status_code == 422
        page = answer.get_data(as_text=True)
        assert "Không đọc được sao kê" in page
        assert "<title>Lỗi: " in page


def test_receipt_table_of_the_day(finance: FlaskClient, day: dict[str, Any], engine: Engine, tmp_path: Any) -> None:
    """Every receipt of the day has its row (replacements marked); CSV, XLSX and PDF hold the same rows."""
    with engine.connect() as conn:
        stored = conn.execute(select(documents.c.total, documents.c.corrects_id)).all()
    url = f"/tai-chinh/bao-cao/bang-tong-hop-bien-lai?day={day['date'].isoformat()}"
    tree = parsed(finance, url)
    rows = tree.xpath("//table[@id='bang-1']/tbody/tr")
    assert len(rows) == len(stored) == 39
    assert sum(amount(r.xpath("string(td[7])")) for r in rows) == sum(t for t, _ in stored)
    text = finance.get(url + "&format=csv").get_data(as_text=True)
    read = list(csv.DictReader(io.StringIO(text[1:])))
    assert len(read) == 39
    assert sum(Decimal(r["(7) Số tiền"]) for r in read) == sum(t for t, _ in stored)
    sheet = load_workbook(io.BytesIO(finance.get(url + "&format=xlsx").get_data())).active
    assert sheet is not None
    assert sheet.max_row == 40
    pdf = finance.get(url + "&format=pdf")
    assert pdf.mimetype == "application/pdf"
    printed = pdf_text(pdf.get_data(), tmp_path)
    assert "01/TH-BLĐT" in printed
    assert "BẢNG TỔNG HỢP DỮ LIỆU BIÊN LAI ĐIỆN TỬ" in printed


def test_usage_report(finance: FlaskClient, day: dict[str, Any], engine: Engine, tmp_path: Any) -> None:
    """The usage page shows the service's used/replaced counts per series; its PDF prints them."""
    expected = usage(engine, day["date"], day["date"])
    url = f"/tai-chinh/bao-cao/su-dung?date_from={day['date'].isoformat()}&date_to={day['date'].isoformat()}"
    tree = parsed(finance, url)
    rows = tree.xpath("//table[@id='su-dung']/tbody/tr")
    shown = {
        (r.xpath("string(td[3])"), r.xpath("string(td[4])")): (r.xpath("string(td[7])"), r.xpath("string(td[8])"))
        for r in rows
    }
    assert shown == {(u.template, u.symbol): (str(u.used), str(u.replaced)) for u in expected}
    assert sum(u.replaced for u in expected) == 3
    assert "(5) Số đã sử dụng trong kỳ" in tree.xpath("string(//table[@id='su-dung']/thead)")
    read = list(csv.DictReader(io.StringIO(finance.get(url + "&format=csv").get_data(as_text=True)[1:])))
    assert [int(r["Số đã sử dụng trong kỳ"]) for r in read] == [u.used for u in expected]
    printed = pdf_text(finance.get(url + "&format=pdf").get_data(), tmp_path)
    assert "TÌNH HÌNH SỬ DỤNG BIÊN LAI, HÓA ĐƠN" in printed
