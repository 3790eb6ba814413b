"""gunicorn's own answers to oversized requests: 414 and 431, never a 5xx, with the security headers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests_support import ROOT

from einvoice.web.app import SECURITY_HEADERS


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """Run the service under gunicorn with the settings serve.sh uses; return its port."""
    port = _free_port()
    env = {**os.environ, "EINVOICE_DATA_DIR": str(tmp_path_factory.mktemp("gunicorn"))}
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
        "-c",
        "python:einvoice.web.gunicorn_conf",
        "wsgi:app",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while _status(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n") is None:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stderr:
            process.stderr.close()


def _status(port: int, request: bytes) -> tuple[int, dict[str, str]] | None:
    """Send a raw request; return the status and headers of the answer (None if nobody listens)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            conn.sendall(request)
            answer = b""
            while b"\r\n\r\n" not in answer:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                answer += chunk
    except OSError:
        return None
    head = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in head[1:] if ": " in line)
    return int(head[0].split()[1]), headers


@pytest.mark.slow
@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET /tra-cuu/" + b"A" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n", 431),
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: y\r\n" % n for n in range(120)) + b"\r\n", 431),
    ],
    ids=["long-url", "long-header", "many-headers"],
)
def test_gunicorn_limits_answer_4xx_with_security_headers(server: int, request_bytes: bytes, status: int) -> None:
    """Oversized request lines and headers get gunicorn's 414/431 carrying every security header."""
    found = _status(server, request_bytes)
    assert found is not None
    code, headers = found
    assert code == status
    for name, value in SECURITY_HEADERS.items():
        assert headers.get(name) == value, name


@pytest.mark.slow
def test_the_apps_own_answers_keep_their_headers_under_gunicorn(server: int) -> None:
    """A normal answer through the hardened worker carries the headers once each, as the app set them."""
    found = _status(server, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    assert found is not None
    code, headers = found
    assert code == 200
    assert headers["X-Content-Type-Options"] == "nosniff"
