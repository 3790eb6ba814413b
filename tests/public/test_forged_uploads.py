"""Forgeries never look valid: each upload of the attacker's table gets its headline, on the page and in the API.

The attacker takes a genuine receipt, changes it, and signs it again with a home-made certificate carrying the
centre's real name and tax code (self-signed, or from a fake development CA whose root is even in our trust store).
Both modes: development (development CAs count on documents that match ours only) and production.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from flask import Flask
from public.forgery import (
    MISMATCH,
    PRODUCTION,
    UNCONFIRMED,
    VALID,
    as_upload,
    fake_dev_ca,
    forge_payer,
    headline,
    lower_amount,
    renumber,
    resign,
    self_signed,
    verdict_block,
)
from public.lookup_support import make_public_app
from signing.support import load_signer
from sqlalchemy import Engine, select

from einvoice.storage.schema import documents

_SIGNER, _FORGER_ROOT = fake_dev_ca()  # made once: RSA keys take a while
_SELF_SIGNED = self_signed()
#: A real certificate of our trusted test CA, but another taxpayer's: trusted chain, wrong tax code.
_OTHER_TAXPAYER = load_signer("TEST-ONLY-other")

#: case -> (how the attacker makes the upload from the genuine bytes, headline, words the reasons must contain)
CASES: dict[str, tuple[Callable[[bytes], bytes], str, tuple[str, ...]]] = {
    "genuine": (lambda xml: xml, VALID, ("Trùng khớp với chứng từ gốc đã phát hành",)),
    "amount lowered, not signed again": (lower_amount, MISMATCH, ("Nội dung đã bị sửa sau khi ký", "số tiền")),
    "payer forged, self-signed": (
        lambda xml: resign(forge_payer(xml), _SELF_SIGNED),
        MISMATCH,
        ("Khác với chứng từ gốc đã phát hành cùng số: người nộp tiền, chữ ký số của đơn vị phát hành.",),
    ),
    "amount lowered, fake development CA": (
        lambda xml: resign(lower_amount(xml), _SIGNER),
        MISMATCH,
        ("các khoản phí, lệ phí, số tiền",),
    ),
    "number never issued, self-signed": (
        lambda xml: resign(renumber(forge_payer(xml), number=999), _SELF_SIGNED),
        MISMATCH,
        ("Đơn vị chưa phát hành chứng từ nào có số này trong ký hiệu này",),
    ),
    "series not ours, self-signed": (
        lambda xml: resign(renumber(xml, template="EBL02"), _SELF_SIGNED),
        UNCONFIRMED,
        ("không do tổ chức chứng thực chữ ký số được tin cậy cấp",),
    ),
    "series not ours, trusted certificate of another taxpayer": (
        lambda xml: resign(renumber(xml, template="EBL02"), _OTHER_TAXPAYER, "0309876543"),
        UNCONFIRMED,
        ("không mang mã số thuế của đơn vị phát hành",),
    ),
    "series not ours, fake development CA in the trust store": (
        lambda xml: resign(renumber(xml, template="EBL02"), _SIGNER),
        UNCONFIRMED,
        ("chứng thư số dùng để thử nghiệm",),
    ),
}


@pytest.fixture(params=["development", "production"])
def checker(
    request: pytest.FixtureRequest, engine: Engine, world: dict[str, Any], clock: Callable[[], datetime], tmp_path: Path
) -> Iterator[Flask]:
    """Return the app in one mode, its trust store holding the test root and the forger's development root."""
    from einvoice.web.runtime import dispose

    app = make_public_app(engine, clock, tmp_path / "data", **(PRODUCTION if request.param == "production" else {}))
    trust = Path(app.config["TRUST_DIR"])
    (trust / "forger-root.pem").write_bytes(_FORGER_ROOT.public_bytes(serialization.Encoding.PEM))
    yield app
    dispose(app)


