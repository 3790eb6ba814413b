"""The lookup pages in a real browser: Debian's Chromium driven by Playwright against a live server."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from public.lookup_support import make_public_app
from render.pdftools import flat, pdf_text
from sqlalchemy import Engine, select
from werkzeug.serving import make_server

from einvoice.domain.lookup import format_lookup_code
from einvoice.storage.schema import documents
from einvoice.web.runtime import SETTINGS_EXTENSION, settings_of

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def live_app(engine: Engine, world: dict[str, Any], clock: Callable[[], datetime], tmp_path: Path) -> Iterator[Flask]:
    """Return the app, to be served by a real HTTP server."""
    from einvoice.web.runtime import dispose

    app = make_public_app(engine, clock, tmp_path / "data")
    yield app
    dispose(app)


@pytest.fixture
def live_url(live_app: Flask) -> Iterator[str]:
    """Serve the app on 127.0.0.1 and a free port in a thread; return its base URL."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    # The port is known only now: the QR codes and links of the PDFs must point at it.
    live_app.extensions[SETTINGS_EXTENSION] = replace(settings_of(live_app), public_base_url=base)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_lookup_download_and_tampered_upload_in_chromium(
    live_app: Flask, live_url: str, auth: Any, world: dict[str, Any], engine: Engine, tmp_path: Path
) -> None:
    """Type a code, see the document and a valid signature, download PDF and XML, see a tampered upload rejected."""
    sync_api = pytest.importorskip("playwright.sync_api")
    body = {"series_id": world["receipts"]["id"], "payer": {"name": "Trần Thị Bích"}, "fees": [{"code": "LP-KS"}]}
    issued = live_app.test_client().post("/api/v1/receipts", json=body, headers=auth("cashier", "browser-1"))
    assert issued.status_code == 201, issued.get_json()
    code = format_lookup_code(issued.get_json()["lookup_code"])
    with engine.connect() as conn:
        stored = conn.execute(select(documents.c.xml)).scalar_one()
    ARTIFACTS.mkdir(exist_ok=True)

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("EINVOICE_TEST_CHROMIUM", "/usr/bin/chromium"),
            headless=True,
            args=CHROMIUM_ARGS,
        )
        try:
            context = browser.new_context(viewport={"width": 390, "height": 844}, accept_downloads=True, locale="vi-VN")
            page = context.new_page()
            page.goto(f"{live_url}/tra-cuu")
            page.get_by_label("Mã tra cứu").fill(code.lower().replace("-", " "))
            page.get_by_role("button", name="Tra cứu").click()
            page.wait_for_url(f"{live_url}/tra-cuu?ma=*")
            assert "Chứng từ còn nguyên vẹn: chữ ký số hợp lệ." in page.inner_text("main")
            assert "Chữ ký của Đơn vị thu: hợp lệ" in page.inner_text("main")
            assert "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG XÃ AN KHÁNH" in page.inner_text("main")
            page.screenshot(path=str(ARTIFACTS / "tra-cuu-ket-qua.png"), full_page=True)

            with page.expect_download() as pdf_download:
                page.get_by_role("link", name="Tải bản PDF").click()
            pdf = Path(pdf_download.value.path()).read_bytes()
            assert pdf.startswith(b"%PDF-")
            assert f"Mã tra cứu: {code}" in flat(pdf_text(pdf, tmp_path))
            with page.expect_download() as xml_download:
                page.get_by_role("link", name="Tải tệp XML đã ký").click()
            assert Path(xml_download.value.path()).read_bytes() == stored

            page.goto(f"{live_url}/tra-cuu/kiem-tra")
            tampered = stored.replace(b"<TgTTTBSo>8000</TgTTTBSo>", b"<TgTTTBSo>800</TgTTTBSo>")
            assert tampered != stored
            page.get_by_label("Tệp XML").set_input_files(
                files=[{"name": "bien-lai.xml", "mimeType": "application/xml", "buffer": tampered}]
            )
            page.get_by_role("button", name="Kiểm tra").click()
            page.wait_for_selector(".result")
            result = page.inner_text(".result")
            assert "Không hợp lệ: xem các lỗi dưới đây." in result
            assert "Chữ ký của Đơn vị thu: không hợp lệ" in result
            page.screenshot(path=str(ARTIFACTS / "kiem-tra-tep-sua-doi.png"), full_page=True)
            context.close()
        finally:
            browser.close()
