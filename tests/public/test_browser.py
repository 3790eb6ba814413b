"""The lookup pages in a real browser: Debian's Chromium driven by Playwright against a live server."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from public.authority_support import refusing, simulated_authority, transmit
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
    "--lang=vi",  # the browser's own words (the file picker's button) in Vietnamese, as citizens see them
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
            assert "Chứng từ còn nguyên vẹn" in page.inner_text("main")
            assert "Lệ phí đăng ký khai sinh" in page.inner_text("main")
            assert "8.000 ₫" in page.inner_text("main")
            assert "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG XÃ AN KHÁNH" in page.inner_text("header")
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
            assert "Không khớp với chứng từ đã phát hành" in result
            assert "Nội dung đã bị sửa sau khi ký." in result
            page.screenshot(path=str(ARTIFACTS / "kiem-tra-tep-sua-doi.png"), full_page=True)
            context.close()
        finally:
            browser.close()


#: The two sizes every public page is looked at: a laptop and a phone.
VIEWPORTS = {"1280x800": {"width": 1280, "height": 800}, "390x844": {"width": 390, "height": 844}}


def test_every_public_page_passes_axe_at_both_sizes(
    live_app: Flask, live_url: str, auth: Any, world: dict[str, Any], engine: Engine, clock: Any, tmp_path: Path
) -> None:
    """Every public page and state has no serious or critical axe-core violation, at 1280×800 and 390×844; each
    standing with the tax authority (waiting for a code, coded, refused, in the day's table) reads in plain words."""
    sync_api = pytest.importorskip("playwright.sync_api")
    from axe_playwright_python.sync_playwright import Axe
    from public.forgery import forge_payer, renumber, resign, self_signed

    client = live_app.test_client()
    receipt = {"series_id": world["receipts"]["id"], "payer": {"name": "Trần Thị Bích"}, "fees": [{"code": "LP-KS"}]}
    invoice = {
        "series_id": world["invoices"]["id"],
        "buyer": {"name": "CÔNG TY CỔ PHẦN XYZ", "tax_code": "0309876543", "address": "12 Nguyễn Huệ"},
        "lines": [{"name": "Giấy A4", "quantity": "10", "unit_price": 50000, "vat_rate": "10%", "unit": "Ram"}],
    }

    def issued(kind: str, body: dict[str, Any], key: str) -> str:
        made = client.post(f"/api/v1/{kind}s", json=body, headers=auth("cashier", key)).get_json()
        return format_lookup_code(made["lookup_code"])

    # The authority's answers first: an invoice coded, one refused, a receipt sent in the day's table (at 20:01).
    refused = {**invoice, "buyer": {**invoice["buyer"], "tax_code": "0301111111"}}
    answered = {
        "hoa-don-co-ma": issued("invoice", invoice, "a-3"),
        "hoa-don-bi-tu-choi": issued("invoice", refused, "a-4"),
        "bien-lai-da-gui": issued("receipt", receipt, "a-5"),
    }
    clock.value += timedelta(hours=11, minutes=1)
    transmit(engine, simulated_authority(tmp_path / "data", clock, refusing(b"0301111111")), clock)
    code, invoice_code = issued("receipt", receipt, "a-1"), issued("invoice", invoice, "a-2")
    with engine.connect() as conn:
        genuine = conn.execute(
            select(documents.c.xml).where(documents.c.lookup_code == code.replace("-", ""))
        ).scalar_one()
    forger = self_signed()
    uploads = {
        "hop-le": genuine,
        "chua-xac-thuc": resign(renumber(genuine, template="EBL02"), forger),
        "khong-khop": resign(forge_payer(genuine), forger),
    }
    pages = {
        "tra-cuu": f"{live_url}/tra-cuu",
        "bien-lai": f"{live_url}/tra-cuu/{code}",
        "hoa-don": f"{live_url}/tra-cuu/{invoice_code}",
        **{name: f"{live_url}/tra-cuu/{found}" for name, found in answered.items()},
        "ma-sai-dinh-dang": f"{live_url}/tra-cuu?ma=abc",
        "ma-khong-co": f"{live_url}/tra-cuu?ma=7K2P-9QAX-M4TD",
        "kiem-tra": f"{live_url}/tra-cuu/kiem-tra",
    }
    ARTIFACTS.mkdir(exist_ok=True)
    axe = Axe()
    found: dict[str, list[str]] = {}
    rings: list[float] = []
    targets: list[tuple[float, float]] = []

    standing = {
        "bien-lai": "Chưa gửi cơ quan thuế: biên lai sẽ được gửi trong bảng tổng hợp biên lai ngày 02/03/2026",
        "hoa-don": "Chờ cơ quan thuế cấp mã",
        "hoa-don-co-ma": "Đã được cơ quan thuế cấp mã ",
        "hoa-don-bi-tu-choi": "Cơ quan thuế từ chối cấp mã cho hóa đơn này",
        "bien-lai-da-gui": "Cơ quan thuế đã tiếp nhận bảng tổng hợp biên lai ngày 02/03/2026 có biên lai này",
    }
    seen: dict[str, str] = {}

    def audit(page: Any, name: str, size: str) -> None:
        if name in standing:
            seen[name] = page.inner_text(".authority")
        page.screenshot(path=str(ARTIFACTS / f"cong-khai-{name}-{size}.png"), full_page=True)
        violations = axe.run(page).response["violations"]
        found[f"{name} {size}"] = [v["id"] for v in violations if v["impact"] in ("serious", "critical")]

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("EINVOICE_TEST_CHROMIUM", "/usr/bin/chromium"),
            headless=True,
            args=CHROMIUM_ARGS,
        )
        try:
            for size, viewport in VIEWPORTS.items():
                # axe is injected by evaluating its script, which the pages' CSP (rightly) forbids to page scripts.
                context = browser.new_context(viewport=viewport, locale="vi-VN", bypass_csp=True)  # type: ignore[arg-type]
                page = context.new_page()
                for name, url in pages.items():
                    page.goto(url)
                    audit(page, name, size)
                for name, xml in uploads.items():
                    page.goto(pages["kiem-tra"])
                    page.get_by_label("Tệp XML").set_input_files(
                        files=[{"name": "bien-lai.xml", "mimeType": "application/xml", "buffer": xml}]
                    )
                    page.get_by_role("button", name="Kiểm tra").click()
                    page.wait_for_selector(".result")
                    audit(page, f"kiem-tra-{name}", size)
                page.goto(pages["tra-cuu"])
                page.keyboard.press("Tab")
                page.keyboard.press("Tab")
                page.screenshot(path=str(ARTIFACTS / f"cong-khai-tieu-diem-{size}.png"))
                ring = page.evaluate("getComputedStyle(document.activeElement).outlineColor")
                rings.append(contrast(ring, "rgb(255, 255, 255)"))
                page.goto(pages["kiem-tra"])
                picker = page.get_by_label("Tệp XML").bounding_box()
                assert picker is not None
                targets.append((picker["width"], picker["height"]))
                context.close()
        finally:
            browser.close()
    assert {page: ids for page, ids in found.items() if ids} == {}
    assert {name: standing[name] in text for name, text in seen.items()} == dict.fromkeys(standing, True)
    assert "Mã số thuế người mua không đúng" in seen["hoa-don-bi-tu-choi"]
    assert len(found) == 2 * (len(pages) + len(uploads))
    assert min(rings) >= 3  # WCAG 2.2 non-text contrast of the focus ring against the white page
    assert all(width >= 300 and height >= 44 for width, height in targets)  # the file picker is a large target


def contrast(first: str, second: str) -> float:
    """Return the WCAG contrast ratio of two CSS ``rgb(r, g, b)`` colours."""

    def luminance(colour: str) -> float:
        channels = [int(value) / 255 for value in colour[colour.index("(") + 1 : colour.index(")")].split(",")[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)
