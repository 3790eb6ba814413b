"""Fixtures of the counter pages: an app that signs for real, with VietQR configured, and a signed-in cashier."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from public.lookup_support import make_public_app
from sqlalchemy import Engine
from werkzeug.serving import make_server

PASSWORDS = {"cashier": "mật-khẩu-thu-ngân", "finance": "sổ-sách-kế-toán-1", "admin": "chìa-khóa-quản-trị"}
VIETQR = {"VIETQR_BANK_BIN": "970415", "VIETQR_ACCOUNT": "113000012345"}


@pytest.fixture
def counter_app(
    engine: Engine, world: dict[str, Any], clock: Callable[[], datetime], tmp_path: Path
) -> Iterator[Flask]:
    """Return the app with the world in its database, signing with the TEST-ONLY certificates, VietQR configured."""
    from einvoice.web.runtime import dispose

    app = make_public_app(engine, clock, tmp_path / "data", **VIETQR)
    yield app
    dispose(app)


def csrf_of(page: str) -> str:
    """Return the CSRF token of the first form on ``page``."""
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"', page)
    assert found is not None, page[:500]
    return found.group(1) or found.group(2)


def sign_in(client: FlaskClient, username: str, password: str) -> None:
    """Sign in through the page, as a person would."""
    token = csrf_of(client.get("/dang-nhap").get_data(as_text=True))
    answer = client.post("/dang-nhap", data={"csrf_token": token, "username": username, "password": password})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:800]


@pytest.fixture
def cashier(counter_app: Flask, world: dict[str, Any]) -> FlaskClient:
    """Return a client signed in as the world's cashier."""
    client = counter_app.test_client()
    sign_in(client, world["users"]["cashier"]["username"], PASSWORDS["cashier"])
    return client


def form_fields(page: str) -> dict[str, str]:
    """Return the hidden fields of the issuing form (CSRF token, form key, fee request)."""
    form = page[page.index('id="bien-lai"') :]
    fields = dict(
        re.findall(r'<input id="(csrf_token|form_key|fee_request_id)" name="\1" type="hidden" value="([^"]*)"', form)
    )
    assert "form_key" in fields, form[:600]
    return fields


def issue(client: FlaskClient, fees: dict[str, str], **data: str) -> Any:
    """Open the counter, fill the form with ``fees`` (code → quantity) and ``data``, submit it."""
    page = client.get("/quay" + (f"?yeu-cau={data.pop('request')}" if "request" in data else "")).get_data(as_text=True)
    body = {**form_fields(page), **{f"sl-{code}": qty for code, qty in fees.items()}, "method": "TM", **data}
    return client.post("/quay/bien-lai", data=body)


def zbar_png(png: bytes, folder: Path) -> str:
    """Return what zbarimg reads in a one-pixel-per-module QR PNG, scaled up ×8 with a white quiet zone (Pillow)."""
    import subprocess
    from io import BytesIO

    from PIL import Image, ImageOps

    image = Image.open(BytesIO(png)).convert("L")
    scaled = ImageOps.expand(image, border=4, fill=255).resize(
        ((image.width + 8) * 8, (image.height + 8) * 8), Image.Resampling.NEAREST
    )
    path = folder / "qr-scaled.png"
    scaled.save(path)
    read = subprocess.run(["zbarimg", "--raw", "-q", str(path)], capture_output=True, text=True, check=True)
    return read.stdout.strip()


@pytest.fixture
def live_url(counter_app: Flask) -> Iterator[str]:
    """Serve the counter app on 127.0.0.1 and a free port in a thread; return its base URL."""
    server = make_server("127.0.0.1", 0, counter_app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
