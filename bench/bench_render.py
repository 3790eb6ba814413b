"""Printing and lookup-page speed, each beside a bare baseline measured in the same run.

Run: ``.venv/bin/python bench/bench_render.py [--rounds N] [--skip-lookup]``. The CPU speed of these machines swings
up to 2× within seconds, so every round measures every case once, interleaved, and the report gives min and median.

Printing: the first render (parse the signed XML, fill the template, WeasyPrint) and the cached render (the PDF read
from the cache folder) of an A5 receipt, a one-page invoice and a ten-page invoice, beside a bare one-line WeasyPrint
render (``HTML(string="<p>…</p>").write_pdf()``). Targets: cached < 5 ms; receipt ≤ 4× bare; one-page invoice ≤ 8×.

Lookup page: requests per second and p50/p99 latency of ``/tra-cuu/<code>`` (lookup, signature verification,
page) beside a bare Flask page, both through the WSGI test client so no socket noise is measured. Target: ≥ 30 % of
the bare page's rate, p99 < 50 ms.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import builders
import weasyprint

from einvoice.domain.documents import Invoice, Receipt
from einvoice.render.context import Layout
from einvoice.render.pdf import TEMPLATE_VERSION, RenderSettings, render_document_pdf
from einvoice.signing import Pkcs12Signer, ensure_dev_credentials
from einvoice.signing.devca import dev_credentials
from einvoice.xmldoc.build import build_invoice, build_receipt
from einvoice.xmldoc.sign import sign_document

TEN_PAGE_LINES = 360


def signed(document: Invoice | Receipt, data_dir: Path) -> bytes:
    """Return ``document`` signed with a development certificate of its issuer."""
    issuer = document.seller if isinstance(document, Invoice) else document.collector
    p12 = ensure_dev_credentials(data_dir, issuer.tax_code, issuer.name)
    signer = Pkcs12Signer.from_password_file(p12, dev_credentials(data_dir, issuer.tax_code).password_file)
    xml = build_invoice(document) if isinstance(document, Invoice) else build_receipt(document)
    return sign_document(xml, signer, signing_time=datetime.now(UTC), expected_tax_code=issuer.tax_code)


def timed(work: Callable[[], object]) -> float:
    """Return the wall time of one call of ``work``, in milliseconds."""
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
        "invoice, 10 pages": (signed(builders.invoice(lines=TEN_PAGE_LINES), folder), "a4"),
    }
    cached = RenderSettings(cache_dir=folder / "cache")
    uncached = RenderSettings()
    pages = {}
    for name, (xml, layout) in documents.items():
        pdf = render_document_pdf(xml, layout=layout, template_version=TEMPLATE_VERSION, settings=cached)
        pages[name] = page_count(pdf)
    cases: dict[str, Callable[[], object]] = {
        "bare one-line render": lambda: weasyprint.HTML(string="<p>Hóa đơn</p>").write_pdf()
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
    bare = results["bare one-line render"]
    print(f"{'printing (ms per document)':<34}{'min':>9}{'median':>9}{'× bare (median of rounds)':>28}")
    for name, times in results.items():
        ratio = statistics.median(t / b for t, b in zip(times, bare, strict=True))
        label = f"{name} [{pages[name.split(':')[0]]} p.]" if ":" in name else name
        print(f"{label:<34}{min(times):>9.2f}{statistics.median(times):>9.2f}{ratio:>28.2f}")


def main() -> None:
    """Run the benchmarks and print their tables."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--skip-lookup", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        bench_printing(args.rounds, Path(folder))


if __name__ == "__main__":
    main()
