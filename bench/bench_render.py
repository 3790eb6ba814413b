"""Printing and lookup-page speed, each beside a bare baseline measured in the same run.

Run: ``.venv/bin/python bench/bench_render.py [--rounds N] [--page-rounds N] [--skip-printing] [--skip-pages]
[--skip-lookup]``. The CPU speed of these machines swings up to 2× within seconds, so every round measures every case
once, interleaved, and the report gives the ratio first (median of the rounds' ratios), then min and median.

Printing: the first render (parse the signed XML, fill the template, WeasyPrint) and the cached render (the PDF read
from the cache folder) of an A5 receipt and a one-page invoice, beside a bare one-line WeasyPrint render
(``HTML(string="<p>…</p>").write_pdf()``, the issue's baseline). Targets: cached < 5 ms; receipt ≤ 4× bare;
one-page invoice ≤ 8×. That bare render builds a new font configuration each time (about 4 ms: Fontconfig reloaded,
Pango caches empty) where ours reuse one per thread, so a second bare render reusing one is shown too, with the
ratios to it in the last column.

Pages: the first render of invoices of 1, 10 and 50 pages beside the fullest one-page invoice (16 lines: the first
page also holds the header, the totals, the signatures and the QR; a later page holds about 40 lines), and the
5-line invoice the issue called "one page". Target: linear, 10 pages ≤ 12× one page; the 50/10-page ratio is the
clean check of linearity (both are mostly full pages; 5 if linear).

Lookup page: requests per second and p50/p99 latency of ``/tra-cuu/<code>`` (lookup, signature verification,
page) beside a bare Flask page, both through the WSGI test client so no socket noise is measured. Target: ≥ 30 % of
the bare page's rate, p99 < 50 ms.
"""

from __future__ import annotations

import argparse
import gc
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import builders
import weasyprint
from render.signed_docs import ROOT_CA, signer_for
from weasyprint.text.fonts import FontConfiguration

from einvoice.domain.documents import Invoice, Receipt
from einvoice.render.context import Layout
from einvoice.render.pdf import TEMPLATE_VERSION, RenderSettings, render_document_pdf
from einvoice.signing import Pkcs12Signer, ensure_dev_credentials
from einvoice.signing.devca import dev_credentials
from einvoice.xmldoc.build import BuiltDocument, build_invoice, build_receipt
from einvoice.xmldoc.sign import sign_built, sign_document

#: Lines of the fullest one-page invoice, and of invoices of 10 and 50 pages (the table prints the pages counted).
ONE_PAGE_LINES = 16
TEN_PAGE_LINES = 400
FIFTY_PAGE_LINES = 1650


def signed(document: Invoice | Receipt, data_dir: Path) -> bytes:
    """Return ``document`` signed with a development certificate of its issuer."""
    issuer = document.seller if isinstance(document, Invoice) else document.collector
    p12 = ensure_dev_credentials(data_dir, issuer.tax_code, issuer.name)
    signer = Pkcs12Signer.from_password_file(p12, dev_credentials(data_dir, issuer.tax_code).password_file)
    xml = build_invoice(document) if isinstance(document, Invoice) else build_receipt(document)
    return sign_document(xml, signer, signing_time=datetime.now(UTC), expected_tax_code=issuer.tax_code)


def timed(work: Callable[[], object]) -> float:
    """Return the wall time of one call of ``work``, in milliseconds, on a heap cleared of earlier cases' garbage.

    Without the collection, a cycle collection owed to the case before (the ten-page invoice leaves plenty) lands in
    whichever case comes next and adds up to 10 % to it at random. Each case still pays the collections its own
    allocations trigger, unlike ``timeit``, which turns the collector off.
    """
    gc.collect()
    started = time.perf_counter()
    work()
    return (time.perf_counter() - started) * 1000


