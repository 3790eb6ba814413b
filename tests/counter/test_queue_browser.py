"""The one-stop queue and the form's error state in Chromium: find a request without diacritics, collect it by
keyboard, see it paid; an empty submit shows the error summary. axe-core on each state, screenshots kept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from counter.conftest import PASSWORDS
from counter.test_cashier_day import ARTIFACTS, VIEWPORTS, Day, _launch
from flask import Flask

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_collect_a_fee_request_and_see_an_error(
    counter_app: Flask, live_url: str, world: dict[str, Any], auth: Any, tmp_path: Path
) -> None:
    """A waiting request is found by unaccented name, opened pre-filled, issued by F8 and listed as paid."""
    sync_api = pytest.importorskip("playwright.sync_api")
    body = {
        "dossier_code": "000.00.21.H26-261202-0001",
        "payer": {"name": "Đỗ Thị Hương", "id_number": "001190000002"},
        "fees": [{"code": "LP-KS", "quantity": 1}],
    }
    created = counter_app.test_client().post("/api/v1/fee-requests", json=body, headers=auth("cashier"))
    assert created.status_code == 201
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = _launch(playwright)
        try:
            day = Day(browser.new_page(viewport=VIEWPORTS["desktop"]), "queue", keyboard_only=True)
            page, keys = day.page, day.page.keyboard
            day.open(live_url + "/dang-nhap", "username")
            keys.type(world["users"]["cashier"]["username"])
            keys.press("Tab")
            keys.type(PASSWORDS["cashier"])
            keys.press("Enter")
            page.wait_for_url("**/quay")

            keys.press("F8")  # nothing chosen: the server answers with the error summary
            page.wait_for_selector(".error-summary")
            assert page.title().startswith("Lỗi: ")
            day.check("01-error-summary")

            day.open(live_url + "/quay/ho-so", "tim-ho-so")
            keys.type("do thi huong")
            keys.press("Enter")
            page.wait_for_url("**tim=do+thi+huong*")
            assert page.is_visible("text=000.00.21.H26-261202-0001")
            day.check("02-queue-search")
            day.choose("a.button.primary")
            page.wait_for_url("**yeu-cau=*")
            assert page.input_value("#payer_name") == "Đỗ Thị Hương"
            assert page.input_value("#sl-LP-KS") == "1"
            day.check("03-prefilled")
            keys.press("F8")
            page.wait_for_url("**/quay/bien-lai/*")
            assert "Đã lập biên lai số 1" in page.inner_text("h1")

            page.goto(live_url + "/quay/ho-so?trang-thai=paid")
            assert page.is_visible("text=000.00.21.H26-261202-0001")
            day.check("04-queue-paid")
        finally:
            browser.close()
    read = counter_app.test_client().get(created.headers["Location"], headers=auth("finance")).get_json()
    assert read["state"] == "paid"
