"""The counter pages through the Flask client: sign in, issue in one submit, confirmation, print, shift close."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from counter.conftest import PASSWORDS, VIETQR, csrf_of, form_fields, issue, sign_in, zbar_png
from flask import Flask
from flask.testing import FlaskClient
from render.pdftools import pdf_text
from sqlalchemy import Engine, func, select

from einvoice.domain.vietqr import Transfer, encode
from einvoice.storage.schema import counter_payments, documents


def test_signed_in_users_are_sent_to_their_work_and_others_to_the_lookup(
    counter_app: Flask, world: dict[str, Any]
) -> None:
    """`/` sends a cashier to the counter, finance to finance, admin to settings, anyone else to the lookup page."""
    anonymous = counter_app.test_client()
    assert anonymous.get("/").headers["Location"].endswith("/tra-cuu")
    for role, target in (("cashier", "/quay"), ("finance", "/tai-chinh"), ("admin", "/quan-tri")):
        client = counter_app.test_client()
        sign_in(client, world["users"][role]["username"], PASSWORDS[role])
        assert client.get("/").headers["Location"].endswith(target)
        assert client.get(target).status_code == 200


def test_unknown_pages_get_a_vietnamese_404_and_the_api_keeps_json(counter_app: Flask) -> None:
    """An unknown page answers a Vietnamese HTML 404; an unknown API path still answers the JSON error shape."""
    page = counter_app.test_client().get("/khong-co-trang-nay")
    assert page.status_code == 404
    assert page.mimetype == "text/html"
    assert "Không tìm thấy trang" in page.get_data(as_text=True)
    api = counter_app.test_client().get("/api/v1/khong-co")
    assert api.status_code == 404
    assert api.get_json()["code"] == "not_found"


def test_wrong_password_is_refused_on_the_page(counter_app: Flask, world: dict[str, Any]) -> None:
    """A wrong password shows the form again with an error, and no session."""
    client = counter_app.test_client()
    token = csrf_of(client.get("/dang-nhap").get_data(as_text=True))
    answer = client.post("/dang-nhap", data={"csrf_token": token, "username": "thu.ngan", "password": "sai"})
    assert answer.status_code == 400
    assert "Lỗi: Đăng nhập" in answer.get_data(as_text=True)
    assert client.get("/quay").status_code == 302


def test_a_form_without_its_csrf_token_is_refused(cashier: FlaskClient, engine: Engine) -> None:
    """Posting the issuing form without the CSRF token issues nothing."""
    answer = cashier.post(
        "/quay/bien-lai", data={"sl-LP-KS": "1", "payer_name": "A", "method": "TM", "form_key": "k" * 20}
    )
    assert answer.status_code == 400
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(documents)).scalar_one() == 0


def test_issue_a_cash_receipt_and_print_it(cashier: FlaskClient, engine: Engine, tmp_path: Path) -> None:
    """One submit issues a numbered receipt; the confirmation shows number and lookup code; the PDF is the receipt."""
    answer = issue(cashier, {"LP-CT": "3"}, payer_name="Trần Thị Bích", payer_id="001190000001")
    assert answer.status_code == 302, answer.get_data(as_text=True)[:2000]
    page = cashier.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Đã lập biên lai số 1" in page
    code = re.search(r'id="ma-tra-cuu">([^<]+)<', page)
    assert code is not None
    pdf = cashier.get(answer.headers["Location"] + "/pdf")
    assert pdf.mimetype == "application/pdf"
    assert pdf.headers["X-Frame-Options"] == "SAMEORIGIN"
    text = pdf_text(pdf.data, tmp_path)
    assert "Trần Thị Bích" in text
    assert "6.000" in text
    assert code.group(1) in text
    assert "BẢN SAO" not in text
    copy = pdf_text(cashier.get(answer.headers["Location"] + "/pdf?ban-sao=1").data, tmp_path)
    assert "BẢN SAO" in copy


def test_a_repeated_submit_issues_once(cashier: FlaskClient, engine: Engine) -> None:
    """Submitting the same form twice (same key) answers with the first receipt and takes one number."""
    page = cashier.get("/quay").get_data(as_text=True)
    body = {**form_fields(page), "sl-LP-KS": "1", "payer_name": "Lê Thị Hoa", "method": "TM"}
    first = cashier.post("/quay/bien-lai", data=body)
    second = cashier.post("/quay/bien-lai", data=body)
    assert first.headers["Location"] == second.headers["Location"]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(documents)).scalar_one() == 1


def test_a_transfer_shows_the_vietqr_the_encoder_makes(cashier: FlaskClient, engine: Engine, tmp_path: Path) -> None:
    """A transfer's confirmation shows a VietQR whose decoded string is the encoder's, for the exact amount."""
    answer = issue(cashier, {"LP-KS": "1"}, payer_name="Nguyễn Văn An", method="CK")
    location = answer.headers["Location"]
    page = cashier.get(location).get_data(as_text=True)
    assert "LP 26TAA 1" in page
    png = cashier.get(location + "/vietqr.png")
    assert png.mimetype == "image/png"
    expected = encode(Transfer(VIETQR["VIETQR_BANK_BIN"], VIETQR["VIETQR_ACCOUNT"], Decimal(8000), "LP 26TAA 1"))
    assert zbar_png(png.data, tmp_path) == expected


def test_cash_and_transfer_split_and_shift_close_with_a_difference(
    cashier: FlaskClient, engine: Engine, tmp_path: Path
) -> None:
    """Both methods split the total; closing records cash counted vs expected; a closed shift is read-only."""
    issue(cashier, {"LP-CT": "1"}, payer_name="A Một", method="TM")  # 2 000 cash
    issue(cashier, {"LP-KS": "1"}, payer_name="B Hai", method="TM/CK", cash_part="3000")  # 3 000 cash + 5 000
    bad = issue(cashier, {"LP-KS": "1"}, payer_name="C Ba", method="TM/CK", cash_part="9000")
    assert bad.status_code == 422
    assert "Lỗi:" in bad.get_data(as_text=True)
    with engine.connect() as conn:
        parts = conn.execute(select(counter_payments.c.cash, counter_payments.c.transfer)).all()
    assert sorted(parts) == [(Decimal(2000), Decimal(0)), (Decimal(3000), Decimal(5000))]
    page = cashier.get("/quay/ca").get_data(as_text=True)
    shift_id = re.search(r"/quay/ca/(\d+)/dong", page)
    assert shift_id is not None
    url = f"/quay/ca/{shift_id.group(1)}/dong"
    confirm = cashier.post(url, data={"csrf_token": csrf_of(page), "cash_counted": "4500"})
    assert "Xác nhận đóng ca" in confirm.get_data(as_text=True)
    assert "-500" in confirm.get_data(as_text=True)
    closed = cashier.post(url, data={"csrf_token": csrf_of(page), "cash_counted": "4500", "confirmed": "1"})
    assert closed.status_code == 302
    view = cashier.get(closed.headers["Location"]).get_data(as_text=True)
    assert "Ca đã đóng" in view
    assert "cash_counted" not in view
    again = cashier.post(url, data={"csrf_token": csrf_of(page), "cash_counted": "9999", "confirmed": "1"})
    assert again.status_code == 302
    report = pdf_text(cashier.get(closed.headers["Location"] + "/bao-cao.pdf").data, tmp_path)
    assert "BÁO CÁO CA THU PHÍ" in report
    for figure in ("4.500", "5.000", "-500"):
        assert figure in report
    assert cashier.get("/quay/ca").get_data(as_text=True).count("Quầy chưa có ca đang mở") == 1


def test_recently_used_fees_are_listed_first(cashier: FlaskClient) -> None:
    """After a receipt for LP-KS, the counter lists LP-KS before LP-CT (which sorts first by code)."""
    first = cashier.get("/quay").get_data(as_text=True)
    assert first.index('id="sl-LP-CT"') < first.index('id="sl-LP-KS"')
    issue(cashier, {"LP-KS": "1"}, payer_name="Lê Thị Hoa")
    after = cashier.get("/quay").get_data(as_text=True)
    assert after.index('id="sl-LP-KS"') < after.index('id="sl-LP-CT"')


def test_the_api_issue_answer_links_the_printable_pdf(
    counter_app: Flask, world: dict[str, Any], auth: Any, tmp_path: Path
) -> None:
    """The issue response names pdf_url; with the caller's token it is the receipt (roll on request, copy marked)."""
    client = counter_app.test_client()
    body = {"series_id": world["receipts"]["id"], "payer": {"name": "Trần Thị Bích"}, "fees": [{"code": "LP-KS"}]}
    issued = client.post("/api/v1/receipts", json=body, headers=auth("cashier", "pdf-link")).get_json()
    assert issued["pdf_url"] == f"/api/v1/documents/{issued['id']}/pdf"
    assert client.get(issued["pdf_url"]).status_code == 401
    pdf = client.get(issued["pdf_url"] + "?layout=roll80&copy=true", headers=auth("finance"))
    assert pdf.mimetype == "application/pdf"
    text = pdf_text(pdf.data, tmp_path)
    assert "Trần Thị Bích" in text
    assert "BẢN SAO" in text
    bad = client.get(issued["pdf_url"] + "?layout=a3", headers=auth("finance"))
    assert bad.status_code == 422