def page_count(pdf: bytes) -> int:
    """Return the number of pages of ``pdf``, as poppler's pdfinfo reads it."""
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def bench_printing(rounds: int, folder: Path) -> None:
    """Measure and print the printing table."""
    documents: dict[str, tuple[bytes, Layout]] = {
        "A5 receipt": (signed(builders.receipt(fees=3), folder), "a5"),
        "invoice, 1 page": (signed(builders.invoice(lines=5), folder), "a4"),
    }
    cached = RenderSettings(cache_dir=folder / "cache")
    uncached = RenderSettings()
    pages = {}
    for name, (xml, layout) in documents.items():
        pdf = render_document_pdf(xml, layout=layout, template_version=TEMPLATE_VERSION, settings=cached)
        pages[name] = page_count(pdf)
    font_config = FontConfiguration()
    cases: dict[str, Callable[[], object]] = {
        "bare one-line render": lambda: weasyprint.HTML(string="<p>Hóa đơn</p>").write_pdf(),
        "bare, font config reused": lambda: weasyprint.HTML(string="<p>Hóa đơn</p>").write_pdf(font_config=font_config),
    }
    for name, (xml, layout) in documents.items():
        cases[f"{name}: first"] = lambda xml=xml, layout=layout: render_document_pdf(
            xml, layout=layout, template_version=TEMPLATE_VERSION, settings=uncached
        )
        cases[f"{name}: cached"] = lambda xml=xml, layout=layout: render_document_pdf(
            xml, layout=layout, template_version=TEMPLATE_VERSION, settings=cached
        )
    results: dict[str, list[float]] = {name: [] for name in cases}
    for work in cases.values():  # warm up: imports, fonts, template compilation
        work()
    for _ in range(rounds):
        for name, work in cases.items():
            results[name].append(timed(work))
    bare, reused = results["bare one-line render"], results["bare, font config reused"]
    print(f"{'printing (ms per document)':<34}{'min':>9}{'median':>9}{'× bare':>9}{'× bare, config reused':>23}")
    print(f"{'':<34}{'':>9}{'':>9}{'(median of rounds)':>32}")
    for name, times in results.items():
        ratio = statistics.median(t / b for t, b in zip(times, bare, strict=True))
        ratio_reused = statistics.median(t / b for t, b in zip(times, reused, strict=True))
        label = f"{name} [{pages[name.split(':')[0]]} p.]" if ":" in name else name
        print(f"{label:<34}{min(times):>9.2f}{statistics.median(times):>9.2f}{ratio:>9.2f}{ratio_reused:>23.2f}")


def bench_pages(rounds: int, folder: Path) -> None:
    """Measure and print how the first render of an invoice grows with its pages."""
    sizes = {
        "5 lines (the issue's 1 page)": 5,
        f"1 full page, {ONE_PAGE_LINES} lines": ONE_PAGE_LINES,
        f"10 pages, {TEN_PAGE_LINES} lines": TEN_PAGE_LINES,
        f"50 pages, {FIFTY_PAGE_LINES} lines": FIFTY_PAGE_LINES,
    }
    documents = {name: signed(builders.invoice(lines=lines), folder) for name, lines in sizes.items()}
    uncached = RenderSettings()

    def render(xml: bytes) -> bytes:
        return render_document_pdf(xml, layout="a4", template_version=TEMPLATE_VERSION, settings=uncached)

    pages = {name: page_count(render(xml)) for name, xml in documents.items()}  # also the warm-up
    results: dict[str, list[float]] = {name: [] for name in documents}
    for _ in range(rounds):
        for name, xml in documents.items():
            results[name].append(timed(lambda xml=xml: render(xml)))
    one = results[f"1 full page, {ONE_PAGE_LINES} lines"]
    header = f"{'× 1 page':>9}{'min ms':>10}{'median ms':>11}{'ms/page':>9}{'ms/line':>9}"
    print(f"\n{'invoice by pages (first render)':<36}{header}")
    for name, times in results.items():
        ratio = statistics.median(t / b for t, b in zip(times, one, strict=True))
        median = statistics.median(times)
        label = f"{name} [{pages[name]} p.]"
        print(
            f"{label:<36}{ratio:>9.2f}{min(times):>10.0f}{median:>11.0f}"
            f"{median / pages[name]:>9.0f}{median / sizes[name]:>9.2f}"
        )
    ten, fifty = results[f"10 pages, {TEN_PAGE_LINES} lines"], results[f"50 pages, {FIFTY_PAGE_LINES} lines"]
    growth = statistics.median(f / t for f, t in zip(fifty, ten, strict=True))
    linear = pages[f"50 pages, {FIFTY_PAGE_LINES} lines"] / pages[f"10 pages, {TEN_PAGE_LINES} lines"]
    print(f"50 pages / 10 pages: {growth:.2f} (linear: {linear:.1f})")


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def lookup_apps(folder: Path) -> tuple[Any, Any, str]:
    """Return (einvoice test client, bare Flask test client, a lookup code) on a fresh SQLite database."""
    from flask import Flask

    from einvoice.services import catalogue
    from einvoice.services.accounts import create_token, create_user
    from einvoice.services.issuing import Toolchain
    from einvoice.storage.engine import make_engine, migrate, sqlite_url
    from einvoice.web import create_app
    from einvoice.xmldoc.validate import validate_document

    engine = make_engine(sqlite_url(folder))
    migrate(engine)
    issuer = catalogue.create_issuer(
        engine, {"name": "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG XÃ AN KHÁNH", "tax_code": "0109999999", "address": "Hà Nội"}
    )
    counter = catalogue.create_counter(engine, issuer["id"], "Quầy số 1")
    series = catalogue.create_series(
        engine, issuer_id=issuer["id"], kind="receipt", template="EBL01", symbol="26TAA", counter_id=counter["id"]
    )
    catalogue.create_fee(
        engine,
        {
            "issuer_id": issuer["id"],
            "code": "LP-KS",
            "name": "Lệ phí đăng ký khai sinh",
            "amount": Decimal(8000),
            "legal_basis": "Nghị quyết 04/2024/NQ-HĐND",
            "unit": "Bản",
            "per_unit": True,
            "effective_from": date(2026, 1, 1),
        },
    )
    cashier = create_user(
        engine,
        username="thu.ngan",
        full_name="Lê Văn Cường",
        role="cashier",
        counter_id=counter["id"],
    )
    token = create_token(engine, cashier["id"], "bench")[0]

    def sign(built: BuiltDocument, issuer: Any, moment: datetime) -> bytes:
        return sign_built(built, signer_for(issuer["tax_code"]), signing_time=moment, expected_tax_code="0109999999")

    trust = folder / "trust"
    trust.mkdir()
    shutil.copy(ROOT_CA, trust / "root.pem")
    app = create_app(
        {
            "DATABASE_URL": sqlite_url(folder),
            "DATA_DIR": folder,
            "TOOLCHAIN": Toolchain(validate=validate_document, sign=sign),
            "CLOCK": lambda: datetime(2026, 3, 2, 2, 0, tzinfo=UTC),
            "TRUST_DIR": str(trust),
            "PUBLIC_RATE_PER_MINUTE": 10**9,
            "PUBLIC_RATE_BURST": 10**9,
        }
    )
    client = app.test_client()
    issued = client.post(
        "/api/v1/receipts",
        json={"series_id": series["id"], "payer": {"name": "Trần Thị Bích"}, "fees": [{"code": "LP-KS"}]},
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "bench-1"},
    )
    assert issued.status_code == 201, issued.get_json()
    bare = Flask("bare")
    bare.add_url_rule("/", "page", lambda: "<!doctype html><html lang=vi><title>Tra cứu</title><p>Xin chào</p></html>")
    return client, bare.test_client(), str(issued.get_json()["lookup_code"])


