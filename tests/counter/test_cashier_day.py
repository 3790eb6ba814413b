"""The cashier's day in Chromium: sign in, three receipts (cash, transfer with VietQR, both), a search without
diacritics, a reprint, a replacement, an error notice, the shift closed with a cash difference; at 1366×768 by
keyboard only, and at tablet size. What the print button prints is checked to be the PDF of the stored document.
Screenshots go to test-artifacts/; axe-core must find no serious or critical violation on any page state."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from counter.conftest import PASSWORDS, VIETQR, zbar_png
from public.lookup_support import PUBLIC_BASE_URL
from render.pdftools import pdf_qr, pdf_text

from einvoice.domain.lookup import format_lookup_code
from einvoice.domain.vietqr import Transfer, encode
from einvoice.render.context import format_number
from einvoice.services.queries import StoredDocument, find_by_lookup_code
from einvoice.xmldoc.parse import parse_document

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "counter"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
VIEWPORTS = {"desktop": {"width": 1366, "height": 768}, "tablet": {"width": 820, "height": 1180}}


class Day:
    """One run of the day: the page, where screenshots go, whether only the keyboard may be used."""

    def __init__(self, page: Any, name: str, keyboard_only: bool) -> None:
        from axe_playwright_python.sync_playwright import Axe

        self.page, self.name, self.keyboard_only, self.axe = page, name, keyboard_only, Axe()

    def check(self, label: str) -> None:
        """Screenshot the page and run axe-core on it: no serious or critical violation."""
        self.page.screenshot(path=str(ARTIFACTS / f"{self.name}-{label}.png"), full_page=True)
        violations = self.axe.run(self.page).response["violations"]
        bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in violations]
        assert [v for v in bad if v[1] in ("serious", "critical")] == [], label

    def open(self, url: str, focused: str) -> None:
        """Go to ``url`` and wait until the page's autofocus has put the caret in ``#focused`` (Chromium applies
        autofocus a moment after the load event; keys typed before that are lost)."""
        self.page.goto(url)
        self.page.wait_for_function("id => document.activeElement && document.activeElement.id === id", arg=focused)

    def choose(self, selector: str) -> None:
        """Activate a control: by keyboard (focus, then Enter/Space) in the keyboard run, by click otherwise."""
        if self.keyboard_only:
            self.page.focus(selector)
            self.page.keyboard.press("Space" if "radio" in selector else "Enter")
        else:
            self.page.click(selector)

    def receipt(self, search: str, quantity: str, payer: str, method_steps: int, cash: str | None = None) -> str:
        """Issue one receipt from the counter page; return the confirmation page's URL."""
        page, keys = self.page, self.page.keyboard
        assert page.evaluate("document.activeElement.id") == "tim"  # focus starts in the fee search
        keys.type(search)
        keys.press("Enter")  # the single match is picked and its quantity focused
        assert page.evaluate("document.activeElement.name").startswith("sl-")
        keys.type(quantity)
        keys.press("F4")
        keys.type(payer)
        for _ in range(4):
            keys.press("Tab")  # → ID, address, dossier code, payment
        for _ in range(method_steps):
            keys.press("ArrowRight")
        if cash is not None:
            keys.press("Tab")
            keys.type(cash)
        keys.press("F8")
        page.wait_for_url("**/quay/bien-lai/*")
        return str(page.url)

    def replace(self, receipt_url: str, quantity: str, reason: str) -> str:
        """Replace a receipt from today's list: its form filled from it, a new quantity, the reason, confirmed."""
        page, keys = self.page, self.page.keyboard
        page.goto(receipt_url.rsplit("/quay/", 1)[0] + "/quay/sua-sai")
        assert page.evaluate("document.activeElement.id") == "tim"
        keys.type("tran thi bich")
        keys.press("Enter")
        page.wait_for_url("**/quay/sua-sai?tim=*")
        self.check("06-corrections-today")
        self.choose(f'a[href="/quay/{receipt_url.split("/quay/", 1)[1]}/thay-the"]')
        page.wait_for_url("**/thay-the")
        assert page.input_value("#payer_name") == "Trần Thị Bích"  # filled from the original
        self.check("07-replace-form")
        assert page.evaluate("document.activeElement.id") == "tim"
        keys.type("LP-CT")
        keys.press("Enter")  # the single match's quantity, selected
        keys.type(quantity)
        for _ in range(7):
            keys.press("Tab")  # → payer name, ID, address, dossier code, payment, cash part, reason
        assert page.evaluate("document.activeElement.id") == "reason"
        keys.type(reason)
        keys.press("F8")
        page.wait_for_selector("text=Xác nhận thay thế biên lai số")
        self.check("08-replace-confirm")
        self.choose("#xac-nhan")
        page.wait_for_url("**/quay/bien-lai/*")
        return str(page.url)

    def notice(self, receipt_url: str, reason: str) -> None:
        """Notify a soft error (the payer's address) of a receipt, from its page."""
        page, keys = self.page, self.page.keyboard
        page.goto(receipt_url)
        self.choose("#sai-sot-moi")
        page.wait_for_url("**/sai-sot")
        self.check("11-notice-form")
        assert page.evaluate("document.activeElement.id") == "soft_errors-0"
        keys.press("Tab")
        keys.press("Space")  # Sai địa chỉ người nộp
        for _ in range(3):
            keys.press("Tab")  # → the two other errors, the reason
        assert page.evaluate("document.activeElement.id") == "reason"
        keys.type(reason)
        keys.press("F8")
        page.wait_for_url("**/quay/bien-lai/*#sai-sot")

    def printed_url(self) -> str:
        """Press F9 on a receipt page and return the address of the document the browser was asked to print."""
        page = self.page
        page.wait_for_function("document.getElementById('ban-in').contentDocument?.readyState === 'complete'")
        page.evaluate(
            """() => { const frame = document.getElementById('ban-in'); window.printedFrom = null;
                frame.contentWindow.print = () => { window.printedFrom = frame.contentWindow.location.href; }; }"""
        )
        page.keyboard.press("F9")
        page.wait_for_function("window.printedFrom !== null")
        return str(page.evaluate("window.printedFrom"))


