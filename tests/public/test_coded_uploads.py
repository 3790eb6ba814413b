"""The check page and ``POST /api/v1/verify`` on coded invoices: an upload carrying the authority's code (MCCQT) is
compared with the coded XML we stored (the document of record), the seller's original with the seller's bytes.

In development the simulator's "CQT" certificate is confirmed on an upload identical to our coded record only; in
production nothing trusts it (the real authority's root must be in ``TRUST_DIR``), so the same upload is amber.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from public.authority_support import coded_record, invoice_body, issue, simulated_authority, transmit
from public.forgery import MISMATCH, PRODUCTION, UNCONFIRMED, VALID, as_upload, headline, verdict_block
from public.lookup_support import make_public_app
from sqlalchemy import Engine, select

from einvoice.domain.lookup import format_lookup_code
from einvoice.gateway.simulator import authority_signer
from einvoice.storage.schema import documents
from einvoice.xmldoc.authority import code_invoice, new_authority_code

pytestmark = pytest.mark.slow
MATCHES = "Trùng khớp với chứng từ gốc đã phát hành"


def _other_code(coded: bytes, code: str) -> bytes:
    return coded.replace(code.encode(), new_authority_code().encode())


@pytest.fixture(params=["development", "production"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def coded_app(mode: str, engine: Engine, clock: Callable[[], datetime], tmp_path: Path) -> Iterator[tuple[Flask, Path]]:
    """Return the app in ``mode`` and its data folder, where the simulated authority keeps its "CQT" root."""
    from einvoice.web.runtime import dispose

    data = tmp_path / "data"
    app = make_public_app(engine, clock, data, **(PRODUCTION if mode == "production" else {}))
    yield app, data
    dispose(app)


@pytest.fixture
def coded(
    coded_app: tuple[Flask, Path], world: dict[str, Any], auth: Any, engine: Engine, clock: Any
) -> dict[str, Any]:
    """Issue one invoice, have the simulated authority code it; return the downloaded coded XML and the rest."""
    app, data = coded_app
    issued = issue(app, auth, "coded-upload-1", "invoice", invoice_body(world))
    transmit(engine, simulated_authority(data, clock), clock)
    record, code = coded_record(engine, issued["id"])
    download = app.test_client().get(f"/tra-cuu/{format_lookup_code(issued['lookup_code'])}/xml")
    assert download.data == record
    with engine.connect() as conn:
        original = bytes(conn.execute(select(documents.c.xml).where(documents.c.id == issued["id"])).scalar_one())
    resigned = code_invoice(original, new_authority_code(), authority_signer(data), signing_time=clock())
    return {"app": app, "xml": record, "code": code, "original": original, "resigned": resigned}


def _uploads(coded: dict[str, Any]) -> dict[str, bytes]:
    return {
        "ours": coded["xml"],
        "code changed": _other_code(coded["xml"], coded["code"]),
        "code changed, signed again": coded["resigned"],
        "seller's original": coded["original"],
    }


def _expected(case: str, mode: str) -> str:
    if case.startswith("code changed"):
        return MISMATCH
    if case == "ours" and mode == "production":
        return UNCONFIRMED  # the simulator's development "CQT" certificate: the real root must be in TRUST_DIR
    return VALID


@pytest.mark.parametrize("case", ["ours", "code changed", "code changed, signed again", "seller's original"])
def test_check_page_compares_a_coded_upload_with_the_coded_record(coded: dict[str, Any], mode: str, case: str) -> None:
    """Our coded XML matches (green in development, amber in production); a changed code is red, naming it."""
    page = (
        coded["app"].test_client().post("/tra-cuu/kiem-tra", data={"tep": (as_upload(_uploads(coded)[case]), "hd.xml")})
    )
    assert page.status_code == 200
    expected = _expected(case, mode)
    assert headline(page.data) == expected
    text = verdict_block(page.data)
    if expected == MISMATCH:
        assert "mã của cơ quan thuế" in text, text
        assert MATCHES not in text
    else:
        assert MATCHES in text, text
    if expected == UNCONFIRMED:
        assert "chứng thư số dùng để thử nghiệm" in text, text


@pytest.mark.parametrize("case", ["ours", "code changed", "code changed, signed again", "seller's original"])
def test_verify_api_compares_a_coded_upload_with_the_coded_record(
    coded: dict[str, Any], auth: Any, mode: str, case: str
) -> None:
    """POST /api/v1/verify gives the same verdict, the differing part named by the authority's code."""
    answer = (
        coded["app"]
        .test_client()
        .post(
            "/api/v1/verify",
            data=_uploads(coded)[case],
            headers={**auth("finance"), "Content-Type": "application/xml"},
        )
    )
    assert answer.status_code == 200, answer.get_json()
    verdict = answer.get_json()["verdict"]
    expected = _expected(case, mode)
    assert verdict["headline_vi"] == expected
    if expected == MISMATCH:
        assert verdict["provenance"]["identical"] is False
        assert "mã của cơ quan thuế" in verdict["provenance"]["differences"]
    else:
        assert verdict["provenance"] == {"issued": True, "identical": True, "differences": []}
        assert verdict["outcome"] == ("valid" if expected == VALID else "unconfirmed")
