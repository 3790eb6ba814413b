"""A counter's cashiers correct each other's receipts of the day: the list shows them all, with who issued each."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from counter.conftest import PASSWORDS, form_fields, issue, sign_in
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select

from einvoice.services.accounts import create_user
from einvoice.storage.schema import documents


def _colleague(counter_app: Flask, engine: Engine, counter_id: int, name: str, full_name: str) -> FlaskClient:
    password = "mật-khẩu-đồng-nghiệp-" + full_name
    create_user(engine, username=name, full_name=full_name, role="cashier", counter_id=counter_id, password=password)
    client = counter_app.test_client()
    sign_in(client, name, password)
    return client


def _issued(client: FlaskClient, name: str) -> int:
    answer = issue(client, {"LP-CT": "3"}, payer_name=name)
    assert answer.status_code == 302, answer.get_data(as_text=True)[:1500]
    return int(answer.headers["Location"].rsplit("/", 1)[1])


def test_a_cashier_replaces_a_colleagues_receipt_of_the_same_counter(
    counter_app: Flask, cashier: FlaskClient, engine: Engine, world: dict[str, Any]
) -> None:
    """The day's list shows a colleague's receipt marked with their name; it opens, is replaced, and is printed."""
    colleague = _colleague(counter_app, engine, world["counter"]["id"], "thu.ngan.b", "Đỗ Thị Mai")
    theirs = _issued(colleague, "Hoàng Văn Nam")
    mine = _issued(cashier, "Trần Thị Bích")
    listed = cashier.get("/quay/sua-sai").get_data(as_text=True)
    assert f"/quay/bien-lai/{theirs}/thay-the" in listed
    rows = re.findall(r"<tr>(.*?)</tr>", listed, re.S)
    row_of = {n: next(r for r in rows if f"/quay/bien-lai/{n}/thay-the" in r) for n in (theirs, mine)}
    assert "Đỗ Thị Mai" in row_of[theirs]
    assert "(bạn)" not in row_of[theirs]
    assert "Lê Văn Cường (bạn)" in row_of[mine]

    url = f"/quay/bien-lai/{theirs}/thay-the"
    page = cashier.get(url)
    assert page.status_code == 200, page.get_data(as_text=True)[:800]
    text = page.get_data(as_text=True)
    assert 'value="Hoàng Văn Nam"' in text
    body = {**form_fields(text), "sl-LP-CT": "2", "payer_name": "Hoàng Văn Nam", "method": "TM"}
    body |= {"reason": "Ghi sai số bản", "confirmed": "1"}
    done = cashier.post(url, data=body)
    assert done.status_code == 302, done.get_data(as_text=True)[:1500]
    with engine.connect() as conn:
        state = conn.execute(select(documents.c.state).where(documents.c.id == theirs)).scalar_one()
    assert state == "replaced"
    assert cashier.get(f"/quay/bien-lai/{theirs}").status_code == 200
    assert cashier.get(f"/quay/bien-lai/{theirs}/pdf").status_code == 200


def test_the_widened_view_stops_at_the_counter_and_the_day(
    counter_app: Flask, cashier: FlaskClient, engine: Engine, world: dict[str, Any], clock: Any
) -> None:
    """Another counter's receipt stays unseen (404 on the counter pages); a colleague's of yesterday is not listed."""
    other = _colleague(counter_app, engine, world["other_counter"]["id"], "thu.ngan.c", "Vũ Văn Hải")
    colleague = _colleague(counter_app, engine, world["counter"]["id"], "thu.ngan.b", "Đỗ Thị Mai")
    theirs = _issued(colleague, "Hoàng Văn Nam")
    assert other.get("/quay/sua-sai").get_data(as_text=True).count(f"/quay/bien-lai/{theirs}/") == 0
    assert other.get(f"/quay/bien-lai/{theirs}").status_code == 404
    assert other.get(f"/quay/bien-lai/{theirs}/pdf").status_code == 404
    clock.value += timedelta(days=1)
    sign_in(cashier, world["users"]["cashier"]["username"], PASSWORDS["cashier"])
    assert f"/quay/bien-lai/{theirs}" not in cashier.get("/quay/sua-sai").get_data(as_text=True)
    assert cashier.get(f"/quay/bien-lai/{theirs}").status_code == 404
