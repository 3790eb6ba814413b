"""Helpers shared by tests: where ``../shared`` is, and skipping when it is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
REAL_XML = SHARED / "fixtures" / "real-xml"

needs_shared = pytest.mark.skipif(not REAL_XML.is_dir(), reason="../shared is not beside this clone")
