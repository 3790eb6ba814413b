"""Real servers for the reliability suite: gunicorn instances, a private PostgreSQL cluster, and a load of clients."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from einvoice.services.accounts import create_token
from einvoice.services.seed import seed_demo
from einvoice.storage.engine import make_engine, migrate
from einvoice.storage.schema import series, users

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")


def free_port() -> int:
    """Return a free TCP port on the loopback interface."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Instance:
    """A prepared data folder (demo issuer, series, cashier token) on a database, as one host would have it."""

    url: str
    data_dir: Path
    series_id: int
    token: str


def prepare_instance(url: str, data_dir: Path, *, seed: bool = True) -> Instance:
    """Migrate, seed the demo set-up if ``seed``, and make a cashier token."""
    engine = make_engine(url)
    migrate(engine)
    if seed:
        seed_demo(engine, data_dir, datetime.now(UTC))
    with engine.connect() as conn:
        series_id = conn.execute(select(series.c.id).where(series.c.kind == "receipt")).scalar_one()
        cashier = conn.execute(select(users.c.id).where(users.c.role == "cashier")).scalar_one()
    token, _ = create_token(engine, cashier, f"reliability-{uuid.uuid4().hex[:6]}")
    engine.dispose()
    return Instance(url, data_dir, series_id, token)


def start_gunicorn(instance: Instance, port: int, workers: int = 2) -> subprocess.Popen[bytes]:
    """Start gunicorn with the service's configuration; return once /healthz answers."""
    env = {**os.environ, "EINVOICE_DATA_DIR": str(instance.data_dir), "EINVOICE_DATABASE_URL": instance.url}
    command = [str(GUNICORN), "-c", "python:einvoice.web.gunicorn_conf", "--workers", str(workers)]
    command += ["--bind", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            if get(port, "/healthz")[0] == 200:
                return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("gunicorn did not start")


def get(port: int, path: str) -> tuple[int, bytes]:
    """GET ``path``; return status and body."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def post_receipt(port: int, instance: Instance, key: str) -> tuple[int, dict[str, object], dict[str, str]]:
    """POST one 1-fee receipt with ``key``; return status, JSON body and headers (raises OSError if unreachable)."""
    body = {"series_id": instance.series_id, "payer": {"name": "Lê Thị Hoa"}, "fees": [{"code": "LP-KS"}]}
    headers = {"Authorization": f"Bearer {instance.token}", "Idempotency-Key": key}
    headers["Content-Type"] = "application/json"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("POST", "/api/v1/receipts", body=json.dumps(body).encode(), headers=headers)
        response = connection.getresponse()
        raw = response.read()
        return response.status, json.loads(raw) if raw else {}, dict(response.getheaders())
    finally:
        connection.close()


@dataclass
class Load:
    """What a load run saw: acknowledged numbers by key, and every status code answered."""

    acknowledged: dict[str, int] = field(default_factory=dict)
    statuses: list[int] = field(default_factory=list)
    unreachable: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


@contextmanager
def load(ports: list[int], instance: Instance, clients: int, *, seconds: float = 60) -> Iterator[Load]:
    """Issue receipts from ``clients`` threads (round-robin over ``ports``) until the block ends (bounded)."""
    seen, stop = Load(), threading.Event()
    deadline = time.monotonic() + seconds

    def client(index: int) -> None:
        sent = 0
        while not stop.is_set() and time.monotonic() < deadline:
            key = uuid.uuid4().hex
            try:
                status, body, _ = post_receipt(ports[(index + sent) % len(ports)], instance, key)
            except (OSError, http.client.HTTPException):
                with seen.lock:
                    seen.unreachable += 1
                time.sleep(0.05)
                continue
            sent += 1
            with seen.lock:
                seen.statuses.append(status)
                if status == 201:
                    seen.acknowledged[key] = int(str(body["number"]))
            if status != 201:
                time.sleep(0.05)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    try:
        yield seen
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)


def wait_for_acknowledged(seen: Load, count: int, seconds: float = 60) -> None:
    """Wait until ``seen`` holds at least ``count`` acknowledged documents (bounded: a loaded machine is slow)."""
    deadline = time.monotonic() + seconds
    while len(seen.acknowledged) < count and time.monotonic() < deadline:
        time.sleep(0.1)


def children_of(pid: int) -> set[int]:
    """Return the PIDs whose parent is ``pid`` (Linux /proc)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """Tell whether process ``pid`` exists (and is not a zombie)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a gunicorn master and wait for it."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class PostgresCluster:
    """A private PostgreSQL cluster that a test may stop and start (Debian's server binaries, run as postgres)."""

    def __init__(self) -> None:
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
        if not bins or os.geteuid() != 0 or shutil.which("runuser") is None:
            if os.environ.get("CI") == "true":
                pytest.fail("the reliability suite needs root and Debian's PostgreSQL server in CI")
            pytest.skip("needs root and Debian's PostgreSQL server binaries")
        self.bin = bins[-1].parent
        self.dir = Path(tempfile.mkdtemp(prefix="einvoice-rel-pg-"))
        self.port = free_port()
        (self.dir / "socket").mkdir()
        shutil.chown(self.dir, "postgres")
        shutil.chown(self.dir / "socket", "postgres")
        self._as_postgres("initdb", "-D", str(self.dir / "data"), "-U", "postgres", "-A", "trust", "--no-sync")
        self.start()
        self._as_postgres("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "einvoice")
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/einvoice"

    def _as_postgres(self, tool: str, *args: str) -> None:
        command = ["runuser", "-u", "postgres", "--", str(self.bin / tool), *args]
        subprocess.run(command, check=True, capture_output=True)

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir / 'socket'} -c fsync=off"
        self._as_postgres(
            "pg_ctl", "-D", str(self.dir / "data"), "-l", str(self.dir / "log"), "-w", "-o", options, "start"
        )

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``fast`` ends the sessions; ``immediate`` is a crash)."""
        self._as_postgres("pg_ctl", "-D", str(self.dir / "data"), "-m", mode, "-w", "stop")

    def remove(self) -> None:
        """Stop the server if it runs and delete the cluster."""
        with suppress(subprocess.CalledProcessError):
            self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)
