"""The local authority simulator through the HTTP adapter: answers, codes, signatures, duplicates and faults."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import builders
import httpx
import pytest
from gateway.support import TOKEN
from render.signed_docs import ROOT_CA, sign

from einvoice.gateway.base import GatewayRefused, GatewayUnavailable, Submitted
from einvoice.gateway.http import HttpGateway, HttpSettings
from einvoice.gateway.simulator import SimulatedAuthority, authority_signer, create_simulator, judge_as_authority
from einvoice.xmldoc import envelope as env
from einvoice.xmldoc.verify import verify_document


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.value = datetime(2026, 9, 29, 3, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.value


@pytest.fixture
def clock() -> Clock:
    """The simulator's clock."""
    return Clock()


@pytest.fixture
def authority(authority_folder: Path, clock: Clock) -> SimulatedAuthority:
    """A simulated authority answering 30 seconds after each message."""
    return SimulatedAuthority(authority_signer(authority_folder), judge_as_authority, answer_delay=30, clock=clock)


def _message(code: str, *documents: bytes, sender: str = "0101234567") -> tuple[str, bytes]:
    message_id = env.new_message_id(sender)
    header = env.Header(env.ENVELOPE_VERSION, sender, "V0100000001", code, message_id, None, sender, len(documents))
    return message_id, env.build_message(header, documents)


