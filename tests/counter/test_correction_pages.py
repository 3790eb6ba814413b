"""Correcting at the counter through the Flask client: replace a receipt made by mistake, notify a soft error, and
the plain Vietnamese refusals for another counter's receipt, yesterday's, or one of a closed shift."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from counter.conftest import PASSWORDS, csrf_of, form_fields, issue, sign_in
from flask import Flask
from flask.testing import FlaskClient
from render.pdftools import pdf_text
from sqlalchemy import Engine, func, select

from einvoice.services import catalogue
from einvoice.services.accounts import create_user
from einvoice.storage.schema import documents, error_notices

REASON = "Ghi sai họ tên người nộp và số bản"


def _id(location: str) -> int:
    found = re.search(r"/quay/bien-lai/(\d+)$", location)
    assert found is not None, location
    return int(found.group(1))


def _issued(client: FlaskClient, name: str = "Trần Thị Bich", quantity: str = "3") -> int:
    answer = issue(client, {"LP-CT": quantity}, payer_name=name, payer_id="001190000001", payer_address="Xã An Khánh")
    assert answer.status_code == 302, answer.get_data(as_text=True)[:1500]
    return _id(answer.headers["Location"])


def _replacement_body(page: str, **changes: str) -> dict[str, str]:
    body = {
        **form_fields(page),
        "sl-LP-CT": "2",
        "payer_name": "Trần Thị Bích",
        "payer_id": "001190000001",
        "payer_address": "Xã An Khánh",
        "method": "TM",
        "reason": REASON,
    }
    return {**body, **changes}


def _notice_body(page: str, **data: Any) -> dict[str, Any]:
    key = re.search(r'id="form_key" name="form_key" type="hidden" value="([^"]+)"', page)
    assert key is not None, page[:1500]
    return {"csrf_token": csrf_of(page), "form_key": key.group(1), **data}


def _ids_unique(page: str) -> bool:
    ids = re.findall(r'\sid="([^"]+)"', page)
    return len(ids) == len(set(ids))


def _state(engine: Engine, document_id: int) -> str:
    with engine.connect() as conn:
        return str(conn.execute(select(documents.c.state).where(documents.c.id == document_id)).scalar_one())


def _count(engine: Engine, table: Any = documents) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_replace_a_receipt_made_by_mistake(cashier: FlaskClient, engine: Engine, tmp_path: Path) -> None:
    """Today's list → the form filled from the original → reason required → confirmation → a new signed receipt;
    the original shows it was replaced and by which; the shift counts the replacement only; a resubmit is a no-op."""
    original = _issued(cashier)
    listed = cashier.get("/quay/sua-sai?tim=tran thi").get_data(as_text=True)
    assert f"/quay/bien-lai/{original}/thay-the" in listed
    assert "Trần Thị Bich" in cashier.get("/quay/sua-sai?tim=1").get_data(as_text=True)
    assert "Không có biên lai nào" in cashier.get("/quay/sua-sai?tim=nguyen").get_data(as_text=True)

    page = cashier.get(f"/quay/bien-lai/{original}/thay-the").get_data(as_text=True)
    assert 'value="Trần Thị Bich"' in page
    assert re.search(r'name="sl-LP-CT"\s+value="3"', page)
    assert 'value="001190000001"' in page
    assert _ids_unique(page)
    assert _ids_unique(listed)

    url = f"/quay/bien-lai/{original}/thay-the"
    missing = cashier.post(url, data=_replacement_body(page, reason=""))
    assert missing.status_code == 422
    text = missing.get_data(as_text=True)
    assert '<p class="field-error" id="reason-loi">Lỗi: Nhập lý do thay thế biên lai</p>' in text
    assert text.count("<title>Lỗi: ") == 1

    confirm = cashier.post(url, data=_replacement_body(page))
    assert confirm.status_code == 200
    shown = confirm.get_data(as_text=True)
    assert "Thay thế biên lai số 1" in shown
    assert re.search(r'id="so-tien-moi">4\.000', shown)
    assert _count(engine) == 1  # the confirmation issues nothing
    assert 'name="confirmed" type="hidden" value="1"' in shown
    assert _ids_unique(shown)

    body = _replacement_body(page, confirmed="1")
    done = cashier.post(url, data=body)
    assert done.status_code == 302, done.get_data(as_text=True)[:1500]
    again = cashier.post(url, data=body)
    assert again.headers["Location"] == done.headers["Location"]
    new = _id(done.headers["Location"])
    assert _count(engine) == 2
    with engine.connect() as conn:
        row = conn.execute(select(documents).where(documents.c.id == new)).mappings().one()
    assert (row["corrects_id"], row["correction"], row["number"]) == (original, "replacement", 2)
    assert _state(engine, original) == "replaced"

    new_page = cashier.get(f"/quay/bien-lai/{new}").get_data(as_text=True)
    assert "Đã lập biên lai số 2" in new_page
    assert "Thay thế biên lai số" in new_page
    old_page = cashier.get(f"/quay/bien-lai/{original}").get_data(as_text=True)
    assert "đã bị thay thế bởi biên lai số" in old_page
    assert f'href="/quay/bien-lai/{new}">2</a>' in old_page
    assert 'id="thay-the"' not in old_page  # a replaced receipt offers no correction
    assert _ids_unique(old_page)
    assert _ids_unique(new_page)
    printed = pdf_text(cashier.get(f"/quay/bien-lai/{new}/pdf").data, tmp_path)
    assert "Trần Thị Bích" in printed
    assert "4.000" in printed

    shift = cashier.get("/quay/ca").get_data(as_text=True)
    assert re.search(r'id="tien-phai-co">4\.000', shift)
    assert "Biên lai bị thay thế trong ca" in shift
    assert cashier.get(url).status_code == 409  # replaced already: refused, with the lifecycle's reason


def test_the_replacement_form_keeps_input_and_names_the_field(cashier: FlaskClient, engine: Engine) -> None:
    """A wrong quantity or a too long reason comes back at its field in Vietnamese, the input kept, nothing issued."""
    original = _issued(cashier)
    url = f"/quay/bien-lai/{original}/thay-the"
    page = cashier.get(url).get_data(as_text=True)
    answer = cashier.post(url, data=_replacement_body(page, **{"sl-LP-CT": "-1", "reason": "x" * 300}))
    assert answer.status_code == 422
    text = answer.get_data(as_text=True)
    assert "Số lượng phải là một số từ 0 đến 10.000" in text
    assert "Lý do dài tối đa 255 ký tự" in text
    assert 'value="Trần Thị Bích"' in text
    back = cashier.post(url, data=_replacement_body(page, sua="1"))
    assert back.status_code == 200
    assert "Xem lại trước khi thay thế" in back.get_data(as_text=True)
    assert _count(engine) == 1


def test_an_error_notice_for_a_soft_error(cashier: FlaskClient, engine: Engine, clock: Any) -> None:
    """Soft errors only, reason required; recorded once per form; the receipt shows the notice and its status."""
    original = _issued(cashier)
    url = f"/quay/bien-lai/{original}/sai-sot"
    page = cashier.get(url).get_data(as_text=True)
    assert "Sai tên người nộp" in page
    assert "Sai số tiền bằng chữ" in page
    assert _ids_unique(page)
    empty = cashier.post(url, data=_notice_body(page, reason=""))
    assert empty.status_code == 422
    text = empty.get_data(as_text=True)
    assert "Lỗi: Chọn ít nhất một sai sót" in text
    assert "Lỗi: Nhập nội dung sai sót và thông tin đúng" in text
    amounts = cashier.post(url, data=_notice_body(page, soft_errors=["amount"], reason="Sai số tiền"))
    assert amounts.status_code == 422
    assert "sai số tiền hoặc khoản thu phải thay thế biên lai" in amounts.get_data(as_text=True)
    assert _count(engine, error_notices) == 0

    body = _notice_body(page, soft_errors=["buyer_name"], reason="Tên đúng là Trần Thị Bích")
    first = cashier.post(url, data=body)
    second = cashier.post(url, data=body)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"] == f"/quay/bien-lai/{original}#sai-sot"
    assert _count(engine, error_notices) == 1
    assert _state(engine, original) == "explained"
    shown = cashier.get(f"/quay/bien-lai/{original}").get_data(as_text=True)
    assert "04/SS-CTĐT" in shown
    assert "Sai tên người nộp; Tên đúng là Trần Thị Bích" in shown
    assert "Đang chờ gửi cơ quan thuế" in shown  # signed and queued for the authority with the notice


def _other_counter_receipt(counter_app: Flask, engine: Engine, world: dict[str, Any]) -> int:
    other = world["other_counter"]["id"]
    catalogue.create_series(
        engine, issuer_id=world["issuer"]["id"], kind="receipt", template="EBL01", symbol="26TAB", counter_id=other
    )
    name, password = "thu.ngan2", "mật-khẩu-quầy-2"
    create_user(engine, username=name, full_name="Đỗ Thị Mai", role="cashier", counter_id=other, password=password)
    colleague = counter_app.test_client()
    sign_in(colleague, name, password)
    return _issued(colleague, name="Hoàng Văn Nam")


def test_another_counters_receipt_is_refused_in_vietnamese(
    counter_app: Flask, cashier: FlaskClient, engine: Engine, world: dict[str, Any]
) -> None:
    """A cashier opening or posting a correction of another counter's receipt gets a 403 saying who can help."""
    theirs = _other_counter_receipt(counter_app, engine, world)
    for path in (f"/quay/bien-lai/{theirs}/thay-the", f"/quay/bien-lai/{theirs}/sai-sot"):
        answer = cashier.get(path)
        assert answer.status_code == 403
        assert "do quầy của mình lập trong ngày hôm nay" in answer.get_data(as_text=True)
    page = cashier.get("/quay").get_data(as_text=True)
    body = {**form_fields(page), "sl-LP-CT": "1", "payer_name": "A", "method": "TM", "reason": "r", "confirmed": "1"}
    posted = cashier.post(f"/quay/bien-lai/{theirs}/thay-the", data=body)
    assert posted.status_code == 403
    notice = cashier.get(f"/quay/bien-lai/{_issued(cashier)}/sai-sot").get_data(as_text=True)
    data = _notice_body(notice, soft_errors=["buyer_name"], reason="Tên sai")
    assert cashier.post(f"/quay/bien-lai/{theirs}/sai-sot", data=data).status_code == 403
    assert _state(engine, theirs) == "issued"
    assert _count(engine) == 2
    assert _count(engine, error_notices) == 0


