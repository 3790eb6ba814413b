"""A PostgreSQL on this machine is reached over its Unix socket; any other URL is left as it is."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine

from einvoice.storage.engine import over_local_socket

POSTGRES_ENV = "EINVOICE_TEST_DATABASE_URL"


@pytest.mark.postgres
def test_a_local_server_is_reached_over_its_unix_socket() -> None:
    """The test server on 127.0.0.1 is reached through its socket folder: the server sees no client address."""
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"{POSTGRES_ENV} is not set")
    url = over_local_socket(base)
    assert url != base
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT inet_client_addr()").scalar_one() is None
            assert conn.exec_driver_sql("SELECT current_database()").scalar_one() == base.rsplit("/", 1)[-1]
    finally:
        engine.dispose()


def test_other_urls_are_left_alone() -> None:
    """SQLite URLs and servers on other hosts are returned unchanged, without connecting."""
    for url in ("sqlite:////tmp/x.sqlite3", "postgresql+psycopg://einvoice@db.example:5432/einvoice"):
        assert over_local_socket(url) == url
