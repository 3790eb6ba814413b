"""Tests that read ../shared skip when it is absent, except under CI=true, where they run and fail."""

from __future__ import annotations

import pytest
from tests_support import in_ci, shared_gate


@pytest.mark.parametrize(
    ("present", "ci", "expected"),
    [(True, False, "run"), (True, True, "run"), (False, False, "skip"), (False, True, "fail")],
)
def test_the_gate_of_a_shared_fixture(present: bool, ci: bool, expected: str) -> None:
    """Present: run; absent on a laptop: skip; absent in CI: fail (never a silent skip)."""
    assert shared_gate(present, ci=ci) == expected


@pytest.mark.parametrize(
    ("value", "expected"), [("true", True), ("TRUE", True), ("1", True), ("", False), ("no", False)]
)
def test_ci_is_recognised_from_the_environment(value: str, expected: bool) -> None:
    """CI=true (as CI services set it) marks a CI run; anything else does not."""
    assert in_ci({"CI": value}) is expected
    assert in_ci({}) is False