def bench_lookup(rounds: int, folder: Path, requests: int = 200) -> None:
    """Measure and print the lookup page beside a bare Flask page, and the cached PDF served over HTTP."""
    import logging

    logging.getLogger("einvoice.request").disabled = True  # a JSON log line per request would dominate the timings
    client, bare, code = lookup_apps(folder)
    assert client.get(f"/tra-cuu/{code}/pdf").status_code == 200  # rendered once: every later request is cached
    cases = {
        "bare Flask page": (bare, "/"),
        "einvoice /healthz": (client, "/healthz"),
        "lookup page": (client, f"/tra-cuu/{code}"),
        "cached PDF over HTTP": (client, f"/tra-cuu/{code}/pdf"),
    }
    latencies: dict[str, list[float]] = {name: [] for name in cases}
    rates: dict[str, list[float]] = {name: [] for name in cases}
    for target, path in cases.values():  # warm up
        target.get(path)
    for _ in range(rounds):
        for name, (target, path) in cases.items():
            started = time.perf_counter()
            for _ in range(requests):
                one = time.perf_counter()
                answer = target.get(path)
                latencies[name].append((time.perf_counter() - one) * 1000)
                assert answer.status_code == 200, (name, answer.status_code)
            rates[name].append(requests / (time.perf_counter() - started))
    print(f"\n{'pages (WSGI test client)':<26}{'rps min':>9}{'rps med':>9}{'p50 ms':>9}{'p99 ms':>9}{'rps × bare':>12}")
    bare_rates = rates["bare Flask page"]
    for name in cases:
        ratio = statistics.median(r / b for r, b in zip(rates[name], bare_rates, strict=True))
        print(
            f"{name:<26}{min(rates[name]):>9.0f}{statistics.median(rates[name]):>9.0f}"
            f"{_percentile(latencies[name], 0.5):>9.2f}{_percentile(latencies[name], 0.99):>9.2f}{ratio:>12.2f}"
        )


def main() -> None:
    """Run the benchmarks and print their tables."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--page-rounds", type=int, default=3, help="rounds of the pages table (50 pages: seconds each)")
    parser.add_argument("--skip-lookup", action="store_true")
    parser.add_argument("--skip-printing", action="store_true")
    parser.add_argument("--skip-pages", action="store_true")
    args = parser.parse_args()
    if not args.skip_printing:
        with tempfile.TemporaryDirectory() as folder:
            bench_printing(args.rounds, Path(folder))
    if not args.skip_pages:
        with tempfile.TemporaryDirectory() as folder:
            bench_pages(args.page_rounds, Path(folder))
    if not args.skip_lookup:
        with tempfile.TemporaryDirectory() as folder:
            bench_lookup(args.rounds, Path(folder))


if __name__ == "__main__":
    main()