def test_a_coded_invoice_comes_back_as_999_then_202_with_both_signatures_valid(
    gateway: HttpGateway, clock: Clock, tmp_path: Path, authority_folder: Path
) -> None:
    """An invoice sent for coding: 999 at once, the 202 later; seller's and authority's signatures both verify."""
    invoice = sign(builders.invoice(lines=2))
    message_id, message = _message(env.CODED_INVOICE, invoice)
    assert gateway.send(message_id, message) is Submitted.ACCEPTED

    first = gateway.status(message_id)
    assert first.known
    (technical,) = (env.read_message(raw) for raw in first.answers)
    assert technical.header.code == env.TECHNICAL_RECEIPT
    assert technical.header.answers == message_id
    assert env.technical_receipt_ok(technical) == (True, ())

    clock.value += timedelta(seconds=31)
    answers = [env.read_message(raw) for raw in gateway.status(message_id).answers]
    assert [answer.header.code for answer in answers] == [env.TECHNICAL_RECEIPT, env.CODED]
    coded = env.coded_invoice(answers[1])
    assert len(coded.authority_code) == 34
    assert coded.document.startswith(b"<HDon>")
    assert invoice.split(b"<DLHDon", 1)[1].split(b"</DLHDon>")[0] in coded.document  # the seller's bytes untouched
    report = verify_document(coded.document, allow_development=True)
    assert report.valid, report
    assert {signature.role for signature in report.signatures} == {"NBan", "CQT"}
    path = tmp_path / "coded.xml"
    path.write_bytes(coded.document)
    roots = {"NBan": ROOT_CA, "CQT": authority_folder / "simulator" / "authority-root.pem"}
    for role, root in roots.items():
        xpath = f"//*[local-name()='{role}']/*[local-name()='Signature']"
        command = ["xmlsec1", "--verify", "--id-attr:Id", "DLHDon", "--id-attr:Id", "MCCQT", "--node-xpath", xpath]
        result = subprocess.run(
            [*command, "--trusted-pem", str(root), str(path)], capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, (role, result.stderr)


def test_an_invoice_edited_after_signing_is_refused_a_code_with_reasons(gateway: HttpGateway, clock: Clock) -> None:
    """A tampered invoice gets 999 (taken) then 204 LTBao 1 naming the broken signature; never a code."""
    tampered = sign(builders.invoice(lines=1)).replace(b"XYZ</Ten>", b"XYW</Ten>", 1)
    message_id, message = _message(env.CODED_INVOICE, tampered)
    gateway.send(message_id, message)
    clock.value += timedelta(minutes=1)
    final = env.read_message(gateway.status(message_id).answers[-1])
    assert final.header.code == env.CHECK_RESULT
    result = env.check_result(final)
    assert result.kind == "1"
    assert not result.accepted
    assert any("SIGNATURE_INVALID" in reason.text for reason in result.reasons)


def test_uncoded_invoices_travel_together_and_are_checked_as_a_package(gateway: HttpGateway, clock: Clock) -> None:
    """A 203 with two uncoded invoices: one 999, then one 204 LTBao 2 (package valid)."""
    documents = [sign(builders.invoice(lines=1, series="K25TAA", number=n)) for n in (1, 2)]
    message_id, message = _message(env.UNCODED_INVOICES, *documents)
    assert env.read_message(message).items == tuple(documents_without_declaration(documents))
    gateway.send(message_id, message)
    clock.value += timedelta(minutes=1)
    final = env.read_message(gateway.status(message_id).answers[-1])
    assert env.check_result(final).accepted


def documents_without_declaration(documents: list[bytes]) -> list[bytes]:
    """Return the documents as a message carries them."""
    return [env.without_declaration(document) for document in documents]


def test_the_same_message_twice_is_a_duplicate_and_counted(gateway: HttpGateway, authority: SimulatedAuthority) -> None:
    """A resent MTDiep is answered "exists already" and the simulator counts both deliveries."""
    message_id, message = _message(env.CODED_INVOICE, sign(builders.invoice(lines=1)))
    assert gateway.send(message_id, message) is Submitted.ACCEPTED
    assert gateway.send(message_id, message) is Submitted.DUPLICATE
    assert authority.stats()["deliveries"][message_id] == 2


def test_an_unknown_message_is_not_known(gateway: HttpGateway) -> None:
    """Status of a message never sent: not known (so the worker may send it)."""
    assert not gateway.status(env.new_message_id("0101234567")).known


def test_faults_down_and_lost_replies_look_unavailable_but_status_tells_the_truth(
    gateway: HttpGateway, authority: SimulatedAuthority
) -> None:
    """Down → unavailable and nothing taken; a lost reply → unavailable, yet the status shows the message arrived."""
    message_id, message = _message(env.CODED_INVOICE, sign(builders.invoice(lines=1)))
    authority.faults.update({"down": True})
    with pytest.raises(GatewayUnavailable):
        gateway.send(message_id, message)
    authority.faults.update({"down": False, "lose_reply_rate": 1.0})
    with pytest.raises(GatewayUnavailable):
        gateway.send(message_id, message)
    authority.faults.update({"lose_reply_rate": 0.0})
    assert gateway.status(message_id).known
    assert authority.stats()["deliveries"][message_id] == 1


def test_a_wrong_token_is_a_refusal_not_an_outage(authority: SimulatedAuthority) -> None:
    """Credentials the T-VAN refuses are GatewayRefused: retrying will not help, a person must look."""
    app = create_simulator(authority, token=TOKEN)
    wrong = HttpGateway(HttpSettings("http://simulator.test", "nope"), transport=httpx.WSGITransport(app=app))  # type: ignore[arg-type]
    with pytest.raises(GatewayRefused):
        wrong.status(env.new_message_id("0101234567"))


def test_duplicated_and_reordered_answers_are_served_as_configured(
    gateway: HttpGateway, authority: SimulatedAuthority, clock: Clock
) -> None:
    """With duplicate_rate 1 every answer is listed twice; the receiver must match by MTDTChieu and ignore repeats."""
    message_id, message = _message(env.CODED_INVOICE, sign(builders.invoice(lines=1)))
    gateway.send(message_id, message)
    clock.value += timedelta(minutes=1)
    authority.faults.update({"duplicate_rate": 1.0, "reorder": True, "seed": 7})
    answers = gateway.status(message_id).answers
    codes = sorted(env.read_message(raw).header.code for raw in answers)
    assert codes == [env.CODED, env.CODED, env.TECHNICAL_RECEIPT, env.TECHNICAL_RECEIPT]
    assert {env.read_message(raw).header.answers for raw in answers} == {message_id}
