"""The counter: time from "confirm" to the receipt's PDF ready on the counter, beside the API issue time, same run.

Run: ``.venv/bin/python bench/bench_counter.py [--rounds N]``. Each round issues one receipt through the API
(``POST /api/v1/receipts``, the baseline) and one through the counter page, interleaved: the form's submit, the
confirmation page it redirects to, and the PDF that page shows (A5, fonts cached after the first round; the first
round of each is a warm-up and not counted). Both through the WSGI test client on a fresh SQLite database, signing
with the TEST-ONLY certificates, so no socket noise is measured. Reports the ratio of the medians first, then min,
median and p99 of each, the counter's parts, and, in the same rounds, a bare one-line WeasyPrint render (font
configuration reused): the least any WeasyPrint PDF costs, so the report says how much of the gap is the renderer's
floor. Target: the counter ≤ 2× the API issue time. These machines are shared and their speed swings: read the
ratio, measured in the same run, rather than the absolute times.
"""

from __future__ import annotations

import argparse
import logging
import re
import secrets
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import weasyprint
from flask.testing import FlaskClient
from public.lookup_support import make_public_app
from weasyprint.text.fonts import FontConfiguration

from einvoice.services import catalogue
from einvoice.services.accounts import create_token, create_user
from einvoice.storage.engine import make_engine, migrate, sqlite_url
from einvoice.web.runtime import dispose

PASSWORD = secrets.token_urlsafe(16)  # a throwaway account of a throwaway database


def prepare(data_dir: Path) -> tuple[Any, dict[str, Any]]:
    """Create the database with an issuer, a counter and its receipt series, a fee and a cashier."""
    engine = make_engine(sqlite_url(data_dir))
    migrate(engine)
    issuer = catalogue.create_issuer(
        engine,
        {"name": "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG XÃ AN KHÁNH", "tax_code": "0109999999", "address": "Xã An Khánh"},
    )
    counter = catalogue.create_counter(engine, issuer["id"], "Quầy số 1")
    year = datetime.now(UTC).year
    series = catalogue.create_series(
        engine,
        issuer_id=issuer["id"],
        kind="receipt",
        template="EBL01",
        symbol=f"{year % 100}TAA",
        counter_id=counter["id"],
    )
    catalogue.create_fee(
        engine,
        {
            "issuer_id": issuer["id"],
            "code": "LP-CT",
            "name": "Lệ phí chứng thực bản sao từ bản chính",
            "amount": Decimal(2000),
            "legal_basis": "Thông tư 226/2016/TT-BTC",
            "unit": "Bản",
            "per_unit": True,
            "effective_from": date(year, 1, 1),
        },
    )
    user = create_user(
        engine,
        username="thu.ngan",
        full_name="Lê Văn Cường",
        role="cashier",
        counter_id=counter["id"],
        password=PASSWORD,
    )
    token, _ = create_token(engine, user["id"], "bench")
    return engine, {"series_id": series["id"], "token": token}


def api_issue(client: FlaskClient, setup: dict[str, Any]) -> float:
    """Issue one receipt through the API; return the seconds it took."""
    body = {
        "series_id": setup["series_id"],
        "payer": {"name": "Trần Thị Bích"},
        "fees": [{"code": "LP-CT", "quantity": 3}],
    }
    headers = {"Authorization": f"Bearer {setup['token']}", "Idempotency-Key": secrets.token_hex(12)}
    start = time.perf_counter()
    answer = client.post("/api/v1/receipts", json=body, headers=headers)
    elapsed = time.perf_counter() - start
    assert answer.status_code == 201, answer.get_json()
    return elapsed


PARTS: dict[str, list[float]] = {"submit": [], "page": [], "pdf": []}


