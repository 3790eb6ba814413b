"""The finance pages without a browser: figures equal the services', links open the documents behind them, filters
are strict, exports and reports read back, bank statements import once, and only finance (and admin) get in."""

from __future__ import annotations

import csv
import io
import re
import time
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from counter.conftest import PASSWORDS, csrf_of, issue, sign_in
from counter.page_roles import PAGES, PUBLIC
from flask import Flask
from flask.testing import FlaskClient
from lxml import html as lxml_html
from openpyxl import load_workbook
from sqlalchemy import Engine

from einvoice.services import export_jobs
from einvoice.services.daily import daily_collections
from einvoice.services.finance import Period, summarise
from einvoice.services.finance_list import FinanceFilter


def parsed(client: FlaskClient, url: str, status: int = 200) -> Any:
    """Open ``url``; check its status, that the HTML parses with unique ids; return the document tree."""
    answer = client.get(url)
    assert answer.status_code == status, (url, answer.status_code, answer.get_data(as_text=True)[:600])
    tree = lxml_html.document_fromstring(answer.get_data(as_text=True))
    ids = [node.get("id") for node in tree.iter() if node.get("id")]
    assert [i for i, n in Counter(ids).items() if n > 1] == [], url
    assert tree.get("lang") == "vi"
    assert len(tree.findall(".//h1")) == 1
    return tree


def amount(text: str) -> Decimal:
    """Read an amount the pages write as ``1.250.000 ₫``."""
    return Decimal(text.replace("₫", "").replace("\xa0", "").replace(".", "").replace(",", ".").strip())


def test_finance_lands_on_the_finance_home(finance: FlaskClient) -> None:
    """``/`` sends a finance user to the finance home, not to a placeholder."""
    answer = finance.get("/")
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/tai-chinh"


def test_home_chart_and_its_table_hold_the_service_figures(
    finance: FlaskClient, day: dict[str, Any], engine: Engine
) -> None:
    """The SVG chart is on the page; its table's total per day equals the daily collections of the service."""
    for span in (30, 90):
        tree = parsed(finance, f"/tai-chinh?days={span}")
        assert tree.find(".//svg") is not None
        assert tree.xpath("//svg//rect[@data-method]")
        expected = {d: sum(a.values(), Decimal(0)) for d, a in daily_collections(engine, day["date"], day["date"]) if a}
        rows = tree.xpath("//table[@id='so-lieu-bieu-do']/tbody/tr")
        assert len(rows) == span
        shown = {r.xpath("string(th)").strip(): amount(r.xpath("string(td[last()])")) for r in rows}
        assert shown[day["date"].strftime("%d/%m/%Y")] == expected[day["date"]]
        top = tree.xpath("//table[@id='phi-nhieu-nhat']/tbody/tr/th/text()")
        assert top[0].startswith("Lệ phí chứng thực")


def test_reconciliation_figures_open_the_documents_behind_them(
    finance: FlaskClient, day: dict[str, Any], engine: Engine
) -> None:
    """Every figure of the day equals the service's and links to a document list of exactly that many documents."""
    expected = summarise(engine, Period(day["date"], day["date"]))
    tree = parsed(finance, f"/tai-chinh/doi-soat?day={day['date'].isoformat()}")
    assert "thay thế" in tree.xpath("string(//*[@id='cach-tinh'])")
    assert amount(tree.xpath("string(//*[@id='tong-cong']/strong[2])")) == expected.amount
    opened = 0
    for name, figures in expected.tables.items():
        rows = tree.xpath(f"//table[@id='bang-{name}']/tbody/tr")
        assert len(rows) == len(figures), name
        for row, figure in zip(rows, figures, strict=True):
            assert row.xpath("string(th)").strip() == figure.label
            assert amount(row.xpath("string(td[last()]/a/text())")) == figure.amount
            link = row.xpath("td[last()-1]/a/@href")[0]
            listed = parsed(finance, link + "&per_page=100")
            caption = listed.xpath("string(//table[@id='chung-tu']/caption)")
            assert caption.endswith(f"trong {figure.count}") or figure.count == 0, (name, caption)
            opened += 1
    assert opened >= 10
    fees = tree.xpath("//table[@id='bang-fees']/tbody/tr/td[1]/text()")
    assert "Thông tư 226/2016/TT-BTC" in fees  # each fee with its legal basis


def test_reconciliation_of_a_month_and_a_shift(finance: FlaskClient, day: dict[str, Any], engine: Engine) -> None:
    """A month sums the days of the month; a shift's page names the shift and links to the counter's shift page."""
    month = day["date"].strftime("%Y-%m")
    tree = parsed(finance, f"/tai-chinh/doi-soat?month={month}")
    first = day["date"].replace(day=1)
    assert tree.xpath("string(//h1)") == f"Đối soát tháng {first.strftime('%m/%Y')}"
    expected = summarise(engine, Period(first, first.replace(day=31)))
    assert amount(tree.xpath("string(//*[@id='tong-cong']/strong[2])")) == expected.amount
    missing = parsed(finance, "/tai-chinh/doi-soat?shift_id=424242", status=404)
    assert missing.xpath("string(//h1)")


