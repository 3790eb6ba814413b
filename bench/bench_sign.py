"""Signatures and verifications per second for invoices of 1, 10 and 50 lines, beside raw RSA-2048 signatures.

Run: ``.venv/bin/python bench/bench_sign.py [--rounds N]``. The CPU speed of these machines swings up to 2× within
seconds, so each round measures every case once, interleaved, and the report gives first the ratio of the cost of
signing a document to the cost of one raw RSA-2048 signature measured in the same round (target: about 2× or
less), then min and median per case. The key is the TEST-ONLY seller key of tests/signing/certs (RSA-2048).

Two ways of signing are measured: ``sign`` is :func:`sign_document` on bytes (it parses them: any document the CLI
is given), ``sign built`` is :func:`sign_built` on what the builder just made (no re-parse: what the issuing
transaction does). Both produce the same bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import builders

from einvoice.signing.pkcs12 import Pkcs12Signer
from einvoice.xmldoc.build import build_invoice, build_invoice_for_signing
from einvoice.xmldoc.sign import sign_built, sign_document
from einvoice.xmldoc.verify import verify_document

CERTS = Path(__file__).resolve().parents[1] / "tests" / "signing" / "certs"
SIGNING_TIME = datetime(2025, 11, 20, 2, 15, 2, tzinfo=UTC)


def _per_second(work: Callable[[], object], seconds: float) -> float:
    count, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        work()
        count += 1
    return count / elapsed


def main() -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=0.25, help="time spent on each case in each round")
    args = parser.parse_args()
    signer = Pkcs12Signer.from_password_file(CERTS / "TEST-ONLY-seller.p12", CERTS / "TEST-ONLY-seller.password")
    digest = hashlib.sha256(b"SignedInfo").digest()
    sizes = (1, 10, 50)
    unsigned = {n: build_invoice(builders.invoice(n)) for n in sizes}
    built = {n: build_invoice_for_signing(builders.invoice(n)) for n in sizes}
    signed = {
        n: sign_document(unsigned[n], signer, signing_time=SIGNING_TIME, expected_tax_code="0101234567") for n in sizes
    }
    assert all(verify_document(signed[n]).valid for n in sizes)
    assert all(
        sign_built(built[n], signer, signing_time=SIGNING_TIME, expected_tax_code="0101234567") == signed[n]
        for n in sizes
    )
    cases: dict[str, Callable[[], object]] = {"raw RSA-2048 sign": lambda: signer.sign_digest(digest)}
    for n in sizes:
        cases[f"sign   {n:>2} lines"] = lambda n=n: sign_document(
            unsigned[n], signer, signing_time=SIGNING_TIME, expected_tax_code="0101234567"
        )
        cases[f"sign built {n:>2} lines"] = lambda n=n: sign_built(
            built[n], signer, signing_time=SIGNING_TIME, expected_tax_code="0101234567"
        )
        cases[f"verify {n:>2} lines"] = lambda n=n: verify_document(signed[n])
    rates: dict[str, list[float]] = {name: [] for name in cases}
    ratios: dict[str, list[float]] = {f"{kind} {n:>2} lines": [] for kind in ("sign  ", "sign built") for n in sizes}
    for _ in range(args.rounds):
        for name, work in cases.items():
            rates[name].append(_per_second(work, args.seconds))
        raw = rates["raw RSA-2048 sign"][-1]
        for name in ratios:
            ratios[name].append(raw / rates[name][-1])
    print(f"sign cost / raw RSA-2048 cost (same round; target about 2× or less), {args.rounds} interleaved rounds:")
    for name, values in ratios.items():
        print(f"  {name:<20} min {min(values):.2f}×, median {statistics.median(values):.2f}×")
    print(f"\n{'case':<20} {'min/s':>9} {'median/s':>9}   ({args.seconds:g} s per case per round)")
    for name, values in rates.items():
        print(f"{name:<20} {min(values):>9.0f} {statistics.median(values):>9.0f}")


if __name__ == "__main__":
    main()
