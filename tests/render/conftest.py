"""Fixtures of the printing tests: documents signed for real with the TEST-ONLY certificates."""

from __future__ import annotations

import pytest
from render.signed_docs import Sign
from render.signed_docs import sign as sign_with_test_certificates


@pytest.fixture(scope="session")
def sign() -> Sign:
    """Return a function that signs a document with its issuer's TEST-ONLY certificate."""
    return sign_with_test_certificates
