"""The outbox worker against the local authority simulator: exactly once, whatever the network and the authority do."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from gateway.support import TOKEN, drain, issue_invoices, make_worker, transmission
from lxml import etree
from sqlalchemy import Engine, func, select

from einvoice.domain.parties import Buyer
from einvoice.gateway.http import HttpGateway, HttpSettings
from einvoice.gateway.simulator import SimulatedAuthority, create_simulator
from einvoice.services import catalogue
from einvoice.services.issuing import CatalogueFee, ReceiptRequest, Toolchain, issue_document
from einvoice.services.transmission import retry_parked
from einvoice.storage.schema import coded_documents, outbox_attempts, outbox_messages
from einvoice.xmldoc import envelope as env
from einvoice.xmldoc.safe import parse_untrusted
from einvoice.xmldoc.validate import validate_document
from einvoice.xmldoc.verify import verify_document

pytestmark = pytest.mark.slow


def test_coded_invoices_issued_while_the_authority_is_down_are_coded_once_it_is_back(
    engine: Engine,
    world: dict[str, Any],
    signed_tools: Toolchain,
    clock: Any,
    gateway: HttpGateway,
    authority: SimulatedAuthority,
) -> None:
    """Issued while the T-VAN is down: nothing lost; once up, each delivered exactly once and coded, 202 verifies."""
    authority.faults.update({"down": True})
    ids = issue_invoices(engine, world, signed_tools, clock, world["invoices"]["id"], 6)
    worker = make_worker(engine, gateway, clock)
    for _ in range(10):
        worker.run_once()
        clock.value += timedelta(seconds=2)
    assert transmission(engine, ids) == ["pending"] * 6
    authority.faults.update({"down": False})
    drain([worker], clock)
    assert transmission(engine, ids) == ["accepted"] * 6
    assert set(authority.stats()["deliveries"].values()) == {1}
    assert authority.stats()["messages"] == 6
    with engine.connect() as conn:
        coded = conn.execute(select(coded_documents.c.xml, coded_documents.c.authority_code)).all()
    assert len(coded) == 6
    for xml, code in coded:
        assert len(code) == 34
        report = verify_document(xml, allow_development=True)
        assert report.valid
        assert {s.role for s in report.signatures} == {"NBan", "CQT"}


def test_lost_replies_duplicated_answers_and_out_of_order_answers_change_nothing(
    engine: Engine,
    world: dict[str, Any],
    signed_tools: Toolchain,
    clock: Any,
    gateway: HttpGateway,
    authority: SimulatedAuthority,
) -> None:
    """Half the replies lost, every answer duplicated and shuffled: still one delivery each, every invoice coded."""
    authority.faults.update(
        {"lose_reply_rate": 0.5, "duplicate_rate": 1.0, "reorder": True, "error_rate": 0.1, "seed": 3}
    )
    ids = issue_invoices(engine, world, signed_tools, clock, world["invoices"]["id"], 10)
    drain([make_worker(engine, gateway, clock)], clock)
    assert transmission(engine, ids) == ["accepted"] * 10
    assert set(authority.stats()["deliveries"].values()) == {1}
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(coded_documents)).scalar_one() == 10
        asked_first = conn.execute(
            select(func.count()).where(outbox_attempts.c.action == "status", outbox_attempts.c.outcome == "known")
        ).scalar_one()
    assert asked_first >= 1  # a lost reply was followed by a status question, never by a second send


def test_uncoded_invoices_go_together_in_one_203_after_the_batch_window(
    engine: Engine,
    world: dict[str, Any],
    signed_tools: Toolchain,
    clock: Any,
    gateway: HttpGateway,
    authority: SimulatedAuthority,
) -> None:
    """Five K-series invoices wait for the batch window, travel in one 203, and are accepted by one 204."""
    k_series = catalogue.create_series(
        engine,
        issuer_id=world["issuer"]["id"],
        kind="invoice",
        template="1",
        symbol="K26TAA",
        counter_id=world["counter"]["id"],
    )
    ids = issue_invoices(engine, world, signed_tools, clock, k_series["id"], 5)
    worker = make_worker(engine, gateway, clock)
    assert not worker.run_once()  # inside the batch window: nothing packed yet
    drain([worker], clock)
    assert authority.stats()["messages"] == 1
    assert transmission(engine, ids) == ["accepted"] * 5


def test_a_tampered_invoice_is_rejected_with_the_authoritys_reasons(
    engine: Engine, world: dict[str, Any], signed_tools: Toolchain, clock: Any, gateway: HttpGateway
) -> None:
    """The authority refuses a code (204): the document is rejected, with the reason in its history."""

    def tamper(built: Any, issuer: Any, moment: Any) -> bytes:
        return signed_tools.sign(built, issuer, moment).replace(b"XYZ</Ten>", b"XYW</Ten>", 1)

    ids = issue_invoices(
        engine, world, Toolchain(validate=validate_document, sign=tamper), clock, world["invoices"]["id"], 1
    )
    drain([make_worker(engine, gateway, clock)], clock)
    assert transmission(engine, ids) == ["rejected"]


def test_a_refusing_provider_parks_the_message_until_an_admin_retries(
    engine: Engine, world: dict[str, Any], signed_tools: Toolchain, clock: Any, authority: SimulatedAuthority
) -> None:
    """Wrong credentials: the message is parked with the reason; a retry by hand with the right ones delivers it."""
    ids = issue_invoices(engine, world, signed_tools, clock, world["invoices"]["id"], 1)
    app = create_simulator(authority, token=TOKEN)
    wrong = HttpGateway(HttpSettings("http://tvan.test", "wrong"), transport=httpx.WSGITransport(app=app))  # type: ignore[arg-type]
    worker = make_worker(engine, wrong, clock)
    worker.run_once()
    worker.finish()
    with engine.connect() as conn:
        parked = conn.execute(select(outbox_messages.c.id, outbox_messages.c.state, outbox_messages.c.last_error)).one()
    assert parked.state == "parked"
    assert "refused" in parked.last_error
    right = HttpGateway(HttpSettings("http://tvan.test", TOKEN), transport=httpx.WSGITransport(app=app))  # type: ignore[arg-type]
    assert retry_parked(engine, parked.id, clock())
    drain([make_worker(engine, right, clock)], clock)
    assert transmission(engine, ids) == ["accepted"]


def test_receipts_of_a_day_go_in_one_signed_table_then_supplements(
    engine: Engine,
    world: dict[str, Any],
    signed_tools: Toolchain,
    clock: Any,
    gateway: HttpGateway,
    authority: SimulatedAuthority,
) -> None:
    """Receipts wait for the day's table time, travel in one signed 01/TH-BLĐT, later ones in a supplement."""
    request = ReceiptRequest(world["receipts"]["id"], Buyer(name="Nguyễn Văn An"), (CatalogueFee("LP-CT", 2),))

    def issue() -> int:
        return issue_document(engine, request, actor=world["cashier"], now=clock, tools=signed_tools).id

    first = [issue() for _ in range(3)]
    worker = make_worker(engine, gateway, clock, sign=signed_tools.sign)  # the clock says 09:00 in Hà Nội
    assert not worker.run_once()
    clock.value = clock.value.replace(hour=13, minute=5)  # 20:05 in Hà Nội: the day's table is due
    drain([worker], clock)
    assert transmission(engine, first) == ["accepted"] * 3
    late = [issue()]
    drain([worker], clock)
    assert transmission(engine, late) == ["accepted"]
    with engine.connect() as conn:
        tables = [
            bytes(raw)
            for raw in conn.execute(select(outbox_messages.c.payload).order_by(outbox_messages.c.id)).scalars()
        ]
    assert len(tables) == 2
    items = [env.read_message(raw).items[0] for raw in tables]
    assert b"<LDau>1</LDau>" in items[0]
    assert items[0].count(b"<DLieu>") == 3
    assert b"<BSLThu>1</BSLThu>" in items[1]
    assert items[1].count(b"<DLieu>") == 1
    assert all(verify_document(item, allow_development=True).valid for item in items)
    schema = etree.XMLSchema(file=str(Path(__file__).resolve().parents[2] / "schemas" / "bthdlblai-1.0.0.xsd"))
    for item in items:
        assert schema.validate(parse_untrusted(item)), schema.error_log