def test_yesterdays_receipt_is_refused(cashier: FlaskClient, engine: Engine, clock: Any, world: dict[str, Any]) -> None:
    """The next day, the cashier's own receipt can be neither replaced nor noticed at the counter (finance's work)."""
    original = _issued(cashier)
    clock.value += timedelta(days=1)
    sign_in(cashier, world["users"]["cashier"]["username"], PASSWORDS["cashier"])  # yesterday's session has ended
    for path in (f"/quay/bien-lai/{original}/thay-the", f"/quay/bien-lai/{original}/sai-sot"):
        answer = cashier.get(path)
        assert answer.status_code == 403
        assert "Biên lai của quầy khác hoặc của ngày trước" in answer.get_data(as_text=True)
    page = cashier.get("/quay").get_data(as_text=True)  # a fresh form: its CSRF token and a key
    replaced = cashier.post(f"/quay/bien-lai/{original}/thay-the", data=_replacement_body(page, confirmed="1"))
    assert replaced.status_code == 403
    data = _notice_body(page, soft_errors=["buyer_address"], reason="Địa chỉ đúng là xã Yên Trung")
    assert cashier.post(f"/quay/bien-lai/{original}/sai-sot", data=data).status_code == 403
    assert _state(engine, original) == "issued"
    assert (_count(engine), _count(engine, error_notices)) == (1, 0)
    assert f"/quay/bien-lai/{original}/" not in cashier.get("/quay/sua-sai").get_data(as_text=True)