def counter_issue(client: FlaskClient, csrf: str) -> float:
    """Submit the counter form, open the confirmation, fetch the PDF it shows; return the seconds it took."""
    form = {
        "csrf_token": csrf,
        "form_key": secrets.token_urlsafe(24),
        "sl-LP-CT": "3",
        "payer_name": "Trần Thị Bích",
        "method": "TM",
    }
    start = time.perf_counter()
    answer = client.post("/quay/bien-lai", data=form)
    assert answer.status_code == 302, answer.get_data(as_text=True)[:3000]
    location = answer.headers["Location"]
    submitted = time.perf_counter()
    page = client.get(location)
    shown = time.perf_counter()
    pdf = client.get(location + "/pdf")
    elapsed = time.perf_counter() - start
    for part, took in (("submit", submitted - start), ("page", shown - submitted), ("pdf", start + elapsed - shown)):
        PARTS[part].append(took)
    assert page.status_code == 200
    assert pdf.data.startswith(b"%PDF")
    return elapsed


def percentile(values: list[float], fraction: float) -> float:
    """Return the ``fraction`` percentile of ``values`` (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def main() -> None:
    """Run the interleaved rounds and print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    for name in ("einvoice.request", "einvoice.security"):  # a JSON log line per request would dominate the timings
        logging.getLogger(name).disabled = True
    font_config = FontConfiguration()

    def bare_render() -> float:
        start = time.perf_counter()
        weasyprint.HTML(string="<p>Biên lai</p>").write_pdf(font_config=font_config)
        return time.perf_counter() - start

    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder)
        engine, setup = prepare(data_dir)
        app = make_public_app(engine, lambda: datetime.now(UTC), data_dir / "app", TESTING=False)
        app.config["TESTING"] = True  # test client without the per-process GC freeze
        api, cashier = app.test_client(), app.test_client()
        login = cashier.get("/dang-nhap").get_data(as_text=True)
        csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login)
        assert csrf is not None
        signed_in = cashier.post(
            "/dang-nhap", data={"csrf_token": csrf.group(1), "username": "thu.ngan", "password": PASSWORD}
        )
        assert signed_in.status_code == 302
        csrf = re.search(
            r'name="csrf_token" type="hidden" value="([^"]+)"', cashier.get("/quay").get_data(as_text=True)
        )
        assert csrf is not None  # signing in starts a new session, with a new token
        times: dict[str, list[float]] = {"api": [], "counter": [], "bare": []}
        for round_number in range(args.rounds + 1):
            order = ("api", "counter", "bare") if round_number % 2 else ("bare", "counter", "api")
            for name in order:
                if name == "api":
                    took = api_issue(api, setup)
                elif name == "counter":
                    took = counter_issue(cashier, csrf.group(1))
                else:
                    took = bare_render()
                if round_number:
                    times[name].append(took)
        dispose(app)
        engine.dispose()
    api_median = statistics.median(times["api"])
    ratio = statistics.median(times["counter"]) / api_median
    print(f"ratio of medians, counter confirm → PDF / API issue: {ratio:.2f} (target ≤ 2)")
    print(f"{args.rounds} interleaved rounds (after one warm-up), ms:")
    labels = {
        "api": "API issue (POST /api/v1/receipts)",
        "counter": "counter: submit → page → PDF",
        "bare": "bare one-line WeasyPrint render",
    }
    for name, label in labels.items():
        values = [t * 1000 for t in times[name]]
        print(
            f"  {label:<38} min {min(values):7.1f}  median {statistics.median(values):7.1f}"
            f"  p99 {percentile(values, 0.99):7.1f}  × API {statistics.median(values) / (api_median * 1000):5.2f}"
        )
    medians = {part: statistics.median(values[1:]) for part, values in PARTS.items()}
    print("  counter parts, medians: " + ", ".join(f"{part} {took * 1000:.1f}" for part, took in medians.items()))
    without_pdf = (medians["submit"] + medians["page"]) / api_median
    floor = (medians["submit"] + medians["page"] + statistics.median(times["bare"])) / api_median
    print(f"  counter without the PDF / API: {without_pdf:.2f}; with a PDF as cheap as the bare render: {floor:.2f}")


if __name__ == "__main__":
    main()
