"""The finance API: the summary's figures, the list's fields, refusals by name, and exports that read back the same."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import Engine

from einvoice.services.finance import Period, summarise
from tests.finance.conftest import FORMULA_NAME


def _summary(api: FlaskClient, auth: Any, day: dict[str, Any], **extra: Any) -> Any:
    answer = api.get(
        "/api/v1/finance/summary", query_string={"date_from": day["date"], **extra}, headers=auth("finance")
    )
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def test_summary_through_the_api(api: FlaskClient, auth: Any, day: dict[str, Any], engine: Engine) -> None:
    """The API's figures are the service's, amounts as JSON numbers, with the counting rule and a documents link."""
    body = _summary(api, auth, day)
    expected = summarise(engine, Period(day["date"], day["date"]))
    assert isinstance(body["amount"], int)
    assert Decimal(body["amount"]) == expected.amount
    assert "thay thế" in body["rule"]
    by_method = {f["filters"]["payment_method"]: f for f in body["tables"]["payment_methods"]}
    figure = by_method["CK"]
    behind = api.get(figure["documents_url"] + "&per_page=100", headers=auth("finance")).get_json()
    assert behind["total"] == figure["count"]
    assert sum(Decimal(str(item["total"])) for item in behind["items"]) == Decimal(figure["amount"])
    assert {item["payment_method"] for item in behind["items"]} == {"CK"}
    for table, figures in body["tables"].items():  # every figure's link lists exactly the documents it counts
        for each in figures:
            listed = api.get(each["documents_url"] + "&per_page=100", headers=auth("finance")).get_json()
            assert listed["total"] == each["count"], (table, each["label"])


def test_list_carries_what_finance_reads(api: FlaskClient, auth: Any, day: dict[str, Any]) -> None:
    """Each item has payment method, cashier name, fee lines summary, template with series; numbers are numbers."""
    items = api.get("/api/v1/finance/documents?per_page=5", headers=auth("finance")).get_json()["items"]
    first = items[0]
    assert first["template_series"] == f"{first['template']}/{first['series']}"
    assert first["cashier_name"] == "Lê Văn Cường"
    assert first["payment_method"] in {"TM", "CK", "TM/CK"}
    assert isinstance(first["total"], int)
    assert first["issue_date"] == day["date"].isoformat()
    assert first["lines_summary"].startswith("Lệ phí chứng thực")
    assert sum(line["amount"] for line in first["lines"]) == first["total"]


def test_unknown_filter_is_a_400_naming_it(api: FlaskClient, auth: Any, day: dict[str, Any]) -> None:
    """A filter the API does not know is refused with 400 and its name, never silently ignored."""
    answer = api.get("/api/v1/finance/documents?paymentmethod=TM", headers=auth("finance"))
    assert answer.status_code == 400
    assert answer.get_json()["problems"][0]["path"] == "paymentmethod"
    assert "paymentmethod" in answer.get_json()["message"]


def test_cashier_cannot_reconcile(api: FlaskClient, auth: Any, day: dict[str, Any]) -> None:
    """The summary is for finance: a cashier gets 403."""
    answer = api.get("/api/v1/finance/summary", query_string={"date_from": day["date"]}, headers=auth("cashier"))
    assert answer.status_code == 403


def test_csv_export_reads_back(api: FlaskClient, auth: Any, day: dict[str, Any]) -> None:
    """The CSV starts with a BOM; its line amounts add up to the API's total; a formula-like name is escaped."""
    answer = api.get("/api/v1/finance/documents/export?format=csv", headers=auth("finance"))
    text = answer.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text[1:])))
    body = _summary(api, auth, day)
    counted = [row for row in rows if row["Trạng thái"] != "Bị thay thế"]
    assert sum(Decimal(row["Thành tiền"]) for row in counted) == Decimal(body["amount"])
    assert "'" + FORMULA_NAME in {row["Người nộp/Người mua"] for row in rows}
    assert {row["Ngày lập"] for row in rows} == {day["date"].isoformat()}
    assert {row["Loại"] for row in rows} == {"Biên lai"}  # the kind in words, not the API's "receipt"


def test_xlsx_export_reads_back(api: FlaskClient, auth: Any, day: dict[str, Any]) -> None:
    """The XLSX has numeric amounts in the VND format, date cells, and the formula-like name as plain text."""
    answer = api.get("/api/v1/finance/documents/export?format=xlsx", headers=auth("finance"))
    sheet = load_workbook(io.BytesIO(answer.data)).active
    header = [cell.value for cell in sheet[1]]
    amount, name, issued = (header.index(h) for h in ("Thành tiền", "Người nộp/Người mua", "Ngày lập"))
    state = header.index("Trạng thái")
    rows = list(sheet.iter_rows(min_row=2))
    assert all(row[amount].data_type == "n" and row[amount].number_format == "#,##0" for row in rows)
    assert all(row[issued].is_date and row[issued].value.date() == day["date"] for row in rows)
    total = sum(Decimal(str(row[amount].value)) for row in rows if row[state].value != "Bị thay thế")
    assert total == Decimal(_summary(api, auth, day)["amount"])
    formula = [row[name] for row in rows if row[name].value == FORMULA_NAME]
    assert formula
    assert all(cell.data_type == "s" and cell.quotePrefix for cell in formula)


def test_summary_export_matches_the_api(api: FlaskClient, auth: Any, day: dict[str, Any]) -> None:
    """Each summary table in the XLSX export adds up to the API's counted total."""
    answer = api.get(
        "/api/v1/finance/summary/export",
        query_string={"date_from": day["date"], "format": "xlsx"},
        headers=auth("finance"),
    )
    rows = list(load_workbook(io.BytesIO(answer.data)).active.iter_rows(min_row=2, values_only=True))
    amount = Decimal(_summary(api, auth, day)["amount"])
    by_table: dict[str, Decimal] = {}
    for table, _label, _detail, _count, value, counted in rows:
        if counted == "Có":
            by_table[table] = by_table.get(table, Decimal(0)) + Decimal(str(value))
    assert by_table.pop("Theo loại phí, lệ phí") == amount
    assert set(by_table.values()) == {amount}


def test_usage_per_series(api: FlaskClient, auth: Any, day: dict[str, Any]) -> None:
    """Usage per series: numbers 1..N used without gap, replaced counted, amount of the counted documents."""
    rows = api.get("/api/v1/finance/usage", query_string={"date_from": day["date"]}, headers=auth("finance")).get_json()
    used = {f"{r['template']}/{r['symbol']}": r for r in rows if r["used"]}
    assert set(used) == {"EBL01/26TAA", "EBL02/26TAB"}
    assert all(r["first_number"] == 1 and r["last_number"] == r["used"] for r in used.values())
    assert sum(r["used"] for r in used.values()) == 39
    assert sum(r["replaced"] for r in used.values()) == 3
    assert sum(r["amount"] for r in used.values()) == _summary(api, auth, day)["amount"]
    assert all(r["remaining"] == 99_999_999 - r["last_number"] for r in used.values())