def test_a_coded_invoice_is_parsed_once_on_its_way_in_and_stored_as_sent(
    engine: Engine,
    world: dict[str, Any],
    signed_tools: Toolchain,
    clock: Any,
    gateway: HttpGateway,
    authority: SimulatedAuthority,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Between the T-VAN's reply and the stored coded invoice, the 202's bytes go through the parser once (not once
    per reader: adapter, envelope, exact-bytes check, coded-invoice reader), and are stored byte for byte."""
    parsed: list[bytes] = []
    theirs = {"einvoice.gateway.simulator", "einvoice.gateway.authority_model", "einvoice.xmldoc.authority"}
    ours = [module for name, module in sys.modules.items() if name.startswith("einvoice.") and name not in theirs]
    for module in ours:  # every module of our side that parses (the simulator's coding is the authority's CPU)
        original = getattr(module, "parse_untrusted", None)
        if original is not None:

            def counting(data: bytes, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
                parsed.append(bytes(data))
                return _original(data, *args, **kwargs)

            monkeypatch.setattr(module, "parse_untrusted", counting)
    [invoice] = issue_invoices(engine, world, signed_tools, clock, world["invoices"]["id"], 1)
    drain([make_worker(engine, gateway, clock)], clock)
    assert transmission(engine, [invoice]) == ["accepted"]
    with engine.connect() as conn:
        stored, code = conn.execute(select(coded_documents.c.xml, coded_documents.c.authority_code)).one()
    assert sum(1 for data in parsed if f">{code}</MCCQT>".encode() in data) == 1
    [held] = authority._held.values()  # the simulator's own copy of its answers
    [answer] = [raw for _, raw in held.answers if b"<MLTDiep>202<" in raw]
    assert bytes(stored) in answer
    assert bytes(stored).startswith(b"<HDon")
    assert bytes(stored).endswith(b"</HDon>")
