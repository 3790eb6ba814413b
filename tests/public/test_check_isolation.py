"""Uploads are checked outside the worker that issues: in a helper process of low CPU priority, bounded in time.

What is observed is the real thing: the helper's process id, parent, priority and open descriptors under ``/proc``,
and what the page and the API answer when the helper is stopped (``SIGSTOP``: it cannot answer, whatever the
machine's speed) or killed. No test depends on how fast anything runs.
"""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from public.lookup_support import make_public_app
from sqlalchemy import Engine

from einvoice.services.check_process import CheckConfig, CheckFailed, CheckProcess, CheckTimedOut
from einvoice.services.checking import check_document
from einvoice.web.runtime import dispose, runtime

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def _parent_of(pid: int) -> int:
    """Return the parent process id of ``pid`` from ``/proc``."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])


def _alive(pid: int) -> bool:
    """Tell whether ``pid`` is a running (not yet reaped, not zombie) process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.fixture
def checker(engine: Engine) -> Iterator[CheckProcess]:
    """Return a check process on the test database, stopped at the end."""
    process = CheckProcess(CheckConfig(engine.url.render_as_string(hide_password=False), None, False), timeout=60)
    yield process
    process.close()


@pytest.fixture
def genuine(public: FlaskClient, issue: Callable[..., dict[str, Any]]) -> bytes:
    """Return the signed XML of a receipt the app issued."""
    return public.get(f"/tra-cuu/{issue()['lookup_code']}/xml").data


@pytest.fixture
def impatient_app(
    engine: Engine, world: dict[str, Any], clock: Callable[[], datetime], tmp_path: Path
) -> Iterator[Flask]:
    """Return the public app with a check timeout of one second, checking at the lowest priority."""
    app = make_public_app(engine, clock, tmp_path / "data", PUBLIC_CHECK_TIMEOUT_SECONDS=1.0, PUBLIC_CHECK_NICE=19)
    yield app
    dispose(app)


def test_the_helper_gives_the_verdict_of_an_in_process_check(
    checker: CheckProcess, engine: Engine, genuine: bytes
) -> None:
    """A check in the helper gives what the same check in this process gives, signer's certificate included."""
    mine = check_document(engine, genuine, trust=None, production=False)
    theirs = checker.check(genuine)
    assert theirs.verdict == mine.verdict
    assert theirs.content == mine.content
    assert theirs.document == mine.document
    assert [s.certificate for s in theirs.report.signatures] == [s.certificate for s in mine.report.signatures]
    assert theirs.report.signatures[0].certificate is not None
    assert checker.check(b"<a/>").verdict == check_document(engine, b"<a/>", trust=None, production=False).verdict


def test_a_public_upload_is_checked_in_a_child_of_the_worker_at_a_low_priority(
    public_app: Flask, public: FlaskClient, genuine: bytes
) -> None:
    """After an upload the app's helper is a live child of this process, at ``PUBLIC_CHECK_NICE`` (default 10)."""
    answer = public.post("/tra-cuu/kiem-tra", data={"tep": (io.BytesIO(genuine), "bien-lai.xml")})
    assert answer.status_code == 200
    assert "Trùng khớp với chứng từ gốc đã phát hành" in answer.data.decode()
    helper = runtime(public_app).checker.pid
    assert helper is not None
    assert helper != os.getpid()
    assert _parent_of(helper) == os.getpid()
    assert os.getpriority(os.PRIO_PROCESS, helper) == min(19, os.getpriority(os.PRIO_PROCESS, 0) + 10)
    assert b"einvoice.services.check_process" in Path(f"/proc/{helper}/cmdline").read_bytes()
    again = public.post("/tra-cuu/kiem-tra", data={"tep": (io.BytesIO(genuine), "bien-lai.xml")})
    assert again.status_code == 200
    assert runtime(public_app).checker.pid == helper  # kept for the next checks


def test_the_helper_holds_no_descriptor_of_the_worker(checker: CheckProcess) -> None:
    """The helper inherits no socket (gunicorn's listening socket stays the workers' alone): only its pipes."""
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        listening.set_inheritable(True)
        checker.check(b"<a/>")
        assert checker.pid is not None
        targets = [os.readlink(entry) for entry in Path(f"/proc/{checker.pid}/fd").iterdir()]
    assert not [target for target in targets if target.startswith("socket:")], targets


