"""Fixtures of the reliability suite shared by its modules: 500 documents issued once, the simulator's signer."""

from __future__ import annotations

import pytest
from reliability.delivery import IssuedSet, issue_mixed_set

from einvoice.gateway.simulator import authority_signer
from einvoice.signing.pkcs12 import Pkcs12Signer

#: The issue's full size: 500 documents, "C" invoices (one 200 each), "K" invoices (203s of 50), receipts (one table).
FULL_SIZE = {"coded": 350, "uncoded": 100, "receipt": 50}


@pytest.fixture(scope="session")
def issued_500(tmp_path_factory: pytest.TempPathFactory) -> IssuedSet:
    """Issue the 500 documents once (about ten seconds); each test works on its own copy."""
    return issue_mixed_set(tmp_path_factory.mktemp("issued-500"), FULL_SIZE)


@pytest.fixture(scope="session")
def authority_key(tmp_path_factory: pytest.TempPathFactory) -> Pkcs12Signer:
    """The simulated authority's signer, made once."""
    return authority_signer(tmp_path_factory.mktemp("authority"))
