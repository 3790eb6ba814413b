"""The worker that carries the outbox to the tax authority and brings its answers back (``einvoice worker``).

Several workers may run (processes, hosts). Each round a worker packs queued items, claims one due message with a
lease (PostgreSQL ``FOR UPDATE SKIP LOCKED``; SQLite's write lock lets one claimant at a time), and:

- a message never confirmed delivered: if an earlier attempt may have reached the provider (``attempts > 0``), it
  **asks the status first** and sends only if the provider does not have it; the attempt is counted and committed
  *before* the network call, so a worker killed mid-send leaves a trace that makes the next one ask first;
- a delivered message: asks its status and applies every new answer, matched by ``MTDTChieu`` and kept once by its own
  ``MTDiep`` (a duplicated or late answer changes nothing): 999 refusing the message, 202 (the coded invoice, stored
  as received, becomes the document of record), 204, 301. Each document moves ``send`` → ``accept``/``reject``.

Failures back off exponentially with jitter; after ``max_attempts`` sends, or a refusal by the provider itself, the
message is **parked** with its reason for an administrator, who can retry it (:func:`retry_parked`). Every attempt
is logged in ``outbox_attempts``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import random
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

import httpx
from sqlalchemy import Connection, Engine, Row, or_, select, update
from sqlalchemy.exc import IntegrityError

from einvoice.domain.errors import UnsafeInputError
from einvoice.domain.lifecycle import Action, IllegalTransition
from einvoice.gateway.base import Gateway, GatewayError, GatewayRefused, Submitted
from einvoice.services import outbox, webhooks
from einvoice.services.corrections import move
from einvoice.services.issuing import Actor
from einvoice.services.receipt_tables import Sign, pack_tables
from einvoice.storage.engine import writing
from einvoice.storage.schema import authority_answers, coded_documents, outbox_attempts, outbox_messages
from einvoice.xmldoc import envelope as env

log = logging.getLogger("einvoice.transmission")
SYSTEM = Actor(None, "einvoice-worker", "admin")
#: The answer that ends a message, by the message's type.
FINAL_ANSWERS = {
    env.CODED_INVOICE: frozenset({env.CODED, env.CHECK_RESULT}),
    env.UNCODED_INVOICES: frozenset({env.CHECK_RESULT}),
    env.RECEIPT_TABLE: frozenset({env.CHECK_RESULT}),
    env.ERROR_NOTICE: frozenset({env.NOTICE_RESULT}),
}


@dataclass(frozen=True)
class WorkerSettings:
    """How a worker paces itself."""

    addressing: outbox.Addressing
    lease: timedelta = timedelta(seconds=60)
    poll_interval: timedelta = timedelta(seconds=2)
    batch_window: timedelta = timedelta(minutes=10)
    base_backoff: timedelta = timedelta(seconds=1)
    max_backoff: timedelta = timedelta(minutes=10)
    max_attempts: int = 25
    #: When each day's receipts table 01/TH-BLĐT is packed (Hà Nội time); later receipts go in supplements at once.
    table_at: time = time(20, 0)


def worker_name() -> str:
    """Return a name for this worker process (host and pid), recorded with its leases and attempts."""
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


class Worker:
    """One worker: a gateway, a database, a clock."""

    def __init__(
        self,
        engine: Engine,
        gateway: Gateway,
        settings: WorkerSettings,
        now: Callable[[], datetime],
        *,
        sign: Sign | None = None,
        name: str = "",
        webhook_transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.engine, self.gateway, self.settings, self.now, self.sign = engine, gateway, settings, now, sign
        self.webhook_transport = webhook_transport
        self.name = name or worker_name()
        self.random = random.Random()  # noqa: S311 -- jitter, not a secret

    def run_once(self) -> bool:
        """Pack, then handle one due message; return whether there was one."""
        settings, now = self.settings, self.now()
        with writing(self.engine) as conn:
            outbox.pack(conn, settings.addressing, now=now, batch_window=settings.batch_window)
            if self.sign is not None:  # receipts need the issuer's signature on their daily table
                pack_tables(conn, settings.addressing, now=now, table_at=settings.table_at, sign=self.sign)
            webhooks.fan_out(conn)
        pushed = webhooks.deliver_due(self.engine, now=now, transport=self.webhook_transport)
        message = self._claim()
        if message is None:
            return pushed > 0
        try:
            if message.state == outbox.PENDING:
                self._deliver(message)
            else:
                self._collect(message)
        except GatewayRefused as error:
            self._park(message, f"refused by the provider: {error}")
        except GatewayError as error:
            self._retry_later(message, str(error))
        return True

    def _claim(self) -> Row | None:  # type: ignore[type-arg]
        """Lease one due message; a first send is counted in the same transaction, before the network call."""
        now = self.now()
        query = (
            select(outbox_messages)
            .where(
                outbox_messages.c.state.in_((outbox.PENDING, outbox.SENT)),
                outbox_messages.c.next_attempt_at <= now,
                or_(outbox_messages.c.lease_until.is_(None), outbox_messages.c.lease_until < now),
            )
            .order_by(outbox_messages.c.next_attempt_at, outbox_messages.c.id)
            .limit(1)
        )
        with writing(self.engine) as conn:
            if conn.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            row = conn.execute(query).first()
            if row is None:
                return None
            first_send = row.state == outbox.PENDING and row.attempts == 0
            values = {"lease_owner": self.name, "lease_until": now + self.settings.lease}
            if first_send:
                values["attempts"] = outbox_messages.c.attempts + 1
            conn.execute(update(outbox_messages).where(outbox_messages.c.id == row.id).values(**values))
            if first_send:
                self._log(row.id, "send", "sending", conn=conn)
        return row

    def _deliver(self, message: Row) -> None:  # type: ignore[type-arg]
        if message.attempts > 0:  # an earlier attempt may have arrived: never send twice
            status = self.gateway.status(message.mtdiep)
            if status.known:
                self._mark_sent(message, "delivered by an earlier attempt")
                self._apply_answers(message, status.answers, "known")
                return
            with writing(self.engine) as conn:
                conn.execute(
                    update(outbox_messages)
                    .where(outbox_messages.c.id == message.id)
                    .values(attempts=outbox_messages.c.attempts + 1)
                )
                self._log(message.id, "status", "unknown", conn=conn)
                self._log(message.id, "send", "sending", conn=conn)
        outcome = self.gateway.send(message.mtdiep, bytes(message.payload))
        self._mark_sent(message, "duplicate" if outcome is Submitted.DUPLICATE else "accepted")

    def _collect(self, message: Row) -> None:  # type: ignore[type-arg]
        status = self.gateway.status(message.mtdiep)
        if not status.known:  # the provider lost it: send again, same MTDiep and bytes
            self._reschedule(message, state=outbox.PENDING, delay=timedelta(0), error="unknown to the provider")
            return
        self._apply_answers(message, status.answers, f"{len(status.answers)} answers")

    def _mark_sent(self, message: Row, outcome: str) -> None:  # type: ignore[type-arg]
        now = self.now()
        with writing(self.engine) as conn:
            current = conn.execute(select(outbox_messages.c.state).where(outbox_messages.c.id == message.id)).scalar()
            if current != outbox.PENDING:
                return
            conn.execute(
                update(outbox_messages)
                .where(outbox_messages.c.id == message.id)
                .values(
                    state=outbox.SENT,
                    sent_at=now,
                    next_attempt_at=now + self.settings.poll_interval,
                    lease_owner=None,
                    lease_until=None,
                )
            )
            for document_id in outbox.message_documents(conn, message.id):
                _move(conn, document_id, Action.SEND, now, None)
            self._log(message.id, "send", outcome, conn=conn)

    def _apply_answers(self, message: Row, answers: tuple[bytes, ...], seen: str) -> None:  # type: ignore[type-arg]
        """Store and apply every new answer, then finish or reschedule the message: one transaction."""
        ours = []
        for raw in answers:
            try:
                answer = env.read_message(raw)
            except (UnsafeInputError, ValueError) as error:
                log.warning("unreadable answer to %s: %s", message.mtdiep, error)
                continue
            if answer.header.answers == message.mtdiep:  # matched by MTDTChieu only
                ours.append(answer)
        now = self.now()
        try:
            with writing(self.engine) as conn:
                self._log(message.id, "status", seen, conn=conn)
                for answer in ours:
                    _record(conn, message, answer, now)
                codes = set(
                    conn.execute(
                        select(authority_answers.c.code).where(authority_answers.c.answers == message.mtdiep)
                    ).scalars()
                )
                done = bool(codes & FINAL_ANSWERS.get(message.code, frozenset())) or _refused(conn, message)
                values: dict[str, object] = {"lease_owner": None, "lease_until": None}
                if done:
                    values.update(state=outbox.DONE, done_at=now)
                else:
                    values.update(next_attempt_at=now + self.settings.poll_interval)
                conn.execute(update(outbox_messages).where(outbox_messages.c.id == message.id).values(**values))
        except IntegrityError:  # another worker stored the same answer at the same moment: look again later
            self._reschedule(message, state=outbox.SENT, delay=self.settings.poll_interval)

    def _retry_later(self, message: Row, error: str) -> None:  # type: ignore[type-arg]
        attempts = message.attempts + (1 if message.state == outbox.PENDING else 0)
        if attempts >= self.settings.max_attempts:
            self._park(message, f"{attempts} attempts failed; last: {error}")
            return
        backoff = min(self.settings.base_backoff * (2 ** min(attempts, 16)), self.settings.max_backoff)
        delay = backoff * self.random.uniform(0.5, 1.0)
        self._reschedule(message, state=message.state, delay=delay, error=error)

    def _reschedule(self, message: Row, *, state: str, delay: timedelta, error: str | None = None) -> None:  # type: ignore[type-arg]
        with writing(self.engine) as conn:
            conn.execute(
                update(outbox_messages)
                .where(outbox_messages.c.id == message.id, outbox_messages.c.state.in_((outbox.PENDING, outbox.SENT)))
                .values(
                    state=state,
                    next_attempt_at=self.now() + delay,
                    last_error=error[:1000] if error else outbox_messages.c.last_error,
                    lease_owner=None,
                    lease_until=None,
                )
            )
            if error:
                self._log(message.id, "retry", "later", error, conn=conn)

    def _park(self, message: Row, reason: str) -> None:  # type: ignore[type-arg]
        log.error("message %s parked: %s", message.mtdiep, reason)
        with writing(self.engine) as conn:
            conn.execute(
                update(outbox_messages)
                .where(outbox_messages.c.id == message.id)
                .values(state=outbox.PARKED, last_error=reason[:1000], lease_owner=None, lease_until=None)
            )
            self._log(message.id, "park", "parked", reason, conn=conn)

    def _log(
        self, message_id: int, action: str, outcome: str, detail: str | None = None, *, conn: Connection | None = None
    ) -> None:
        values = {
            "message_id": message_id,
            "action": action,
            "outcome": outcome[:20],
            "detail": detail[:1000] if detail else None,
            "worker": self.name,
            "at": self.now(),
        }
        if conn is not None:
            conn.execute(outbox_attempts.insert().values(**values))
            return
        with writing(self.engine) as own:
            own.execute(outbox_attempts.insert().values(**values))


def _record(conn: Connection, message: Row, answer: env.Message, now: datetime) -> None:  # type: ignore[type-arg]
    """Store an answer not seen before (by its own MTDiep) and apply it to the message's documents."""
    seen = conn.execute(
        select(authority_answers.c.id).where(authority_answers.c.mtdiep == answer.header.message_id)
    ).first()
    if seen is not None:
        return
    answer_id = conn.execute(
        authority_answers.insert()
        .values(
            mtdiep=answer.header.message_id,
            answers=message.mtdiep,
            code=answer.header.code,
            message_id=message.id,
            raw=answer.raw,
            received_at=now,
        )
        .returning(authority_answers.c.id)
    ).scalar_one()
    _apply(conn, answer.header.code, answer, answer_id, outbox.message_documents(conn, message.id), now)


