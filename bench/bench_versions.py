"""Our CPU per delivered invoice, this source tree against a baseline tree, in interleaved runs of the same bench.

Run: ``git worktree add /tmp/base <commit>`` then
``.venv/bin/python bench/bench_versions.py /tmp/base [--runs N] [--documents N]``.

Each run is one ``bench_delivery.py --sqlite-only --rounds 1`` in a fresh process (its own simulator and database),
the baseline's and ours in turn (``PYTHONPATH`` picks which ``einvoice`` is imported), so a swing of the shared CPU
hits both. The figure is the bench process's own CPU time per invoice while the worker delivers (send 200, read the
999 and the 202, store the coded invoice), read from the bench's "our CPU per invoice" line; the ratio comes first.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
_FIGURES = re.compile(r"our CPU per invoice: issuing ([\d.]+) ms, delivering ([\d.]+) ms")


def one_run(tree: Path, documents: int) -> tuple[float, float]:
    """Run the delivery bench once with ``tree``'s ``einvoice``; return our CPU per invoice (issuing, delivering)."""
    env = os.environ | {"PYTHONPATH": str(tree)}
    command = [sys.executable, str(HERE / "bench_delivery.py"), "--sqlite-only", "--rounds", "1"]
    output = subprocess.run(
        [*command, "--documents", str(documents)], env=env, capture_output=True, text=True, check=True
    ).stdout
    found = _FIGURES.search(output)
    if found is None:
        raise RuntimeError(f"no CPU figures in the bench's output:\n{output}")
    return float(found.group(1)), float(found.group(2))


def main() -> None:
    """Parse arguments, run both trees in turn, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", type=Path, help="a checkout of the baseline commit")
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--documents", type=int, default=100)
    args = parser.parse_args()
    trees = {"baseline": args.base.resolve(), "this tree": HERE.parent}
    figures: dict[str, list[tuple[float, float]]] = {name: [] for name in trees}
    for _ in range(args.runs):
        for name, tree in trees.items():
            figures[name].append(one_run(tree, args.documents))
    base = [delivering for _, delivering in figures["baseline"]]
    ours = [delivering for _, delivering in figures["this tree"]]
    ratios = [b / o for b, o in zip(base, ours, strict=True)]
    median = statistics.median
    print(f"{args.runs} interleaved runs of {args.documents} invoices each, SQLite, simulator trusting")
    print(f"our CPU per delivered invoice, baseline / this tree: min {min(ratios):.2f}×  median {median(ratios):.2f}×")
    for name, values in (("baseline", base), ("this tree", ours)):
        print(f"{name:<10} delivering: min {min(values):.1f} ms  median {median(values):.1f} ms per invoice")
    issuing = [i for name in trees for i, _ in figures[name]]
    print(f"(issuing, the same code in both: min {min(issuing):.1f} ms  median {median(issuing):.1f} ms per invoice)")


if __name__ == "__main__":
    sys.exit(main())
