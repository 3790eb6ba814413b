"""Safe in public: unguessable codes, one answer for every miss, a rate limit per client, headers, no third party."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from public.lookup_support import make_public_app
from sqlalchemy import Engine

from einvoice.domain.lookup import format_lookup_code, new_lookup_code
from einvoice.services.queries import find_by_lookup_code
from einvoice.web.public import PageCache
from einvoice.web.ratelimit import RateLimiter
from einvoice.web.runtime import runtime

Issue = Callable[..., dict[str, Any]]
MALFORMED = [
    "",
    "abc",
    "7K2P-9QAX-M4T",
    "7K2P-9QAX-M4TDX",
    "UUUU-UUUU-UUUU",
    "../../etc/passwd",
    "Ảnh-ÂÂÂÂ-ÂÂÂÂ",
    "x" * 300,
]


def test_ten_thousand_random_codes_find_nothing(public_app: Flask, issue: Issue) -> None:
    """Among 10,000 fresh random codes none finds a document, even with documents in the database."""
    for _ in range(3):
        issue()
    with public_app.app_context():
        found = [
            code for code in (new_lookup_code() for _ in range(10_000)) if find_by_lookup_code(runtime().engine, code)
        ]
    assert found == []


def test_random_codes_over_http_all_get_the_same_404(public: FlaskClient, issue: Issue) -> None:
    """A sample of random codes over HTTP: every one is 404 with one body but for the code it echoes."""
    issue()
    bodies = set()
    for _ in range(200):
        code = format_lookup_code(new_lookup_code())
        answer = public.get(f"/tra-cuu/{code}")
        assert answer.status_code == 404
        bodies.add(answer.data.replace(code.encode(), b"CODE"))
    assert len(bodies) == 1


def _without(answer_data: bytes, typed: str) -> str:
    """Return the page with the echoed input removed (it is HTML-escaped in the form)."""
    import html

    return answer_data.decode().replace(f'value="{html.escape(typed[:40])}"', 'value="TYPED"')


@pytest.mark.parametrize("path", ["/tra-cuu/{}", "/tra-cuu?ma={}"])
def test_malformed_and_unknown_codes_are_told_apart_and_typed_input_kept(public: FlaskClient, path: str) -> None:
    """A malformed code is 400 "not the format", an unknown one 404 "not found"; each keeps what was typed."""
    unknown = format_lookup_code(new_lookup_code())
    miss = public.get(path.format(unknown))
    assert miss.status_code == 404
    assert "Không tìm thấy chứng từ" in miss.data.decode()
    assert f'value="{unknown}"' in miss.data.decode()
    bodies = set()
    for typed in MALFORMED:
        if "?" not in path and (not typed or "/" in typed):
            continue  # in a path, an empty code or one with a slash is another route (the app's 404)
        answer = public.get(path.format(typed))
        assert answer.status_code == 400, typed
        assert "Mã tra cứu không đúng định dạng" in answer.data.decode()
        bodies.add(_without(answer.data, typed))
    assert len(bodies) == 1  # nothing but the echo depends on what was typed


@pytest.mark.parametrize("path", ["/tra-cuu/{}/pdf", "/tra-cuu/{}/xml"])
def test_downloads_of_a_missing_code_answer_4xx(public: FlaskClient, path: str) -> None:
    """A download of an unknown code is 404, of a malformed one 400, never a file."""
    assert public.get(path.format(format_lookup_code(new_lookup_code()))).status_code == 404
    assert public.get(path.format("abc")).status_code == 400


@pytest.fixture
def strict_app(engine: Engine, world: dict[str, Any], clock: Callable[[], datetime], tmp_path: Path) -> Iterator[Flask]:
    """Return an app whose public pages allow a burst of 3 requests per client, refilled at 1 per minute."""
    from einvoice.web.runtime import dispose

    app = make_public_app(engine, clock, tmp_path / "data", PUBLIC_RATE_PER_MINUTE=1, PUBLIC_RATE_BURST=3)
    yield app
    dispose(app)


def test_first_request_over_the_limit_is_429(strict_app: Flask) -> None:
    """Three requests pass; the fourth from the same address is 429 with Retry-After, in Vietnamese."""
    client = strict_app.test_client()
    assert [client.get("/tra-cuu").status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get(f"/tra-cuu/{format_lookup_code(new_lookup_code())}")
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "Vui lòng thử lại sau" in refused.data.decode()
    assert client.post("/tra-cuu/kiem-tra").status_code == 429


def test_limit_is_shared_by_the_workers_of_one_service(
    engine: Engine, world: dict[str, Any], clock: Callable[[], datetime], tmp_path: Path
) -> None:
    """Two apps on one data folder (two gunicorn workers) share each client's bucket: the burst is not doubled."""
    from einvoice.web.runtime import dispose

    workers = [
        make_public_app(engine, clock, tmp_path / "data", PUBLIC_RATE_PER_MINUTE=1, PUBLIC_RATE_BURST=3)
        for _ in range(2)
    ]
    try:
        first, second = (worker.test_client() for worker in workers)
        assert [first.get("/tra-cuu").status_code, second.get("/tra-cuu").status_code] == [200, 200]
        assert first.get("/tra-cuu").status_code == 200
        assert second.get("/tra-cuu").status_code == 429
        assert first.get("/tra-cuu").status_code == 429
    finally:
        for worker in workers:
            dispose(worker)