def test_reconciliation_of_a_shift(counter_app: Flask, finance: FlaskClient, world: dict[str, Any]) -> None:
    """Receipts issued at the counter open a shift; the finance day lists it and reconciles exactly its receipts."""
    cashier = counter_app.test_client()
    sign_in(cashier, world["users"]["cashier"]["username"], PASSWORDS["cashier"])
    for quantity in ("2", "3"):
        assert issue(cashier, {"LP-CT": quantity}, payer_name="Trần Thị Bích").status_code == 302
    day_page = parsed(finance, "/tai-chinh/doi-soat")
    options = day_page.xpath("//select[@id='chon-ca']/option")
    assert len(options) == 1
    assert "Lê Văn Cường" in options[0].text
    shift_id = options[0].get("value")
    tree = parsed(finance, f"/tai-chinh/doi-soat?shift_id={shift_id}")
    assert tree.xpath("string(//h1)") == f"Đối soát ca số {shift_id}"
    assert tree.xpath(f"//a[@href='/quay/ca/{shift_id}']")
    assert tree.xpath("string(//*[@id='tong-cong']/strong[1])") == "2"
    assert amount(tree.xpath("string(//*[@id='tong-cong']/strong[2])")) == Decimal(10_000)


def test_unknown_filter_is_a_400_page_naming_it(finance: FlaskClient, day: dict[str, Any]) -> None:
    """A filter the list does not know, or a value that does not parse, is refused by name: never ignored."""
    tree = parsed(finance, "/tai-chinh/chung-tu?paymentmethod=TM", status=400)
    assert tree.xpath("//li[@data-filter]/@data-filter") == ["paymentmethod"]
    assert "paymentmethod" in tree.xpath("string(//*[@id='loi'])")
    bad = parsed(finance, "/tai-chinh/doi-soat?day=2026-02-30", status=400)
    assert bad.xpath("//li[@data-filter]/@data-filter") == ["day"]
    parsed(finance, "/tai-chinh?days=7", status=400)
    parsed(finance, "/tai-chinh/bao-cao/su-dung?month=2026-13", status=400)


def test_document_list_shows_what_finance_reads(finance: FlaskClient, day: dict[str, Any]) -> None:
    """A filtered list shows only its documents, with cashier, counter, payment method and fee lines; it pages."""
    tree = parsed(finance, "/tai-chinh/chung-tu?payment_method=CK&per_page=5")
    rows = tree.xpath("//table[@id='chung-tu']/tbody/tr")
    assert 0 < len(rows) <= 5
    assert {r.xpath("string(td[7])") for r in rows} == {"Chuyển khoản"}
    assert all(r.xpath("string(td[8])").startswith("Lệ phí") for r in rows)
    nxt = tree.xpath("//a[@rel='next']/@href")
    assert len(nxt) == 1
    assert "payment_method=CK" in nxt[0]
    assert "page=2" in nxt[0]


def test_summary_downloads_equal_the_page(finance: FlaskClient, day: dict[str, Any], engine: Engine) -> None:
    """The reconciliation's CSV and XLSX hold the service's figures (CSV with BOM, XLSX amounts as numbers)."""
    expected = summarise(engine, Period(day["date"], day["date"]))
    by_method = {f.label: f.amount for f in expected.tables["payment_methods"]}
    text = finance.get(f"/tai-chinh/doi-soat?day={day['date'].isoformat()}&format=csv").get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text[1:])))
    read = {r["Nội dung"]: Decimal(r["Số tiền"]) for r in rows if r["Bảng"] == "Theo hình thức thanh toán"}
    assert read == by_method
    answer = finance.get(f"/tai-chinh/doi-soat?day={day['date'].isoformat()}&format=xlsx")
    sheet = load_workbook(io.BytesIO(answer.get_data())).active
    assert sheet is not None
    cells = [row for row in sheet.iter_rows(min_row=2, values_only=True) if row[0] == "Theo hình thức thanh toán"]
    assert {row[1]: Decimal(row[4]) for row in cells} == by_method


def _wait_done(client: FlaskClient, url: str) -> Any:
    """Reload the job page (as a person without scripts would) until it has finished; bounded."""
    pause = 0.05
    for _ in range(60):
        tree = parsed(client, url)
        state = tree.xpath("string(//*[@id='tien-do']/@data-state)")
        if state in export_jobs.FINISHED:
            return tree
        time.sleep(pause)
        pause = min(pause * 2, 0.5)
    raise AssertionError(f"the export is still {state}")


