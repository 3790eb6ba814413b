"""Fixtures of the gateway tests: the simulator's certificate folder (made once), the simulator on the test clock,
the HTTP adapter on it, and a toolchain that signs for real."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from gateway.support import TOKEN
from render.signed_docs import signer_for

from einvoice.gateway.http import HttpGateway, HttpSettings
from einvoice.gateway.simulator import SimulatedAuthority, authority_signer, create_simulator, judge_as_authority
from einvoice.services.issuing import Toolchain
from einvoice.xmldoc.sign import sign_built
from einvoice.xmldoc.validate import validate_document


@pytest.fixture(scope="session")
def authority_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One simulator data folder (its CQT certificate): making an RSA root is slow."""
    folder = tmp_path_factory.mktemp("simulator")
    authority_signer(folder)
    return folder


@pytest.fixture
def signed_tools() -> Toolchain:
    """Validate and sign for real with the TEST-ONLY certificate of the world's issuer."""

    def sign(built: Any, issuer: Any, moment: Any) -> bytes:
        signer = signer_for(issuer["tax_code"])
        return sign_built(built, signer, signing_time=moment, expected_tax_code=issuer["tax_code"])

    return Toolchain(validate=validate_document, sign=sign)


@pytest.fixture
def authority(authority_folder: Path, clock: Any) -> SimulatedAuthority:
    """The simulated authority on the test clock, answering 5 seconds after each message."""
    return SimulatedAuthority(authority_signer(authority_folder), judge_as_authority, answer_delay=5, clock=clock)


@pytest.fixture
def gateway(authority: SimulatedAuthority) -> Iterator[HttpGateway]:
    """The HTTP adapter on the simulator (in-process WSGI transport)."""
    app = create_simulator(authority, token=TOKEN)
    found = HttpGateway(HttpSettings("http://tvan.test", TOKEN), transport=httpx.WSGITransport(app=app))  # type: ignore[arg-type]
    yield found
    found.close()
