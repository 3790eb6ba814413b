"""The receipt's PDF is rendered right after the counter issues it, so the print frame is served from the cache."""

from __future__ import annotations

from pathlib import Path

import pytest
from counter.conftest import issue
from flask import Flask
from flask.testing import FlaskClient
from render.pdftools import pdf_text

from einvoice.render import pdf as pdf_module
from einvoice.web.counter.prerender import prerenderer


def _no_renders(*args: object, **kwargs: object) -> bytes:
    raise AssertionError("rendered again on the PDF request")


def test_the_print_frame_finds_the_receipt_rendered(
    counter_app: Flask, cashier: FlaskClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Once the issue's background render is done, the PDF request renders nothing and serves that receipt."""
    answer = issue(cashier, {"LP-CT": "2"}, payer_name="Trần Thị Bích")
    assert answer.status_code == 302, answer.get_data(as_text=True)[:800]
    document_id = int(answer.headers["Location"].rsplit("/", 1)[1])
    with counter_app.app_context():
        prerenderer().wait(document_id)
    monkeypatch.setattr(pdf_module, "html_to_pdf", _no_renders)
    printed = cashier.get(f"/quay/bien-lai/{document_id}/pdf")
    assert printed.status_code == 200
    text = pdf_text(printed.data, tmp_path)
    assert "Trần Thị Bích" in text
    assert "4.000" in text
    copy = cashier.get(f"/quay/bien-lai/{document_id}/pdf?ban-sao=1")
    assert copy.status_code == 503  # a copy is another rendering: not made in advance, so here it had to render
