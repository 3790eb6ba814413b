"""Fixtures of the gateway tests: the simulator's certificate folder, made once for the whole directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from einvoice.gateway.simulator import authority_signer


@pytest.fixture(scope="session")
def authority_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One simulator data folder (its CQT certificate): making an RSA root is slow."""
    folder = tmp_path_factory.mktemp("simulator")
    authority_signer(folder)
    return folder