@pytest.fixture
def genuine(checker: Flask, auth: Any, world: dict[str, Any], engine: Engine) -> bytes:
    """Issue one 8.000 ₫ receipt to Trần Thị Bích and return its stored bytes."""
    body = {"series_id": world["receipts"]["id"], "payer": {"name": "Trần Thị Bích"}, "fees": [{"code": "LP-KS"}]}
    answer = checker.test_client().post("/api/v1/receipts", json=body, headers=auth("cashier", "genuine-1"))
    assert answer.status_code == 201, answer.get_json()
    with engine.connect() as conn:
        return bytes(conn.execute(select(documents.c.xml)).scalar_one())


@pytest.mark.parametrize("case", sorted(CASES))
def test_check_page_headline(checker: Flask, genuine: bytes, case: str) -> None:
    """The check page gives each upload of the table its headline: forgeries are red or amber, never green."""
    make, expected, words = CASES[case]
    page = checker.test_client().post("/tra-cuu/kiem-tra", data={"tep": (as_upload(make(genuine)), "bien-lai.xml")})
    assert page.status_code == 200
    assert headline(page.data) == expected
    text = verdict_block(page.data)
    for word in words:
        assert word in text
    if expected != VALID:
        assert "Hợp lệ" not in text
        assert 'class="verdict valid"' not in page.data.decode()


@pytest.mark.parametrize("case", sorted(CASES))
def test_verify_api_verdict(checker: Flask, genuine: bytes, auth: Any, case: str) -> None:
    """POST /api/v1/verify gives the same verdict, with its outcome and reasons, for each upload of the table."""
    make, expected, _ = CASES[case]
    answer = checker.test_client().post(
        "/api/v1/verify", data=make(genuine), headers={**auth("finance"), "Content-Type": "application/xml"}
    )
    assert answer.status_code == 200, answer.get_json()
    verdict = answer.get_json()["verdict"]
    assert verdict["headline_vi"] == expected
    outcome = {VALID: "valid", UNCONFIRMED: "unconfirmed"}.get(expected, "invalid")
    assert verdict["outcome"] == outcome
    assert (verdict["reasons"] == []) is (outcome == "valid")
    if expected == MISMATCH:
        assert verdict["provenance"]["identical"] is False
    if case == "genuine":
        assert verdict["provenance"] == {"issued": True, "identical": True, "differences": []}
        assert answer.get_json()["accepted"] is True


def test_differences_name_the_parts_never_the_stored_values(checker: Flask, genuine: bytes) -> None:
    """A forged payer is reported as a difference in the payer; the real payer's name is not revealed."""
    forged = resign(forge_payer(genuine), _SELF_SIGNED)
    page = checker.test_client().post("/tra-cuu/kiem-tra", data={"tep": (as_upload(forged), "x.xml")})
    assert "người nộp tiền" in verdict_block(page.data)
    assert "Trần Thị Bích" not in page.data.decode()
    assert "Trần" not in verdict_block(page.data)


def test_a_document_naming_nothing_of_ours_is_judged_by_its_signer_only(
    engine: Engine, world: dict[str, Any], clock: Callable[[], datetime], tmp_path: Path, genuine: bytes
) -> None:
    """The same self-signed document is amber with no trust store at all: never green without a trusted signer."""
    from einvoice.web.runtime import dispose

    app = make_public_app(engine, clock, tmp_path / "bare", TRUST_DIR=None)
    try:
        upload = resign(renumber(genuine, template="EBL02"), _SELF_SIGNED)
        page = app.test_client().post("/tra-cuu/kiem-tra", data={"tep": (as_upload(upload), "x.xml")})
        assert headline(page.data) == UNCONFIRMED
        shutil.rmtree(tmp_path / "bare", ignore_errors=True)
    finally:
        dispose(app)


def test_verify_api_answers_503_while_the_check_slots_are_taken(checker: Flask, genuine: bytes, auth: Any) -> None:
    """POST /api/v1/verify shares the service's check slots: all taken, it answers 503 with Retry-After at once."""
    from einvoice.web.checkslots import FOLDER, CheckSlots

    with CheckSlots(Path(checker.config["DATA_DIR"]) / FOLDER, 1).taken("203.0.113.9"):
        answer = checker.test_client().post(
            "/api/v1/verify", data=genuine, headers={**auth("finance"), "Content-Type": "application/xml"}
        )
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "5"
    assert answer.get_json()["problems"][0]["code"] == "CHECKS_BUSY"
