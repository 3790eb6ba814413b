"""The finance day in Chromium: sign in, the chart, the day reconciled, the documents behind a figure, an XLSX export
with its progress bar downloaded and read back, a bank statement imported, the reports; by keyboard at 1366×768 and
by touch-size clicks at 390×844. axe-core must find no serious or critical violation; screenshots in test-artifacts/."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from counter import test_cashier_day
from counter.conftest import PASSWORDS
from counter.test_cashier_day import Day, _launch
from finance_pages.test_bank_and_reports import statement_for, transfer_receipts
from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import Engine

from einvoice.services import export_jobs
from einvoice.services.finance_list import FinanceFilter
from einvoice.web.runtime import settings_of

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "finance"
VIEWPORTS = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}


def _api_items(app: Flask, auth: Any, query: str) -> list[dict[str, Any]]:
    """Return every item of the finance API's list for ``query`` (pages of 100)."""
    client, items, page = app.test_client(), [], 1
    while True:
        body = client.get(f"/api/v1/finance/documents?{query}&per_page=100&page={page}", headers=auth("finance"))
        assert body.status_code == 200
        items += body.get_json()["items"]
        if len(items) >= body.get_json()["total"]:
            return items
        page += 1


@pytest.mark.parametrize(("size", "keyboard_only"), [("desktop", True), ("phone", False)])
def test_the_finance_day(
    counter_app: Flask,
    live_url: str,
    world: dict[str, Any],
    day: dict[str, Any],
    engine: Engine,
    auth: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    size: str,
    keyboard_only: bool,
) -> None:
    """Finance reconciles a day, exports and downloads the XLSX, imports a statement and opens the reports."""
    if engine.dialect.name != "postgresql":
        pytest.skip("the browser run uses PostgreSQL, the production database (the page tests cover SQLite)")
    sync_api = pytest.importorskip("playwright.sync_api")
    monkeypatch.setattr(test_cashier_day, "ARTIFACTS", ARTIFACTS)  # the shared Day helper writes screenshots there
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    iso = day["date"].isoformat()
    with sync_api.sync_playwright() as playwright:
        browser = _launch(playwright)
        try:
            context = browser.new_context(viewport=VIEWPORTS[size], locale="vi-VN", accept_downloads=True)
            run = Day(context.new_page(), size, keyboard_only)
            page, keys = run.page, run.page.keyboard
            run.open(live_url + "/dang-nhap", "username")
            keys.type(world["users"]["finance"]["username"])
            keys.press("Tab")
            keys.type(PASSWORDS["finance"])
            keys.press("Enter")
            page.wait_for_url("**/tai-chinh")
            assert page.locator("svg.chart rect[data-method]").count() > 0  # the chart is drawn
            assert page.locator("#so-lieu-bieu-do tbody tr").count() == 30
            run.check("01-home-30-days")
            run.choose("a[href='/tai-chinh?days=90']")
            page.wait_for_url("**days=90")
            run.check("02-home-90-days")

            run.choose(f"#so-lieu-bieu-do a[href*='day={iso}']")
            page.wait_for_url(f"**/tai-chinh/doi-soat?day={iso}")
            assert "thay thế" in page.inner_text("#cach-tinh")
            run.check("03-day-reconciled")

            run.choose("#bang-payment_methods tbody tr:has(th:text-is('Chuyển khoản')) td:nth-of-type(1) a")
            page.wait_for_url("**/tai-chinh/chung-tu?*payment_method=CK*")
            run.check("04-documents-behind-a-figure")

            run.choose("#xuat-xlsx")
            page.wait_for_url("**/tai-chinh/xuat/*")
            assert page.locator("progress#thanh-tien-do").count() == 1
            page.wait_for_selector("#tai-ve")  # the script reloads the page once the job is done
            assert page.get_attribute("#thanh-tien-do", "value") == "100"
            run.check("05-export-done")
            with page.expect_download() as info:
                run.choose("#tai-ve")
            saved = tmp_path / info.value.suggested_filename
            assert saved.suffix == ".xlsx"
            info.value.save_as(saved)
            sheet = load_workbook(saved).active
            assert sheet is not None
            header = [cell.value for cell in sheet[1]]
            rows = [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2, values_only=True)]
            items = _api_items(counter_app, auth, f"date_from={iso}&date_to={iso}&payment_method=CK&counted=true")
            assert {row["Mã chứng từ"] for row in rows} == {item["id"] for item in items}
            api_totals = {item["id"]: Decimal(str(item["total"])) for item in items}
            assert {row["Mã chứng từ"]: Decimal(str(row["Tổng tiền"])) for row in rows} == api_totals
            per_document: dict[int, Decimal] = {}
            for row in rows:
                per_document[row["Mã chứng từ"]] = per_document.get(row["Mã chứng từ"], Decimal(0)) + Decimal(
                    str(row["Thành tiền"])
                )
            assert per_document == api_totals  # the lines add up to each document's total

            owner = world["users"]["finance"]["id"]
            waiting = export_jobs.create_job(engine, owner, FinanceFilter(), "csv", day["now"]())
            page.goto(f"{live_url}/tai-chinh/xuat/{waiting}")
            assert page.get_attribute("#tien-do", "data-state") == "queued"
            run.check("06-export-waiting")
            export_jobs.run_job(engine, waiting, settings_of(counter_app).data_dir / "exports", day["now"])
            page.wait_for_selector("#tai-ve")  # no reload by the test: the page's script polled the job
            stopped = export_jobs.create_job(engine, owner, FinanceFilter(), "xlsx", day["now"]())
            page.goto(f"{live_url}/tai-chinh/xuat/{stopped}")
            run.choose("#huy")
            page.wait_for_selector("#tien-do[data-state='cancelled']")
            run.check("07-export-cancelled")

            page.goto(live_url + "/tai-chinh/sao-ke")
            page.select_option("#bank", "VCB")
            statement = statement_for(transfer_receipts(engine, world)[:2], day["date"])
            page.set_input_files("#statement", files=[{"name": "vcb.csv", "mimeType": "text/csv", "buffer": statement}])
            run.choose("#nhap")
            page.wait_for_selector("#ket-qua-nhap")
            assert "Đã nhập 3 dòng mới" in page.inner_text("#ket-qua-nhap")
            assert page.locator("#da-khop tbody tr").count() == 2
            run.check("08-bank-statement")
            page.select_option("#bank", "BIDV")
            page.set_input_files("#statement", files=[{"name": "x.xlsx", "mimeType": "text/plain", "buffer": b"no"}])
            run.choose("#nhap")
            page.wait_for_selector(".error-summary")
            assert page.title().startswith("Lỗi: ")
            run.check("09-bank-statement-unreadable")

            page.goto(f"{live_url}/tai-chinh/bao-cao/bang-tong-hop-bien-lai?day={iso}")
            assert page.locator("#bang-1 tbody tr").count() == 39
            run.check("10-receipt-table")
            href = page.get_attribute("#tai-pdf", "href")
            assert href is not None
            assert page.request.get(live_url + href).body().startswith(b"%PDF")
            page.goto(f"{live_url}/tai-chinh/bao-cao/su-dung?date_from={iso}&date_to={iso}")
            assert page.locator("#su-dung tbody tr").count() >= 2
            run.check("11-usage-report")
            page.goto(f"{live_url}/tai-chinh/chung-tu?paymentmethod=TM")
            assert "paymentmethod" in page.inner_text("#loi")
            run.check("12-unknown-filter")
        finally:
            browser.close()
