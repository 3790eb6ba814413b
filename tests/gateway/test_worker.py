"""The outbox worker against the local authority simulator: exactly once, whatever the network and the authority do."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from lxml import etree
from render.signed_docs import signer_for
from sqlalchemy import Engine, func, select

from einvoice.domain.parties import Buyer
from einvoice.domain.rates import VatRate
from einvoice.domain.totals import goods_line
from einvoice.gateway.http import HttpGateway, HttpSettings
from einvoice.gateway.simulator import SimulatedAuthority, authority_signer, create_simulator, judge_as_authority
from einvoice.services import catalogue
from einvoice.services.issuing import CatalogueFee, InvoiceRequest, ReceiptRequest, Toolchain, issue_document
from einvoice.services.outbox import Addressing
from einvoice.services.transmission import Worker, WorkerSettings, retry_parked
from einvoice.storage.schema import coded_documents, documents, outbox_attempts, outbox_messages
from einvoice.xmldoc import envelope as env
from einvoice.xmldoc.safe import parse_untrusted
from einvoice.xmldoc.sign import sign_built
from einvoice.xmldoc.validate import validate_document
from einvoice.xmldoc.verify import verify_document

TOKEN = "worker-test-token"
pytestmark = pytest.mark.slow


@pytest.fixture
def signed_tools() -> Toolchain:
    """Validate and sign for real with the TEST-ONLY certificate of the world's issuer."""

    def sign(built: Any, issuer: Any, moment: Any) -> bytes:
        signer = signer_for(issuer["tax_code"])
        return sign_built(built, signer, signing_time=moment, expected_tax_code=issuer["tax_code"])

    return Toolchain(validate=validate_document, sign=sign)


@pytest.fixture
def authority(authority_folder: Path, clock: Any) -> SimulatedAuthority:
    """The simulated authority on the test clock, answering 5 seconds after each message."""
    return SimulatedAuthority(authority_signer(authority_folder), judge_as_authority, answer_delay=5, clock=clock)


@pytest.fixture
def gateway(authority: SimulatedAuthority) -> Iterator[HttpGateway]:
    """The HTTP adapter on the simulator (in-process WSGI transport)."""
    app = create_simulator(authority, token=TOKEN)
    found = HttpGateway(HttpSettings("http://tvan.test", TOKEN), transport=httpx.WSGITransport(app=app))  # type: ignore[arg-type]
    yield found
    found.close()


def _worker(engine: Engine, gateway: HttpGateway, clock: Any, name: str = "w1", sign: Any = None) -> Worker:
    settings = WorkerSettings(Addressing("0100000001"), batch_window=timedelta(minutes=1), max_attempts=6)
    worker = Worker(engine, gateway, settings, clock, sign=sign, name=name)
    worker.random.seed(1)
    return worker


def _issue(engine: Engine, world: dict[str, Any], tools: Toolchain, clock: Any, series_id: int, n: int) -> list[int]:
    line = goods_line("Giấy A4", Decimal(2), Decimal(50_000), VatRate.parse("10%"), unit="Ram")
    request = InvoiceRequest(series_id, Buyer(name="CÔNG TY XYZ", tax_code="0309876543"), (line,))
    return [issue_document(engine, request, actor=world["cashier"], now=clock, tools=tools).id for _ in range(n)]


def _drain(workers: list[Worker], clock: Any, *, rounds: int = 400, step: timedelta = timedelta(seconds=3)) -> None:
    """Run the workers round-robin, moving the clock, until nothing is left to do (bounded)."""
    for _ in range(rounds):
        busy = [worker.run_once() for worker in workers]
        if not any(busy):
            clock.value += step
        with workers[0].engine.connect() as conn:
            open_messages = conn.execute(
                select(func.count()).where(outbox_messages.c.state.in_(("pending", "sent")))
            ).scalar_one()
            unpacked = conn.execute(select(func.count()).select_from(outbox_messages)).scalar_one()
        if open_messages == 0 and unpacked and not any(busy):
            return


