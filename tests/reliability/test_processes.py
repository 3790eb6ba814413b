"""The service under the accidents of real operation: a killed master, a database restart, two hosts on one database.

Every test runs real gunicorn processes (the service's own gunicorn settings) and, where it needs one, a private
PostgreSQL cluster it can stop. Loops are bounded in count and time; all traffic stays on the loopback interface.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from reliability.support import (
    Instance,
    PostgresCluster,
    alive,
    children_of,
    free_port,
    load,
    post_receipt,
    prepare_instance,
    start_gunicorn,
    stop,
    wait_for_acknowledged,
)
from sqlalchemy import select

from einvoice.services.audit import verify_audit
from einvoice.storage.engine import make_engine, sqlite_url
from einvoice.storage.schema import documents

pytestmark = [pytest.mark.slow, pytest.mark.reliability]

#: How long orphaned workers may take to notice their master is gone and free the port (they finish the request
#: they serve first); a liveness bound, not a performance figure.
ORPHAN_EXIT_SECONDS = 25


def _stored_numbers(url: str) -> list[int]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(select(documents.c.number).order_by(documents.c.number)).scalars())
    finally:
        engine.dispose()


def _assert_gapless_and_acknowledged(url: str, acknowledged: dict[str, int]) -> list[int]:
    numbers = _stored_numbers(url)
    assert numbers == list(range(1, len(numbers) + 1)), "numbers must run 1..N without a gap"
    assert set(acknowledged.values()) <= set(numbers), "a document acknowledged with 201 must be stored"
    assert len(set(acknowledged.values())) == len(acknowledged), "two keys must never get one number"
    engine = make_engine(url)
    try:
        assert verify_audit(engine) == []
    finally:
        engine.dispose()
    return numbers


@pytest.fixture
def cluster() -> Iterator[PostgresCluster]:
    """A private PostgreSQL cluster, removed after the test."""
    found = PostgresCluster()
    try:
        yield found
    finally:
        found.remove()


def test_workers_exit_with_a_killed_master_and_the_service_restarts_on_its_port(tmp_path: Path) -> None:
    """SIGKILL of the gunicorn master under load: its workers exit, the same port serves again, numbering holds."""
    instance = prepare_instance(sqlite_url(tmp_path), tmp_path)
    port = free_port()
    master = start_gunicorn(instance, port)
    workers = children_of(master.pid)
    assert len(workers) == 2
    with load([port], instance, clients=4, seconds=60) as seen:
        time.sleep(1.5)
        os.kill(master.pid, signal.SIGKILL)
        master.wait()
        deadline = time.monotonic() + ORPHAN_EXIT_SECONDS
        while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(alive(pid) for pid in workers), "orphaned workers must exit with their master"
        restarted = start_gunicorn(instance, port)  # "Connection in use" here was the bug
        before = len(seen.acknowledged)
        wait_for_acknowledged(seen, before + 1)
    try:
        assert len(seen.acknowledged) > before, "the restarted service issues again"
        assert 500 not in seen.statuses
        status, _, _ = post_receipt(port, instance, "after-restart")
        assert status == 201
    finally:
        stop(restarted)
    _assert_gapless_and_acknowledged(instance.url, seen.acknowledged)


def test_a_postgresql_restart_under_load_loses_nothing_and_answers_503_meanwhile(
    tmp_path: Path, cluster: PostgresCluster
) -> None:
    """PostgreSQL restarted during 4-client issuing: 503 + Retry-After while down, never 500, no gap, recovers alone."""
    instance = prepare_instance(cluster.url, tmp_path)
    port = free_port()
    server = start_gunicorn(instance, port)
    try:
        with load([port], instance, clients=4, seconds=90) as seen:
            time.sleep(1.5)
            cluster.stop("fast")
            time.sleep(0.3)
            down_status, down_body, down_headers = post_receipt(port, instance, "while-down")
            time.sleep(1.0)
            cluster.start()
            recovered = len(seen.acknowledged)
            wait_for_acknowledged(seen, recovered + 1)
        assert down_status == 503, down_body
        assert down_body["code"] == "database_unavailable"
        assert int(down_headers["Retry-After"]) > 0
        assert 500 not in seen.statuses
        assert set(seen.statuses) <= {201, 503}
        assert len(seen.acknowledged) > recovered, "the service recovers by itself once the database is back"
    finally:
        stop(server)
    _assert_gapless_and_acknowledged(instance.url, seen.acknowledged)


def test_two_instances_on_one_postgresql_issue_gapless_and_exactly_once(
    tmp_path: Path, cluster: PostgresCluster
) -> None:
    """Two hosts (own processes and data folders) on one database: gapless numbers; one key → one document anywhere."""
    first = prepare_instance(cluster.url, tmp_path / "host-a")
    # The second host shares the database and the signing keys (README: certificates are deployed on every host),
    # but has its own data folder for everything else (PDF cache, locks).
    second = Instance(first.url, tmp_path / "host-b", first.series_id, first.token)
    second.data_dir.mkdir()
    ports = [free_port(), free_port()]
    servers = [start_gunicorn(first, ports[0]), start_gunicorn(second, ports[1])]
    try:
        with load(ports, first, clients=4, seconds=90) as seen:
            wait_for_acknowledged(seen, 8)
        assert len(seen.acknowledged) >= 8
        assert set(seen.statuses) == {201}
        # The same key sent to one host, then to the other and again: one document, the same answer everywhere.
        answers = [post_receipt(port, first, "shared-key") for port in (*ports, *ports)]
    finally:
        for server in servers:
            stop(server)
    assert [status for status, _, _ in answers] == [201] * 4
    assert len({str(body) for _, body, _ in answers}) == 1
    stored = _assert_gapless_and_acknowledged(first.url, seen.acknowledged)
    assert len(stored) == len(seen.acknowledged) + 1