def _refused(conn: Connection, message: Row) -> bool:  # type: ignore[type-arg]
    """Tell whether a stored 999 refused the message (then no other answer will come)."""
    rows = conn.execute(
        select(authority_answers.c.raw).where(
            authority_answers.c.answers == message.mtdiep, authority_answers.c.code == env.TECHNICAL_RECEIPT
        )
    ).scalars()
    return any(not env.technical_receipt_ok(env.read_message(bytes(raw)))[0] for raw in rows)


def retry_parked(engine: Engine, message_row_id: int, now: datetime) -> bool:
    """Put a parked message back in line (an administrator's "retry"); return whether it was parked."""
    with writing(engine) as conn:
        changed = conn.execute(
            update(outbox_messages)
            .where(outbox_messages.c.id == message_row_id, outbox_messages.c.state == outbox.PARKED)
            .values(state=outbox.PENDING, next_attempt_at=now)
        ).rowcount
    return bool(changed)


def _apply(
    conn: Connection, code: str, answer: env.Message, answer_id: int, documents: list[int], now: datetime
) -> bool:
    """Apply one new answer to the message's documents; return whether it ends the message."""
    if code == env.TECHNICAL_RECEIPT:
        accepted, reasons = env.technical_receipt_ok(answer)
        if accepted:
            return False
        text = "; ".join(f"{r.code} {r.text}" for r in reasons)
        for document_id in documents:
            _move(conn, document_id, Action.REJECT, now, f"999: {text}")
        return True
    if code == env.CODED:
        coded = env.coded_invoice(answer)
        for document_id in documents:
            conn.execute(
                coded_documents.insert().values(
                    document_id=document_id,
                    authority_code=coded.authority_code,
                    xml=coded.document,
                    sha256=hashlib.sha256(coded.document).hexdigest(),
                    answer_id=answer_id,
                    received_at=now,
                )
            )
            _move(conn, document_id, Action.ACCEPT, now, f"MCCQT {coded.authority_code}")
        return True
    if code == env.CHECK_RESULT:
        result = env.check_result(answer)
        text = "; ".join(f"{r.code} {r.text}" + (f" — {r.fix}" if r.fix else "") for r in result.reasons)
        for document_id in documents:
            action = Action.ACCEPT if result.accepted else Action.REJECT
            _move(conn, document_id, action, now, None if result.accepted else f"204: {text}")
        return True
    return code == env.NOTICE_RESULT


def _move(conn: Connection, document_id: int, action: Action, now: datetime, reason: str | None) -> None:
    try:
        move(conn, document_id, action, SYSTEM, now, reason=reason[:255] if reason else None)
    except IllegalTransition as error:  # e.g. a document already moved by an earlier answer: nothing to change
        log.info("document %s: %s not applied (%s)", document_id, action.value, error)