def test_a_receipt_of_a_closed_shift_is_not_replaced_at_the_counter(cashier: FlaskClient, engine: Engine) -> None:
    """Once its shift is closed, the money is settled: the counter refuses the replacement (409), in Vietnamese."""
    original = _issued(cashier)
    page = cashier.get(f"/quay/bien-lai/{original}/thay-the").get_data(as_text=True)
    shift = cashier.get("/quay/ca").get_data(as_text=True)
    close = re.search(r"/quay/ca/(\d+)/dong", shift)
    assert close is not None
    token = csrf_of(shift)
    closed = cashier.post(close.group(0), data={"csrf_token": token, "cash_counted": "6000", "confirmed": "1"})
    assert closed.status_code == 302
    answer = cashier.get(f"/quay/bien-lai/{original}/thay-the")
    assert answer.status_code == 409
    assert "thuộc ca đã đóng" in answer.get_data(as_text=True)
    posted = cashier.post(f"/quay/bien-lai/{original}/thay-the", data=_replacement_body(page, confirmed="1"))
    assert posted.status_code == 409
    assert _state(engine, original) == "issued"
    assert _count(engine) == 1
    view = cashier.get(closed.headers["Location"]).get_data(as_text=True)
    assert re.search(r'id="tien-phai-co">6\.000', view)