def _stored(engine: Any, code: str) -> StoredDocument:
    stored = find_by_lookup_code(engine, code.replace("-", "").replace(" ", ""))
    assert stored is not None
    return stored


def _is_the_document_of_record(pdf: bytes, stored: StoredDocument, folder: Path) -> None:
    """The printed PDF says what the stored, signed XML says: number, lookup code, payer, total, and its QR."""
    assert pdf.startswith(b"%PDF-")
    document = parse_document(stored.xml)
    assert document.lookup_code is not None
    text = " ".join(pdf_text(pdf, folder).split())
    assert format_lookup_code(document.lookup_code) in text
    assert f"Ký hiệu: {document.series} – Số: {document.number}" in text
    if document.related is not None:
        assert f"ký hiệu {document.related.series}, số {document.related.number}" in text
    assert document.party.name is not None
    assert document.party.name in text
    assert format_number(document.total) in text
    assert pdf_qr(pdf, folder) == f"{PUBLIC_BASE_URL}/tra-cuu/{format_lookup_code(document.lookup_code)}"


def _launch(playwright: Any) -> Any:
    return playwright.chromium.launch(
        executable_path=os.environ.get("EINVOICE_TEST_CHROMIUM", "/usr/bin/chromium"), headless=True, args=CHROMIUM_ARGS
    )


