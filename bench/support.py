"""What the HTTP benchmarks share: a seeded database, gunicorn started as in production, posting receipts, timing.

Used by ``bench_issue.py`` and ``bench_upload_isolation.py`` (run from ``bench/``, which puts this folder on the path).
gunicorn runs with the service's own settings (``-c python:einvoice.web.gunicorn_conf``, as ``scripts/serve.sh``):
its workers die with it, so an interrupted bench leaves none behind.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from einvoice.services.accounts import create_token
from einvoice.services.issuing import Actor
from einvoice.services.seed import seed_demo
from einvoice.storage.engine import make_engine, migrate
from einvoice.storage.schema import series, users

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
BODY_LINE = {"name": "Lệ phí chứng thực bản sao từ bản chính", "unit_price": "2000", "legal_basis": "TT 226/2016"}

#: A round starts once the machine is at most this busy (share of all cores, our own processes idle) …
QUIET = 0.10
#: … or after this many seconds of waiting for it.
QUIET_WAIT = 20.0


@dataclass
class Setup:
    """A prepared database: its URL, the receipt series, the cashier (actor and token), the data folder."""

    url: str
    series_id: int
    actor: Actor
    token: str
    data_dir: Path


def prepare(url: str, data_dir: Path) -> Setup:
    """Migrate and seed the demo set-up; return what the runs need."""
    engine = make_engine(url)
    migrate(engine)
    seed_demo(engine, data_dir, datetime.now(UTC))
    with engine.connect() as conn:
        series_id, issuer_id = conn.execute(
            select(series.c.id, series.c.issuer_id).where(series.c.kind == "receipt")
        ).one()
        user = conn.execute(select(users).where(users.c.role == "cashier")).mappings().one()
    token, _ = create_token(engine, user["id"], "bench")
    engine.dispose()
    actor = Actor(user["id"], user["username"], "cashier", user["counter_id"], user["full_name"], issuer_id)
    return Setup(url, series_id, actor, token, data_dir)


def free_port() -> int:
    """Return a free TCP port on the loopback interface."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_gunicorn(setup: Setup, port: int, workers: int = 2) -> subprocess.Popen[bytes]:
    """Start gunicorn with ``workers`` workers on the prepared database; return once /healthz answers."""
    env = {**os.environ, "EINVOICE_DATA_DIR": str(setup.data_dir), "EINVOICE_DATABASE_URL": setup.url}
    command = [str(GUNICORN), "-c", "python:einvoice.web.gunicorn_conf", "--workers", str(workers)]
    process = subprocess.Popen(
        [*command, "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(200):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("gunicorn did not start")


def post_receipt(port: int, setup: Setup, body: bytes) -> float:
    """Issue one receipt through ``POST /api/v1/receipts``; return the seconds it took."""
    headers = {
        "Authorization": f"Bearer {setup.token}",
        "Idempotency-Key": uuid.uuid4().hex,
        "Content-Type": "application/json",
    }
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("POST", "/api/v1/receipts", body=body, headers=headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    if response.status != 201:
        raise RuntimeError(f"HTTP {response.status}")
    return time.perf_counter() - started


def receipt_body(setup: Setup) -> bytes:
    """Return the JSON of a 1-line receipt on the prepared series."""
    return json.dumps({"series_id": setup.series_id, "payer": {"name": "Nguyễn Văn An"}, "lines": [BODY_LINE]}).encode()


def http_paced(port: int, setup: Setup, count: int, rate: float) -> list[float]:
    """Send ``count`` requests open-loop at ``rate`` per second; return their latencies."""
    body, latencies, lock = receipt_body(setup), [], threading.Lock()
    started = time.perf_counter()
    threads = []

    def fire() -> None:
        elapsed = post_receipt(port, setup, body)
        with lock:
            latencies.append(elapsed)

    for index in range(count):
        delay = started + index / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        thread = threading.Thread(target=fire)
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
    return latencies


def percentile(values: list[float], fraction: float) -> float:
    """Return the ``fraction`` percentile of ``values`` in milliseconds (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))] * 1000


def busy_share(seconds: float = 0.3) -> float:
    """Return the share of all cores busy over ``seconds`` (Linux ``/proc/stat``; 0 elsewhere)."""

    def sample() -> tuple[int, int]:
        fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + fields[4]  # idle + iowait
        return sum(fields) - idle, sum(fields)

    try:
        busy_before, total_before = sample()
        time.sleep(seconds)
        busy_after, total_after = sample()
    except OSError:
        return 0.0
    return (busy_after - busy_before) / max(1, total_after - total_before)


def wait_for_quiet() -> float:
    """Wait (bounded) until the machine is idle but for noise; return how busy it was when the round started."""
    deadline = time.monotonic() + QUIET_WAIT
    busy = busy_share()
    while busy > QUIET and time.monotonic() < deadline:
        busy = busy_share()
    return busy