def _transmission(engine: Engine, ids: list[int]) -> list[str]:
    with engine.connect() as conn:
        rows = dict(conn.execute(select(documents.c.id, documents.c.transmission).where(documents.c.id.in_(ids))).all())
    return [rows[i] for i in ids]


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
    ids = _issue(engine, world, signed_tools, clock, world["invoices"]["id"], 6)
    worker = _worker(engine, gateway, clock)
    for _ in range(10):
        worker.run_once()
        clock.value += timedelta(seconds=2)
    assert _transmission(engine, ids) == ["pending"] * 6
    authority.faults.update({"down": False})
    _drain([worker], clock)
    assert _transmission(engine, ids) == ["accepted"] * 6
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
    ids = _issue(engine, world, signed_tools, clock, world["invoices"]["id"], 10)
    _drain([_worker(engine, gateway, clock)], clock)
    assert _transmission(engine, ids) == ["accepted"] * 10
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
    ids = _issue(engine, world, signed_tools, clock, k_series["id"], 5)
    worker = _worker(engine, gateway, clock)
    assert not worker.run_once()  # inside the batch window: nothing packed yet
    _drain([worker], clock)
    assert authority.stats()["messages"] == 1
    assert _transmission(engine, ids) == ["accepted"] * 5


def test_a_tampered_invoice_is_rejected_with_the_authoritys_reasons(
    engine: Engine, world: dict[str, Any], signed_tools: Toolchain, clock: Any, gateway: HttpGateway
) -> None:
    """The authority refuses a code (204): the document is rejected, with the reason in its history."""

    def tamper(built: Any, issuer: Any, moment: Any) -> bytes:
        return signed_tools.sign(built, issuer, moment).replace(b"XYZ</Ten>", b"XYW</Ten>", 1)

    ids = _issue(engine, world, Toolchain(validate=validate_document, sign=tamper), clock, world["invoices"]["id"], 1)
    _drain([_worker(engine, gateway, clock)], clock)
    assert _transmission(engine, ids) == ["rejected"]


def test_a_refusing_provider_parks_the_message_until_an_admin_retries(
    engine: Engine, world: dict[str, Any], signed_tools: Toolchain, clock: Any, authority: SimulatedAuthority
) -> None:
    """Wrong credentials: the message is parked with the reason; a retry by hand with the right ones delivers it."""
    ids = _issue(engine, world, signed_tools, clock, world["invoices"]["id"], 1)
    app = create_simulator(authority, token=TOKEN)
    wrong = HttpGateway(HttpSettings("http://tvan.test", "wrong"), transport=httpx.WSGITransport(app=app))  # type: ignore[arg-type]
    worker = _worker(engine, wrong, clock)
    worker.run_once()
    with engine.connect() as conn:
        parked = conn.execute(select(outbox_messages.c.id, outbox_messages.c.state, outbox_messages.c.last_error)).one()
    assert parked.state == "parked"
    assert "refused" in parked.last_error
    right = HttpGateway(HttpSettings("http://tvan.test", TOKEN), transport=httpx.WSGITransport(app=app))  # type: ignore[arg-type]
    assert retry_parked(engine, parked.id, clock())
    _drain([_worker(engine, right, clock)], clock)
    assert _transmission(engine, ids) == ["accepted"]


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
    worker = _worker(engine, gateway, clock, sign=signed_tools.sign)  # the clock says 09:00 in Hà Nội
    assert not worker.run_once()
    clock.value = clock.value.replace(hour=13, minute=5)  # 20:05 in Hà Nội: the day's table is due
    _drain([worker], clock)
    assert _transmission(engine, first) == ["accepted"] * 3
    late = [issue()]
    _drain([worker], clock)
    assert _transmission(engine, late) == ["accepted"]
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
