"""A local T-VAN with the tax authority behind it, for development, demos and tests (``einvoice simulator``).

It speaks the API of :mod:`einvoice.gateway.http`, judges what it receives as the authority would (reading profile,
signatures), answers 999 at once and 202/204/301 after ``answer_delay`` seconds, assigns 34-hex codes and signs with
a development "CQT" certificate of its own (``<data dir>/simulator/``). It counts every delivery per ``MTDiep``, so a
test can prove that nothing was sent twice (``GET /_simulator/stats``).

Faults, set at start or at run time (``POST /_simulator/faults`` with JSON): ``down`` (every call 503), ``slow``
(seconds before each reply), ``error_rate`` (HTTP 500 before doing anything), ``lose_reply_rate`` (the submission is
taken, then the reply is lost: HTTP 504), ``duplicate_rate`` (an answer is listed twice), ``reorder`` (answers in
random order, a final answer before its 999). Random draws come from ``seed``, so a run can be repeated.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from flask import Flask, Response, abort, jsonify, request

from einvoice.domain.errors import Problem, UnsafeInputError
from einvoice.gateway.authority_model import Judge, answer
from einvoice.signing.certificates import DEVELOPMENT_UNIT
from einvoice.signing.devca import create_root_ca, key_usage, write_pkcs12
from einvoice.signing.pkcs12 import Pkcs12Signer
from einvoice.xmldoc import envelope as env
from einvoice.xmldoc.profiles import Profile
from einvoice.xmldoc.validate import validate_document
from einvoice.xmldoc.verify import verify_document

AUTHORITY_NAME = "TỔNG CỤC THUẾ (MÔ PHỎNG)"


@dataclass
class Faults:
    """Fault injection; every rate is a probability between 0 and 1."""

    down: bool = False
    slow: float = 0.0
    error_rate: float = 0.0
    lose_reply_rate: float = 0.0
    duplicate_rate: float = 0.0
    reorder: bool = False
    seed: int | None = None

    def update(self, values: dict[str, Any]) -> None:
        """Change the named faults; refuse unknown names or values out of range."""
        known = {item.name: item.type for item in fields(self)}
        for name, value in values.items():
            if name not in known:
                raise ValueError(f"unknown fault {name!r}")
            if name.endswith("_rate") and not 0 <= float(value) <= 1:
                raise ValueError(f"{name} is a probability between 0 and 1")
            setattr(self, name, value)


@dataclass
class _Held:
    """One received message: how often it was delivered, and the answers with the time each becomes visible."""

    deliveries: int
    answers: list[tuple[datetime, bytes]] = field(default_factory=list)


class SimulatedAuthority:
    """The simulator's memory: messages received and answers to give, behind one lock."""

    def __init__(self, signer: Pkcs12Signer, judge: Judge, *, answer_delay: float, clock: Callable[[], datetime]):
        self.signer, self.judge, self.answer_delay, self.clock = signer, judge, answer_delay, clock
        self.faults = Faults()
        self.random = random.Random()  # noqa: S311 -- fault injection, not security
        self._held: dict[str, _Held] = {}
        self._lock = threading.Lock()

    def receive(self, raw: bytes) -> str:
        """Take a message; return the T-VAN's code (0 taken, 2 exists already)."""
        message = env.read_message(raw)
        key = message.header.message_id
        with self._lock:
            if key in self._held:
                self._held[key].deliveries += 1
                return "2"
            self._held[key] = held = _Held(deliveries=1)
        now = self.clock()
        answers = answer(message, judge=self.judge, signer=self.signer, now=now)
        later = now + timedelta(seconds=self.answer_delay)
        with self._lock:
            held.answers.append((now, answers.technical))
            if answers.final is not None:
                held.answers.append((later, answers.final))
        return "0"

    def status(self, message_id: str) -> list[bytes] | None:
        """Return the answers visible now for ``message_id``, faults applied, or None if unknown."""
        now = self.clock()
        with self._lock:
            held = self._held.get(message_id)
            if held is None:
                return None
            visible = [raw for when, raw in held.answers if when <= now]
        shown: list[bytes] = []
        for raw in visible:
            shown.append(raw)
            if self.random.random() < self.faults.duplicate_rate:
                shown.append(raw)
        if self.faults.reorder:
            self.random.shuffle(shown)
        return shown

    def stats(self) -> dict[str, Any]:
        """Return deliveries per MTDiep and totals."""
        with self._lock:
            deliveries = {key: held.deliveries for key, held in self._held.items()}
        return {"messages": len(deliveries), "deliveries": deliveries, "faults": asdict(self.faults)}