@pytest.mark.parametrize(("size", "keyboard_only"), [("desktop", True), ("tablet", False)])
def test_the_cashier_day(
    live_url: str, world: dict[str, Any], engine: Any, tmp_path: Path, size: str, keyboard_only: bool
) -> None:
    """Sign in, three receipts, a search without diacritics, a reprint, a replacement, an error notice, what the
    browser prints (the stored document's PDF), the shift closed with a cash difference."""
    sync_api = pytest.importorskip("playwright.sync_api")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = _launch(playwright)
        try:
            context = browser.new_context(viewport=VIEWPORTS[size], locale="vi-VN")
            day = Day(context.new_page(), size, keyboard_only)
            page, keys = day.page, day.page.keyboard
            page.goto(live_url + "/")
            assert page.url.endswith("/tra-cuu")
            day.open(live_url + "/dang-nhap", "username")
            day.check("01-sign-in")
            keys.type(world["users"]["cashier"]["username"])
            keys.press("Tab")
            keys.type(PASSWORDS["cashier"])
            keys.press("Enter")
            page.wait_for_url("**/quay")

            page.focus("#tim")
            keys.type("chung thuc")
            assert page.is_visible("text=Lệ phí chứng thực bản sao từ bản chính")
            assert not page.is_visible("text=Lệ phí đăng ký khai sinh")
            day.check("02-search-without-diacritics")
            keys.press("Control+A")
            keys.press("Backspace")

            cash_url = day.receipt("chung thuc", "3", "Trần Thị Bích", 0)
            assert "Đã lập biên lai số 1" in page.inner_text("h1")
            code = page.inner_text("#ma-tra-cuu")
            day.check("03-cash-receipt-done")

            keys.press("F2")
            page.wait_for_url("**/quay")
            transfer_url = day.receipt("khai sinh", "1", "Nguyễn Văn An", 1)
            assert page.is_visible("#vietqr img")
            assert page.evaluate("document.querySelector('#vietqr img').naturalWidth") > 0
            day.check("04-transfer-vietqr")

            keys.press("F2")
            page.wait_for_url("**/quay")
            both_url = day.receipt("LP-CT", "5", "Phạm Thu Hà", 2, cash="4000")
            assert "tiền mặt 4.000 ₫, chuyển khoản 6.000 ₫" in page.inner_text("main").replace("\xa0", " ")
            day.check("05-cash-and-transfer")

            reprint = page.get_attribute("#in-ban-sao", "href")
            assert reprint is not None
            copy = page.request.get(live_url + reprint)
            assert "BẢN SAO" in pdf_text(copy.body(), tmp_path)

            printed = page.request.get(cash_url + "/pdf").body()
            text = pdf_text(printed, tmp_path)
            assert "Trần Thị Bích" in text
            assert "6.000" in text
            assert pdf_qr(printed, tmp_path) == f"{PUBLIC_BASE_URL}/tra-cuu/{code}"
            qr = zbar_png(page.request.get(transfer_url + "/vietqr.png").body(), tmp_path)
            bank, account = VIETQR["VIETQR_BANK_BIN"], VIETQR["VIETQR_ACCOUNT"]
            assert qr == encode(Transfer(bank, account, Decimal(8000), "LP 26TAA 2"))
            assert page.request.get(both_url + "/vietqr.png").ok

            replacement_url = day.replace(cash_url, "2", "Ghi sai số bản chứng thực")
            assert "Đã lập biên lai số 4" in page.inner_text("h1")
            assert "Thay thế biên lai số 1" in page.inner_text("#thay-the-cho")
            day.check("09-replacement-done")
            printed = day.printed_url()
            assert printed == replacement_url + "/pdf"  # the print frame holds the PDF route, not this page
            pdf = page.request.get(printed)
            assert pdf.headers["content-type"] == "application/pdf"
            _is_the_document_of_record(pdf.body(), _stored(engine, page.inner_text("#ma-tra-cuu")), tmp_path)
            page.goto(cash_url)
            assert "đã bị thay thế bởi biên lai số 4" in page.inner_text("#bi-thay-the")
            day.check("10-original-replaced")

            day.notice(transfer_url, "Địa chỉ đúng: xã Yên Trung")
            assert "Đang chờ gửi cơ quan thuế" in page.inner_text("#sai-sot")  # signed and queued at once
            assert "Sai địa chỉ người nộp" in page.inner_text("#sai-sot")
            day.check("12-notice-recorded")

            page.goto(live_url + "/quay/ca")
            day.check("13-shift-open")
            page.focus("#cash_counted")
            keys.type("5500")  # cash expected: 4 000 (receipt 4, replacing receipt 1) + 4 000 (receipt 3) = 8 000
            keys.press("Enter")
            page.wait_for_selector("text=Xác nhận đóng ca")
            day.check("14-shift-confirm")
            day.choose("button.warning")
            page.wait_for_selector("text=Ca đã đóng")
            assert page.inner_text("#chenh-lech").replace("\xa0", " ") == "-2.500 ₫"
            day.check("15-shift-closed")
            report = page.request.get(live_url + page.get_attribute("#bao-cao", "href")).body()
            report_text = pdf_text(report, tmp_path)
            assert "BÁO CÁO CA THU PHÍ" in report_text
            assert "LP 26TAA 2" in report_text

            page.goto(live_url + "/khong-co-trang-nay")
            assert "Không tìm thấy trang" in page.inner_text("h1")
            day.check("16-not-found")
        finally:
            browser.close()