def test_a_stopped_helper_times_out_and_is_replaced(checker: CheckProcess) -> None:
    """A helper that cannot answer is given up after the timeout and killed; the next check starts a new one."""
    checker.check(b"<a/>")
    stopped = checker.pid
    assert stopped is not None
    checker.timeout = 1
    os.kill(stopped, signal.SIGSTOP)
    with pytest.raises(CheckTimedOut):
        checker.check(b"<a/>")
    assert not _alive(stopped)
    checker.timeout = 60
    assert checker.check(b"<a/>").verdict.outcome == "invalid"
    assert checker.pid not in (None, stopped)


def test_a_killed_helper_is_replaced_at_the_next_check(checker: CheckProcess) -> None:
    """A helper that died between checks (out of memory, killed by an operator) is started again, unnoticed."""
    checker.check(b"<a/>")
    killed = checker.pid
    assert killed is not None
    os.kill(killed, signal.SIGKILL)
    assert checker.check(b"<a/>").verdict.outcome == "invalid"
    assert checker.pid not in (None, killed)


def test_a_failing_check_is_reported_at_once(tmp_path: Path, genuine: bytes) -> None:
    """A check that raises in the helper (here: a database without tables) raises CheckFailed, not a timeout."""
    broken = CheckProcess(CheckConfig(f"sqlite:///{tmp_path / 'empty.sqlite3'}", None, False), timeout=60)
    try:
        with pytest.raises(CheckFailed, match="no such table"):
            broken.check(genuine)
        assert broken.check(b"<a/>").verdict.outcome == "invalid"  # an upload naming no document needs no table
    finally:
        broken.close()


def test_the_page_asks_to_retry_when_the_check_gives_no_verdict(
    impatient_app: Flask, genuine: bytes, auth: Any
) -> None:
    """A check that does not finish in time: 503, Retry-After, and in Vietnamese what happened and what to do."""
    client = impatient_app.test_client()
    checker = runtime(impatient_app).checker
    assert checker.timeout == 1.0  # PUBLIC_CHECK_TIMEOUT_SECONDS

    def stopped_helper() -> None:
        """Start a helper (given time to start, however busy the machine), then stop it."""
        checker.timeout = 60
        checker.check(b"<a/>")
        checker.timeout = 1.0
        os.kill(checker.pid or 0, signal.SIGSTOP)

    stopped_helper()
    assert os.getpriority(os.PRIO_PROCESS, checker.pid or 0) == 19  # PUBLIC_CHECK_NICE
    answer = client.post("/tra-cuu/kiem-tra", data={"tep": (io.BytesIO(genuine), "bien-lai.xml")})
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "30"
    page = answer.data.decode()
    assert "Lỗi: " in page
    assert "Hệ thống đang bận nên chưa kiểm tra xong tệp bien-lai.xml" in page
    assert "Vui lòng chọn lại tệp và thử lại sau ít phút." in page
    stopped_helper()
    api = client.post("/api/v1/verify", data=genuine, headers={**auth("finance"), "Content-Type": "application/xml"})
    assert api.status_code == 503
    assert api.headers["Retry-After"] == "30"
    assert api.get_json()["problems"][0]["code"] == "CHECK_UNFINISHED"


_ORPHAN = """
import sys
from einvoice.services.check_process import CheckConfig, CheckProcess
checker = CheckProcess(CheckConfig(sys.argv[1], None, False), timeout=60)
checker.check(b"<a/>")
print(checker.pid, flush=True)
sys.stdin.read()
"""


def test_the_helper_dies_with_its_worker(tmp_path: Path) -> None:
    """When the worker is killed outright (SIGKILL), its helper goes too: it never outlives the worker."""
    worker = subprocess.Popen(
        [sys.executable, "-c", _ORPHAN, f"sqlite:///{tmp_path / 'db.sqlite3'}"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        helper = int(worker.stdout.readline())  # type: ignore[union-attr]
        assert _parent_of(helper) == worker.pid
        worker.kill()
        worker.wait()
        deadline = time.monotonic() + 30  # a bound on the wait, not a measure: the signal comes at once
        while _alive(helper) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(helper)
    finally:
        worker.kill()
        worker.wait()
        for pipe in (worker.stdin, worker.stdout):
            if pipe is not None:
                pipe.close()
