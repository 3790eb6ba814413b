"""Daily collections: per day and payment method as the summary counts them, drawn as an SVG with a title."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

from sqlalchemy import Engine, select

from einvoice.finance.chart import daily_svg
from einvoice.finance.rules import NOT_COUNTED
from einvoice.services.daily import daily_collections
from einvoice.services.finance import Period, summarise
from einvoice.services.ledger import catch_up
from einvoice.storage.schema import documents
from einvoice.xmldoc.parse import parse_document
from einvoice.xmldoc.safe import parse_untrusted
from tests.tests_support import statements

SVG = "{http://www.w3.org/2000/svg}"


def test_daily_collections_equal_the_summary(engine: Engine, day: dict[str, Any]) -> None:
    """Each day of the period is listed; the day's amounts per method are the summary's."""
    start = day["date"] - timedelta(days=2)
    days = daily_collections(engine, start, day["date"])
    assert [d for d, _ in days] == [start, start + timedelta(days=1), day["date"]]
    summary = summarise(engine, Period(day["date"], day["date"]))
    expected = {f.filters["payment_method"]: f.amount for f in summary.tables["payment_methods"]}
    assert dict(days[-1][1]) == expected
    assert days[0][1] == {}


def test_daily_collections_equal_a_sum_over_the_stored_xml(engine: Engine, day: dict[str, Any]) -> None:
    """Per day and payment method, the chart's figures are the counted documents' totals read from their XML."""
    expected: dict[tuple[Any, str], Decimal] = {}
    with engine.connect() as conn:
        for issue_date, state, xml in conn.execute(select(documents.c.issue_date, documents.c.state, documents.c.xml)):
            if state in NOT_COUNTED:
                continue
            document = parse_document(bytes(xml))
            key = (issue_date, document.payment_method)
            expected[key] = expected.get(key, Decimal(0)) + document.total_payable
    days = daily_collections(engine, day["date"] - timedelta(days=1), day["date"] + timedelta(days=1))
    assert {(d, method): amount for d, amounts in days for method, amount in amounts.items()} == expected
    assert len(expected) == 3  # cash, transfer and mixed on the fixture's day


def test_daily_collections_read_the_day_totals(engine: Engine, day: dict[str, Any]) -> None:
    """The chart reads the ledger's day totals: it groups documents only of the states not counted, never all."""
    catch_up(engine)
    with statements(engine) as seen:
        daily_collections(engine, day["date"] - timedelta(days=89), day["date"])
    grouping_documents = [s for s in seen if "FROM documents" in s and "GROUP BY" in s]
    assert grouping_documents
    assert all("documents.state IN" in s for s in grouping_documents), grouping_documents
    assert any("FROM finance_days" in s for s in seen)


def test_svg_bars_are_proportional_and_labelled() -> None:
    """One rect per non-zero amount, heights proportional to amounts; the SVG has a title and each bar a label."""
    days = [
        (date(2026, 3, 1), {"TM": Decimal(3000), "CK": Decimal(1000)}),
        (date(2026, 3, 2), {"TM": Decimal(2000)}),
        (date(2026, 3, 3), {}),
    ]
    root = parse_untrusted(daily_svg(days).encode())
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title").text == "Số tiền thu theo ngày"
    rects = root.findall(f"{SVG}rect")
    heights = {(r.find(f"{SVG}title").text or "").split(":")[0]: float(r.get("height") or 0) for r in rects}
    assert set(heights) == {"2026-03-01 Tiền mặt", "2026-03-01 Chuyển khoản", "2026-03-02 Tiền mặt"}
    assert abs(heights["2026-03-01 Tiền mặt"] / heights["2026-03-01 Chuyển khoản"] - 3) < 0.01
    tallest = heights["2026-03-01 Tiền mặt"] + heights["2026-03-01 Chuyển khoản"]
    assert abs(heights["2026-03-02 Tiền mặt"] / tallest - 0.5) < 0.01


def _labels(days: list[Any]) -> list[tuple[float, str]]:
    root = parse_untrusted(daily_svg(days).encode())
    return [(float(t.get("x") or 0), t.text or "") for t in root.findall(f"{SVG}text") if "/" in (t.text or "")]


def test_long_periods_label_mondays_sparsely() -> None:
    """90 days get a date under each Monday's bar, far enough apart to read; a month keeps its labels; a year too."""
    start = date(2026, 3, 2)  # a Monday
    quarter = [(start + timedelta(days=i), {"TM": Decimal(1000)}) for i in range(90)]
    labels = _labels(quarter)
    mondays = [day for day, _ in quarter if day.weekday() == 0]
    assert [text for _, text in labels] == [f"{d.day:02d}/{d.month:02d}" for d in mondays]
    assert min(b[0] - a[0] for a, b in pairwise(labels)) >= 40
    assert len(_labels(quarter[:30])) == 10
    year = [(start + timedelta(days=i), {}) for i in range(365)]
    spaced = _labels(year)
    assert 8 <= len(spaced) <= 14
    assert min(b[0] - a[0] for a, b in pairwise(spaced)) >= 40


def test_payer_text_cannot_break_the_svg() -> None:
    """A payment method text with markup is escaped: the SVG stays one well-formed element."""
    root = parse_untrusted(daily_svg([(date(2026, 3, 1), {"<script>": Decimal(5)})]).encode())
    assert root.find(f"{SVG}script") is None
    assert root.findall(f"{SVG}rect")[0].get("data-method") == "<script>"


def test_daily_through_the_api(api: Any, auth: Any, day: dict[str, Any]) -> None:
    """The API gives the day's amounts as numbers and the chart as SVG with one bar part per payment method."""
    query = {"date_from": day["date"]}
    rows = api.get("/api/v1/finance/daily", query_string=query, headers=auth("finance")).get_json()
    chart = api.get("/api/v1/finance/daily.svg", query_string=query, headers=auth("finance"))
    assert chart.mimetype == "image/svg+xml"
    methods = {r.get("data-method") for r in parse_untrusted(chart.data).findall(f"{SVG}rect")}
    assert methods == set(rows[0]["amounts"])
    assert all(isinstance(v, int) for v in rows[0]["amounts"].values())