def test_limit_is_per_client_address(strict_app: Flask) -> None:
    """Another address keeps its own bucket while the first is refused."""
    client = strict_app.test_client()
    for _ in range(4):
        client.get("/tra-cuu", environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert client.get("/tra-cuu", environ_base={"REMOTE_ADDR": "203.0.113.7"}).status_code == 429
    assert client.get("/tra-cuu", environ_base={"REMOTE_ADDR": "198.51.100.9"}).status_code == 200


def test_bucket_refills_with_time() -> None:
    """An empty bucket gives a token back after 60/rate seconds, and says how long to wait until then."""
    now = [0.0]
    limiter = RateLimiter(None, per_minute=6, burst=2, clock=lambda: now[0])
    assert [limiter.wait("a"), limiter.wait("a")] == [0.0, 0.0]
    assert limiter.wait("a") == pytest.approx(10.0)
    now[0] = 10.0
    assert limiter.wait("a") == 0.0


def test_limiter_forgets_idle_clients_when_full() -> None:
    """Now and then the limiter drops clients whose bucket has refilled, so its store stays bounded."""
    now = [0.0]
    limiter = RateLimiter(None, per_minute=60, burst=1, clock=lambda: now[0], prune_every=101)
    for n in range(100):
        limiter.wait(f"10.0.0.{n}")
    assert limiter.clients() == 100
    now[0] = 5.0
    limiter.wait("10.0.1.1")
    assert limiter.clients() == 1


@pytest.mark.parametrize(
    "path", ["/tra-cuu", "/tra-cuu/{code}", "/tra-cuu/{code}/pdf", "/tra-cuu/{code}/xml", "/tra-cuu/AAAA"]
)
def test_security_headers_on_every_public_answer(public: FlaskClient, issue: Issue, path: str) -> None:
    """Pages, downloads and misses all carry CSP with frame-ancestors, nosniff and a referrer policy."""
    answer = public.get(path.format(code=issue()["lookup_code"]))
    csp = answer.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Referrer-Policy"] in ("same-origin", "no-referrer", "strict-origin-when-cross-origin")


def test_pages_load_nothing_from_elsewhere(public: FlaskClient, issue: Issue) -> None:
    """Every src and href of the pages is a path on this site: no CDN, font service or analytics."""
    code = issue()["lookup_code"]
    for path in ("/tra-cuu", f"/tra-cuu/{code}", "/tra-cuu/kiem-tra", "/tra-cuu/AAAA"):
        html = public.get(path).data.decode()
        links = re.findall(r'(?:src|href|action)="([^"]*)"', html)
        assert links
        assert all(link.startswith(("/", "#")) for link in links), links
        assert "<script" not in html


def test_page_cache_reuses_then_expires() -> None:
    """A page is made once per key until its time runs out, and the least recently used goes first when full."""
    now = [0.0]
    cache = PageCache(size=2, ttl=10, clock=lambda: now[0])
    made: list[str] = []

    def make(name: str) -> str:
        made.append(name)
        return name

    assert [cache.get_or_make("a", lambda: make("a")), cache.get_or_make("a", lambda: make("a2"))] == ["a", "a"]
    cache.get_or_make("b", lambda: make("b"))
    cache.get_or_make("c", lambda: make("c"))  # evicts "a"
    assert cache.get_or_make("a", lambda: make("a3")) == "a3"
    now[0] = 11.0
    assert cache.get_or_make("c", lambda: make("c2")) == "c2"
    assert made == ["a", "b", "c", "a3", "c2"]


def test_checks_take_a_slot_per_service_and_per_address(public_app: Flask) -> None:
    """While the service's one check slot is held, an upload gets 503; while its address's is held, 429."""
    from einvoice.web.checkslots import FOLDER, CheckSlots

    client = public_app.test_client()
    slots = CheckSlots(Path(public_app.config["DATA_DIR"]) / FOLDER, 1)
    upload = {"tep": (io.BytesIO(b"<a/>"), "x.xml")}
    with slots.taken("198.51.100.1"):  # another client's check is running
        busy = client.post("/tra-cuu/kiem-tra", data=upload)
        assert busy.status_code == 503
        assert busy.headers["Retry-After"] == "5"
        assert "Hệ thống đang kiểm tra các tệp khác" in busy.data.decode()
    with slots.taken("127.0.0.1"):  # this very client's check is running
        mine = client.post("/tra-cuu/kiem-tra", data={"tep": (io.BytesIO(b"<a/>"), "x.xml")})
        assert mine.status_code == 429
    assert client.post("/tra-cuu/kiem-tra", data={"tep": (io.BytesIO(b"<a/>"), "x.xml")}).status_code == 200


def test_two_slots_let_two_addresses_check_at_once(tmp_path: Path) -> None:
    """With two slots, two addresses hold one each; a third is refused as busy, the same address as a repeat."""
    from einvoice.web.checkslots import CheckSlots, NoSlot

    slots = CheckSlots(tmp_path, 2)
    with slots.taken("a"), slots.taken("b"):
        with pytest.raises(NoSlot) as third:
            slots.__class__(tmp_path, 2).taken("c").__enter__()
        assert third.value.why == "busy"
    with slots.taken("a"), pytest.raises(NoSlot) as again:
        slots.taken("a").__enter__()
    assert again.value.why == "address"
