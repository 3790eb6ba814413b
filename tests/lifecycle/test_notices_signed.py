"""Error notices are signed by the issuer like every other message and queued for the authority with the move; a
plain cancel (TCTBao=1) exists only for legacy invoices, and only when LEGACY_CANCEL is on."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from flask import Flask
from lifecycle.lifecycle_support import goods, invoice_body, receipt_body
from public.authority_support import simulated_authority, transmit
from public.lookup_support import make_public_app
from render.signed_docs import ROOT_CA
from sqlalchemy import Engine, func, select

from einvoice.domain.lifecycle import CANCEL_PROCEDURE_ENDED, legacy_cancel_allowed
from einvoice.gateway.authority_model import answer
from einvoice.gateway.simulator import authority_signer, judge_as_authority, trust_all
from einvoice.kinds import row_of
from einvoice.services.answers import ends_message
from einvoice.storage.schema import documents, error_notices, outbox_items
from einvoice.web.runtime import dispose
from einvoice.xmldoc import envelope as env
from einvoice.xmldoc.certinfo import TrustStore
from einvoice.xmldoc.notices import NoticedDocument, build_error_notice
from einvoice.xmldoc.safe import parse_untrusted
from einvoice.xmldoc.verify import verify_document

pytestmark = pytest.mark.slow


@pytest.fixture
def signing_app(engine: Engine, world: dict[str, Any], clock: Any, tmp_path: Path) -> Iterator[Flask]:
    """Return an app that signs for real (TEST-ONLY certificates); LEGACY_CANCEL off, the default."""
    app = make_public_app(engine, clock, tmp_path / "data")
    yield app
    dispose(app)


@pytest.fixture
def legacy_app(engine: Engine, world: dict[str, Any], clock: Any, tmp_path: Path) -> Iterator[Flask]:
    """Return the same app with LEGACY_CANCEL on."""
    app = make_public_app(engine, clock, tmp_path / "legacy", LEGACY_CANCEL=True)
    yield app
    dispose(app)


def _invoice(app: Flask, series_id: int, auth: Any, key: str) -> dict[str, Any]:
    made = app.test_client().post(
        "/api/v1/invoices", json=invoice_body(series_id, [goods("10")]), headers=auth("cashier", key)
    )
    assert made.status_code == 201, made.get_json()
    return dict(made.get_json())


def _notices(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(error_notices.c.id, error_notices.c.xml).order_by(error_notices.c.id)))


def _queued_notices(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count()).select_from(outbox_items).where(outbox_items.c.route == "notice")
            ).scalar_one()
        )


def _trust() -> TrustStore:
    return TrustStore(x509.load_pem_x509_certificates(ROOT_CA.read_bytes()))


def test_an_error_notice_is_signed_queued_and_answered(
    signing_app: Flask,
    world: dict[str, Any],
    uncoded: dict[str, Any],
    auth: Any,
    engine: Engine,
    clock: Any,
    tmp_path: Path,
) -> None:
    """The stored 04/SS verifies with our verifier (slot NNT, trusted chain); an edit breaks it; the 301 accepts it."""
    invoice = _invoice(signing_app, uncoded["id"], auth, "n-1")
    body = {"errors": ["buyer_address"], "reason": "Ghi sai số nhà"}
    made = signing_app.test_client().post(
        f"/api/v1/documents/{invoice['id']}/error-notices", json=body, headers=auth("finance", "n-2")
    )
    assert made.status_code == 201, made.get_json()
    [(_, xml)] = _notices(engine)
    report = verify_document(bytes(xml), trust=_trust())
    assert report.accepted
    assert [s.role for s in report.signatures] == ["NNT"]
    edited = bytes(xml).replace("Ghi sai số nhà".encode(), "Ghi sai tên".encode())
    assert not verify_document(edited, trust=_trust()).valid
    assert _queued_notices(engine) == 1

    transmit(engine, simulated_authority(tmp_path / "data", clock), clock)
    detail = signing_app.test_client().get(f"/api/v1/documents/{invoice['id']}", headers=auth("finance")).get_json()
    notice_messages = [m for m in detail["history"]["messages"] if m["about"] == "notice"]
    assert [(m["direction"], m["type"], m["outcome"]) for m in notice_messages] == [
        ("sent", "300", "done"),
        ("received", "999", "received"),
        ("received", "301", "accepted"),
    ]
    assert detail["state"] == "explained"


def test_a_receipt_notice_is_answered_for_that_receipt(
    signing_app: Flask, world: dict[str, Any], auth: Any, engine: Engine, clock: Any, tmp_path: Path
) -> None:
    """A 04/SS-CTĐT about a receipt names the issuer's tax office and place, goes in a 304 (not a 300), and its 301
    accepts that receipt (its own columns are read)."""
    client = signing_app.test_client()
    office = {"tax_office_code": "10100", "tax_office_name": "Thuế thành phố Hà Nội", "province": "Hà Nội"}
    changed = client.patch(f"/api/v1/issuers/{world['issuer']['id']}", json=office, headers=auth("admin", "rn-0"))
    assert changed.status_code == 200, changed.get_json()
    too_long = client.patch(
        f"/api/v1/issuers/{world['issuer']['id']}", json={"tax_office_code": "101001"}, headers=auth("admin", "rn-00")
    )
    assert [p["path"] for p in too_long.get_json()["problems"]] == ["tax_office_code"]
    receipt = client.post("/api/v1/receipts", json=receipt_body(world), headers=auth("cashier", "rn-1")).get_json()
    body = {"errors": ["buyer_name"], "reason": "Ghi sai tên người nộp"}
    made = client.post(f"/api/v1/documents/{receipt['id']}/error-notices", json=body, headers=auth("finance", "rn-2"))
    assert made.status_code == 201, made.get_json()
    clock.value += timedelta(hours=11, minutes=1)  # the day's receipt table goes too
    [(_, xml)] = _notices(engine)
    data = parse_untrusted(bytes(xml)).find("DLTBao")
    assert data is not None
    assert [data.findtext(tag) for tag in ("MCQT", "TCQT", "DDanh")] == ["10100", "Thuế thành phố Hà Nội", "Hà Nội"]
    transmit(engine, simulated_authority(tmp_path / "data", clock), clock)
    messages = client.get(f"/api/v1/documents/{receipt['id']}", headers=auth("finance")).get_json()["history"]
    answered = [(m["type"], m["outcome"]) for m in messages["messages"] if m["direction"] == "received"]
    sent = [
        (m["type"], m["outcome"]) for m in messages["messages"] if m["direction"] == "sent" and m["about"] == "notice"
    ]
    assert sent == [(env.RECEIPT_ERROR_NOTICE, "done")]
    assert ("301", "accepted") in answered
    assert ("204", "accepted") in answered


def test_the_authority_refuses_an_unsigned_notice(tmp_path: Path) -> None:
    """A 300 carrying an unsigned notice gets a 301 refusing it (TTTNCCQT 2) with the reason: signatures count."""
    noticed = NoticedDocument("invoice", "1", "K26TAA", 7, datetime(2026, 9, 1).date(), "Sai địa chỉ")
    _, built = build_error_notice(
        noticed, issuer_name="TRUNG TÂM X", issuer_tax_code="0109999999", notice_date=datetime(2026, 9, 2).date()
    )
    header = env.Header(
        "2.1.0", "0109999999", "0100000001", env.ERROR_NOTICE, env.new_message_id("0109999999"), None, "0109999999", 1
    )
    message = env.read_message(env.build_message(header, [built.xml]))
    now = datetime(2026, 9, 2, 3, tzinfo=UTC)
    final = answer(message, judge=judge_as_authority, signer=authority_signer(tmp_path, now=now), now=now).final
    assert final is not None
    [outcome] = env.notice_result(env.read_message(final))
    assert not outcome.accepted
    assert any("UNSIGNED" in reason.text or "SIGNATURE" in reason.text for reason in outcome.reasons)


def test_cancel_is_refused_unless_the_legacy_setting_allows_it(
    signing_app: Flask, world: dict[str, Any], uncoded: dict[str, Any], auth: Any, engine: Engine
) -> None:
    """LEGACY_CANCEL off: even an invoice of March 2026 is not cancelled (409), nothing is built or queued."""
    invoice = _invoice(signing_app, uncoded["id"], auth, "c-1")
    refused = signing_app.test_client().post(
        f"/api/v1/invoices/{invoice['id']}/cancellation",
        json={"reason": "Hủy theo thỏa thuận"},
        headers=auth("finance", "c-2"),
    )
    assert refused.status_code == 409
    assert refused.get_json()["problems"][0]["code"] == "illegal_transition"
    assert _notices(engine) == []
    assert _queued_notices(engine) == 0
    with engine.connect() as conn:
        assert conn.execute(select(documents.c.state).where(documents.c.id == invoice["id"])).scalar_one() == "issued"


def test_legacy_setting_cancels_an_invoice_of_a_legacy_period_with_tctbao_1(
    legacy_app: Flask, world: dict[str, Any], uncoded: dict[str, Any], auth: Any, engine: Engine, clock: Any
) -> None:
    """LEGACY_CANCEL on: a March 2026 invoice is cancelled by a signed notice saying TCTBao 1; an August one is not,
    nor is a receipt."""
    march = _invoice(legacy_app, uncoded["id"], auth, "l-1")
    client = legacy_app.test_client()
    made = client.post(
        f"/api/v1/invoices/{march['id']}/cancellation",
        json={"reason": "Hủy theo thỏa thuận"},
        headers=auth("finance", "l-2"),
    )
    assert made.status_code == 201, made.get_json()
    [(_, xml)] = _notices(engine)
    assert parse_untrusted(bytes(xml)).findtext("DLTBao/DSHDon/HDon/TCTBao") == "1"
    assert verify_document(bytes(xml), trust=_trust()).accepted
    assert client.get(f"/api/v1/documents/{march['id']}", headers=auth("finance")).get_json()["state"] == "cancelled"

    clock.value = datetime(2026, 8, 3, 2, tzinfo=UTC)
    august = _invoice(legacy_app, uncoded["id"], auth, "l-3")
    late = client.post(
        f"/api/v1/invoices/{august['id']}/cancellation", json={"reason": "Hủy"}, headers=auth("finance", "l-4")
    )
    assert late.status_code == 409
    receipt = client.post("/api/v1/receipts", json=receipt_body(world), headers=auth("cashier", "l-5")).get_json()
    on_receipt = client.post(
        f"/api/v1/invoices/{receipt['id']}/cancellation", json={"reason": "Hủy"}, headers=auth("finance", "l-6")
    )
    assert on_receipt.status_code == 422
    assert len(_notices(engine)) == 1


def test_legacy_cancel_needs_the_setting_and_a_date_before_july_2026() -> None:
    """The rule, both ways: setting off never; setting on only before 1 July 2026."""
    before, on_the_day = datetime(2026, 6, 30).date(), CANCEL_PROCEDURE_ENDED
    assert legacy_cancel_allowed(True, before)
    assert not legacy_cancel_allowed(False, before)
    assert not legacy_cancel_allowed(True, on_the_day)


@pytest.mark.parametrize("kind", ["invoice", "receipt"])
def test_the_authority_answers_each_kinds_notice_message_with_a_301(kind: str, tmp_path: Path) -> None:
    """A notice goes in its kind's message type (300 invoices, 304 receipts); the authority answers it with a 301
    naming the document, and that 301 finishes the message on our side."""
    series = "K26TAA" if kind == "invoice" else "26TAA"
    noticed = NoticedDocument(kind, "1", series, 7, datetime(2026, 9, 1).date(), "Sai tên")
    _, built = build_error_notice(
        noticed, issuer_name="TRUNG TÂM X", issuer_tax_code="0109999999", notice_date=datetime(2026, 9, 2).date()
    )
    code = row_of(kind).notice_message
    header = env.Header("2.1.0", "0109999999", "0100000001", code, env.new_message_id("0109999999"), None, None, 1)
    message = env.read_message(env.build_message(header, [built.xml]))
    now = datetime(2026, 9, 2, 3, tzinfo=UTC)
    answers = answer(message, judge=trust_all, signer=authority_signer(tmp_path, now=now), now=now)
    accepted, reasons = env.technical_receipt_ok(env.read_message(answers.technical))
    assert (accepted, reasons) == (True, ())
    assert answers.final is not None
    final = env.read_message(answers.final)
    assert (final.header.code, final.header.answers) == (env.NOTICE_RESULT, header.message_id)
    [outcome] = env.notice_result(final)
    assert (outcome.series, outcome.number, outcome.accepted) == (series, "7", True)
    assert ends_message(code, [final], ())