def create_simulator(authority: SimulatedAuthority, *, token: str) -> Flask:
    """Return the simulator's WSGI app."""
    app = Flask("einvoice.simulator")

    @app.before_request
    def _faults() -> Response | None:
        if request.path.startswith("/_simulator"):
            return None
        faults = authority.faults
        if faults.slow:
            time.sleep(float(faults.slow))
        if faults.down:
            return Response("down", status=503)
        if authority.random.random() < faults.error_rate:
            return Response("simulated server error", status=500)
        if request.headers.get("Authorization") != f"Bearer {token}":
            return Response("unauthorised", status=401)
        return None

    @app.post("/TiepNhanThongDiep")
    def submit() -> Response:
        try:
            code = authority.receive(request.get_data())
        except (UnsafeInputError, env.EnvelopeError) as error:
            return _xml(
                "KetQuaTiepNhan", b"<MaKetQua>3</MaKetQua><MoTaKetQua>" + _escape(str(error)) + b"</MoTaKetQua>"
            )
        if code == "0" and authority.random.random() < authority.faults.lose_reply_rate:
            return Response("reply lost", status=504)  # taken, but the sender never learns it
        text = "Tiếp nhận thông điệp thành công" if code == "0" else "MTDiep đã tồn tại"
        return _xml("KetQuaTiepNhan", f"<MaKetQua>{code}</MaKetQua><MoTaKetQua>{text}</MoTaKetQua>".encode())

    @app.post("/TraCuuThongDiep")
    def status() -> Response:
        message_id = request.get_data().decode("utf-8", "replace").replace("<MTDiep>", "").replace("</MTDiep>", "")
        answers = authority.status(message_id.strip())
        if answers is None:
            return _xml("KetQuaTraCuu", "<MaKetQua>2</MaKetQua><MoTaKetQua>Không tìm thấy</MoTaKetQua>".encode())
        body = b"".join(env.without_declaration(raw) for raw in answers)
        head = f"<MaGD>{message_id.strip()}</MaGD><MaKetQua>0</MaKetQua><MoTaKetQua/>".encode()
        return _xml("KetQuaTraCuu", head + b"<DuLieu>" + body + b"</DuLieu>")

    @app.get("/_simulator/stats")
    def stats() -> Response:
        return jsonify(authority.stats())

    @app.post("/_simulator/faults")
    def set_faults() -> Response:
        values = request.get_json(silent=True)
        if not isinstance(values, dict):
            abort(400, description="a JSON object of faults")
        try:
            authority.faults.update(values)
        except (ValueError, TypeError) as error:
            abort(400, description=str(error))
        if authority.faults.seed is not None:
            authority.random.seed(authority.faults.seed)
        return jsonify(asdict(authority.faults))

    return app


def judge_as_authority(xml: bytes) -> list[Problem]:
    """Return what the authority would refuse in one document: its signature, then the reading profile's errors."""
    head = env.without_declaration(xml)[:40]
    problems: list[Problem] = []
    report = verify_document(xml, allow_development=True)  # invoices, receipt tables and error notices alike
    if not report.valid:
        problems.append(
            Problem("SIGNATURE_INVALID", "DSCKS", "Chữ ký số không hợp lệ", "the signature does not verify")
        )
    if head.startswith((b"<HDon", b"<BLai")):
        problems += validate_document(xml, Profile.READ)  # what the authority accepts
    return problems


def trust_all(xml: bytes) -> list[Problem]:
    """Find nothing to refuse (``einvoice simulator --trust``): a benchmark then measures the sender, not the judge."""
    return []


def authority_root_path(data_dir: Path) -> Path:
    """Return where the simulator keeps the root of its "CQT" certificate under ``data_dir``."""
    return data_dir / "simulator" / "authority-root.pem"


def authority_signer(data_dir: Path, *, now: datetime | None = None) -> Pkcs12Signer:
    """Return the simulator's "CQT" signer, made once under ``<data dir>/simulator/`` by its own development root.

    The root's certificate is beside it (``authority-root.pem``): trust it, in development only, to verify coded
    invoices; a real coded invoice chains to the government CA instead (choice 17: by chain, never by subject).
    Its certificates are valid from ``now`` (default: the present; a test passes its own clock's time) for 3 years.
    """
    folder = authority_root_path(data_dir).parent
    p12, password = folder / "authority.p12", folder / "authority.password"
    if not p12.exists():
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        now = (now or datetime.now(UTC)) - timedelta(minutes=5)
        root_key, root = create_root_ca(now=now, common_name="einvoice development tax authority root")
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                x509.NameAttribute(NameOID.LOCALITY_NAME, "Hà Nội"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "BỘ TÀI CHÍNH"),
                x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, DEVELOPMENT_UNIT),
                x509.NameAttribute(NameOID.COMMON_NAME, AUTHORITY_NAME),
            ]
        )
        certificate = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(root.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now)
            .not_valid_after(now + timedelta(days=3 * 365))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(key_usage(signing=True), critical=True)  # as a real signing certificate: chains need it
            .sign(root_key, hashes.SHA256())
        )
        write_pkcs12(p12, password, key, certificate, [root])
        authority_root_path(data_dir).write_bytes(root.public_bytes(serialization.Encoding.PEM))
    return Pkcs12Signer.from_password_file(p12, password)


def _xml(tag: str, inner: bytes) -> Response:
    body = b'<?xml version="1.0" encoding="UTF-8"?><' + tag.encode() + b">" + inner + b"</" + tag.encode() + b">"
    return Response(body, status=200, content_type="application/xml; charset=utf-8")


def _escape(text: str) -> bytes:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").encode()
