"""Fixtures of the printing tests: documents signed for real with development certificates, and render settings."""

from __future__ import annotations

import pytest
from render.signed_docs import Sign, make_signer

from einvoice.render.pdf import RenderSettings


@pytest.fixture(scope="session")
def sign(tmp_path_factory: pytest.TempPathFactory) -> Sign:
    """Return a function that signs a document with a development certificate of its issuer."""
    return make_signer(tmp_path_factory.mktemp("dev-ca"))


@pytest.fixture
def settings() -> RenderSettings:
    """Return settings with the default public URL, no overrides and no cache."""
    return RenderSettings()