def test_export_job_through_the_pages(finance: FlaskClient, day: dict[str, Any]) -> None:
    """The list's export button starts a job; its page ends with a download whose rows are the list's documents."""
    url = f"/tai-chinh/chung-tu?date_from={day['date'].isoformat()}&payment_method=TM"
    tree = parsed(finance, url)
    fields = {i.get("name"): i.get("value") for i in tree.xpath("//form[contains(@class,'export-form')]//input")}
    assert fields["payment_method"] == "TM"
    started = finance.post("/tai-chinh/xuat", data={**fields, "format": "xlsx"})
    assert started.status_code == 302
    job_url = started.headers["Location"]
    done = _wait_done(finance, job_url)
    assert done.xpath("string(//progress/@value)") == "100"
    download = finance.get(done.xpath("//a[@id='tai-ve']/@href")[0])
    assert download.status_code == 200
    sheet = load_workbook(io.BytesIO(download.get_data())).active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert {r["Hình thức thanh toán"] for r in rows} == {"TM"}
    listed = parsed(finance, url + "&per_page=100")
    numbers = {r.xpath("string(td[2]/a/text())") for r in listed.xpath("//table[@id='chung-tu']/tbody/tr")}
    assert {str(r["Số"]) for r in rows} == numbers


def test_export_refuses_unknown_filters_and_stale_forms(finance: FlaskClient, day: dict[str, Any]) -> None:
    """An export form with an unknown filter is a 400 naming it; without its CSRF token it does nothing."""
    token = csrf_of(finance.get("/tai-chinh/chung-tu").get_data(as_text=True))
    bad = finance.post("/tai-chinh/xuat", data={"csrf_token": token, "format": "csv", "paymentmethod": "TM"})
    assert bad.status_code == 400
    assert "paymentmethod" in bad.get_data(as_text=True)
    assert finance.post("/tai-chinh/xuat", data={"format": "csv"}).status_code == 400


def test_cancel_a_job_from_its_page(finance: FlaskClient, world: dict[str, Any], engine: Engine, clock: Any) -> None:
    """A queued job is cancelled by its page's button; cancelling a finished job answers the conflict page."""
    job_id = export_jobs.create_job(engine, world["users"]["finance"]["id"], FinanceFilter(), "csv", clock())
    tree = parsed(finance, f"/tai-chinh/xuat/{job_id}")
    assert tree.xpath("//button[@id='huy']")
    assert tree.xpath("//a[@id='tai-lai']")  # without scripts, a link reloads the progress
    token = tree.xpath("string(//form[.//button[@id='huy']]//input[@name='csrf_token']/@value)")
    answer = finance.post(f"/tai-chinh/xuat/{job_id}/huy", data={"csrf_token": token})
    assert answer.status_code == 302
    assert export_jobs.get_job(engine, job_id, world["users"]["finance"]["id"])["state"] == "cancelled"
    assert finance.post(f"/tai-chinh/xuat/{job_id}/huy", data={"csrf_token": token}).status_code == 409


FINANCE_PAGES = sorted(
    (rule, method) for (rule, method), roles in PAGES.items() if rule.startswith("/tai-chinh") and roles != PUBLIC
)


@pytest.mark.parametrize("role", ["anonymous", "cashier"])
def test_cashier_and_public_are_refused_everywhere(
    counter_app: Flask, world: dict[str, Any], day: dict[str, Any], role: str
) -> None:
    """Anonymous visitors are sent to sign in and a cashier gets 403 on every finance page, with data present."""
    client = counter_app.test_client()
    if role == "cashier":
        sign_in(client, world["users"]["cashier"]["username"], PASSWORDS["cashier"])
    assert len(FINANCE_PAGES) >= 10
    for rule, method in FINANCE_PAGES:
        url = re.sub(r"<(?:[a-z]+:)?[a-z_]+>", "1", rule) + f"?day={day['date'].isoformat()}"
        answer = client.open(url, method=method)
        if role == "anonymous":
            assert answer.status_code == 302, rule
            assert answer.headers["Location"].startswith("/dang-nhap"), rule
        else:
            assert answer.status_code == 403, rule
            assert "Không có quyền" in answer.get_data(as_text=True)


def test_document_filter_form_keeps_the_figure_and_says_it_in_words(finance: FlaskClient, day: dict[str, Any]) -> None:
    """The list says its filters in Vietnamese; its form narrows within them, a blank field meaning any."""
    url = f"/tai-chinh/chung-tu?date_from={day['date'].isoformat()}&counted=true&fee=LP-KS"
    tree = parsed(finance, url)
    said = tree.xpath("string(//*[@id='bo-loc'])")
    assert "được cộng vào tổng có" in " ".join(said.split())
    assert day["date"].strftime("%d/%m/%Y") in said
    hidden = {
        i.get("name"): i.get("value") for i in tree.xpath("//form[@aria-label='Lọc chứng từ']//input[@type='hidden']")
    }
    assert hidden == {"counted": "true", "fee": "LP-KS"}
    everything = parsed(finance, url + "&payment_method=&state=&per_page=100")
    only_cash = parsed(finance, url + "&payment_method=TM&state=&per_page=100")
    count = len(everything.xpath("//table[@id='chung-tu']/tbody/tr"))
    assert 0 < len(only_cash.xpath("//table[@id='chung-tu']/tbody/tr")) < count
    assert all(
        "Lệ phí đăng ký khai sinh" in r.xpath("string(td[8])")
        for r in everything.xpath("//table[@id='chung-tu']/tbody/tr")
    )
