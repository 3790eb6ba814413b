"""Helpers shared by tests: where ``../shared`` is, and what happens when it is absent; the statements an engine sends.

Outside CI a clone without ``../shared`` skips the tests that read it; under ``CI=true`` those tests run anyway and
fail, so that a CI that lost the fixtures cannot pass by skipping them (:func:`shared_gate`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
REAL_XML = SHARED / "fixtures" / "real-xml"


def in_ci(environ: dict[str, str] | None = None) -> bool:
    """Whether the tests run in CI (``CI=true``, as GitHub Actions and our .ci/run set it)."""
    return (environ if environ is not None else dict(os.environ)).get("CI", "").strip().lower() in {"true", "1"}


def shared_gate(present: bool, *, ci: bool) -> str:
    """Return what a test that reads ``../shared`` does: ``run`` it, ``skip`` it, or ``fail`` it (absent in CI)."""
    if present:
        return "run"
    return "fail" if ci else "skip"


def needs(path: Path) -> pytest.MarkDecorator:
    """Mark a test that reads ``path`` under ``../shared``: skipped when absent, but run (and failing) under CI=true."""
    gate = shared_gate(path.exists(), ci=in_ci())
    return pytest.mark.skipif(gate == "skip", reason=f"{path} is absent (the test fails instead under CI=true)")


def require(path: Path) -> Path:
    """Return ``path``, failing the test with a clear message when CI lacks it (call it inside the test)."""
    if not path.exists():
        pytest.fail(f"{path} is missing: CI must provide ../shared beside the repository")
    return path


needs_shared = needs(REAL_XML)


@contextmanager
def statements(target: Engine | type[Engine] = Engine) -> Iterator[list[str]]:
    """Collect the SQL statements ``target`` (by default every engine) sends through a cursor inside the block."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(target, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(target, "before_cursor_execute", record)
