"""Documents built + validated per second for 1, 10 and 50 lines, beside the bare XSD validation in the same run.

Run: ``.venv/bin/python bench/bench_build.py [--rounds N]``. The CPU speed of these machines swings up to 2× within
seconds, so each round measures every case once, interleaved, and the report gives first the ratio of each pipeline
to the bare XSD validation of the same bytes:

* **issue time**: what the issuing transaction does, ``build_for_signing`` (the bytes and their parsed tree, which the
  signer canonicalises) then ``validate_document`` of that: XSD on the tree, rules on the source document;
* **read back**: build the bytes, then judge them as bytes from anywhere (parse, XSD, read back, rules), as issuing
  did before and as ``einvoice validate`` still does.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import builders

from einvoice.xmldoc.build import build_for_signing, build_invoice
from einvoice.xmldoc.parse import load_root
from einvoice.xmldoc.validate import schema_for, validate_document


def _per_second(work: Callable[[], object], seconds: float = 0.25) -> float:
    count, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        work()
        count += 1
    return count / elapsed


def main() -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    sizes = (1, 10, 50)
    invoices = {n: builders.invoice(n) for n in sizes}
    xml = {n: build_invoice(invoices[n]) for n in sizes}
    roots = {n: load_root(xml[n]) for n in sizes}
    schema = schema_for("HDon")
    cases: dict[str, Callable[[], object]] = {}
    for n in sizes:
        cases[f"issue time {n:>2} lines"] = lambda n=n: validate_document(build_for_signing(invoices[n]))
        cases[f"read back  {n:>2} lines"] = lambda n=n: validate_document(build_invoice(invoices[n]))
        cases[f"bare XSD   {n:>2} lines"] = lambda n=n: schema.validate(roots[n])
    results: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.rounds):
        for name, work in cases.items():
            results[name].append(_per_second(work))
    print("bare XSD rate / pipeline rate, per round (interleaved; target ≤ 10× for 1 line at issue time):")
    for pipeline in ("issue time", "read back "):
        for n in sizes:
            bare, full = results[f"bare XSD   {n:>2} lines"], results[f"{pipeline} {n:>2} lines"]
            ratios = [x / f for x, f in zip(bare, full, strict=True)]
            print(f"  {pipeline} {n:>2} lines: min {min(ratios):.1f}×  median {statistics.median(ratios):.1f}×")
    print(f"\n{'case':<28}{'min/s':>10}{'median/s':>10}")
    for name, rates in results.items():
        print(f"{name:<28}{min(rates):>10.0f}{statistics.median(rates):>10.0f}")


if __name__ == "__main__":
    main()
