"""The worker that carries the outbox to the tax authority and brings its answers back (``einvoice worker``).

Several workers may run (processes, hosts). Each round a worker packs queued items, then claims a **batch** of due
messages with a lease in one commit (PostgreSQL ``FOR UPDATE SKIP LOCKED``; SQLite's write lock lets one claimant at
a time), talks to the provider for all of them at once (a small thread pool), and records every outcome in one more
commit — made by the next round while that round's calls are under way, so that the provider's time and the
database's overlap (:meth:`Worker.finish` records the last batch on stop). Per message:

- never confirmed delivered: if an earlier attempt may have reached the provider (``attempts > 0``), it **asks the
  status first** and sends only if the provider does not have it; the attempt is counted and committed *before* the
  network call (the claim counts first sends, a commit between the status questions and the resends counts the
  others), so a worker killed mid-send leaves a trace that makes the next one ask first;
- delivered: asks its status and applies every new answer (:mod:`einvoice.services.answers`), matched by
  ``MTDTChieu`` and kept once by its own ``MTDiep``; each document moves ``send`` → ``accept``/``reject``.

A call starts only while at least half the lease is left (the gateway's timeouts are far shorter), and outcomes are
written only for messages still under the lease of the claim that took them (this worker's name and that claim's
lease end), so a message is never in two workers' hands. When the
provider is unavailable, the calls of the batch not yet started are not made: they wait as long as the failed one.
Failures back off exponentially with jitter, growing with the provider's failures in a row (status questions
included, and the calls not made because the provider was down); after ``max_attempts`` sends, or a refusal by the
provider itself, the message is **parked** with its reason for an administrator, who can retry it
(:func:`retry_parked`). Every attempt is logged in ``outbox_attempts``. When idle, the worker brings the finance
ledger up to date (:meth:`Worker.when_idle`); an idle round only reads (SQLite's write lock is taken only to pack or
claim something).
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

import httpx
from sqlalchemy import Connection, Engine, bindparam, case, or_, select, update
from sqlalchemy.exc import IntegrityError

from einvoice.domain.lifecycle import Action
from einvoice.gateway.base import Gateway, GatewayError, GatewayRefused, GatewayUnavailable, Status, Submitted
from einvoice.services import ledger, outbox, webhooks
from einvoice.services.answers import AnswerBook, read_ours
from einvoice.services.receipt_tables import Sign, pack_tables, tables_due
from einvoice.storage.engine import writing
from einvoice.storage.schema import outbox_attempts, outbox_messages
from einvoice.xmldoc import envelope as env

log = logging.getLogger("einvoice.transmission")


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
    #: Messages claimed in one commit, and calls to the provider made at once.
    batch_size: int = 50
    concurrency: int = 4
    #: How often, at most, an idle worker brings the finance ledger up to date.
    ledger_every: timedelta = timedelta(minutes=1)


def worker_name() -> str:
    """Return a name for this worker process (host and pid), recorded with its leases and attempts."""
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


@dataclass
class _Job:
    """One claimed message and what the provider said of it this round."""

    row: Any  # the outbox_messages row as claimed
    until: datetime  # the lease this worker holds
    first_send: bool
    status: Status | None = None
    answers: list[env.Message] = field(default_factory=list)
    submitted: Submitted | None = None
    error: GatewayError | None = None
    skipped: bool = False


#: One line of the attempts log: message row id, action, outcome, detail.
_Entry = tuple[int, str, str, str | None]

#: The messages still held by one claim: this worker's name and that claim's lease (a later claim has another).
_OWNED = select(outbox_messages.c.id).where(
    outbox_messages.c.id.in_(bindparam("ids", expanding=True)),
    outbox_messages.c.lease_owner == bindparam("owner"),
    outbox_messages.c.lease_until == bindparam("until"),
)
_FINISH = (
    update(outbox_messages)
    .where(outbox_messages.c.id == bindparam("b_id"))
    .values(
        state=bindparam("b_state"),
        next_attempt_at=bindparam("b_next"),
        sent_at=bindparam("b_sent"),
        done_at=bindparam("b_done"),
        last_error=bindparam("b_error"),
        failures=bindparam("b_failures"),
        lease_owner=None,
        lease_until=None,
    )
)
_TAKE = (
    update(outbox_messages)
    .where(outbox_messages.c.id == bindparam("b_id"))
    .values(
        lease_owner=bindparam("b_owner"),
        lease_until=bindparam("b_until"),
        attempts=outbox_messages.c.attempts + bindparam("b_more"),
    )
)


def _finish(
    job: _Job,
    state: str,
    *,
    next_at: datetime | None = None,
    sent_at: datetime | None = None,
    done_at: datetime | None = None,
    error: str | None = None,
    failures: int | None = None,
) -> dict[str, Any]:
    """The parameters of :data:`_FINISH` for a job: its new state, the rest as claimed unless given; lease released."""
    row = job.row
    return {
        "b_id": row.id,
        "b_state": state,
        "b_next": next_at or row.next_attempt_at,
        "b_sent": sent_at or row.sent_at,
        "b_done": done_at,
        "b_error": error[:1000] if error else row.last_error,
        "b_failures": row.failures if failures is None else failures,
    }


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
        self._pool = ThreadPoolExecutor(settings.concurrency, "einvoice-send") if settings.concurrency > 1 else None
        self._ledger_at: datetime | None = None
        self._in_hand: list[_Job] = []  # the batch whose outcomes the next round records
        columns = [column for column in outbox_messages.c if column.name != "payload"]
        payload = case((outbox_messages.c.state == outbox.PENDING, outbox_messages.c.payload)).label("payload")
        is_due = (
            outbox_messages.c.state.in_((outbox.PENDING, outbox.SENT)),
            outbox_messages.c.next_attempt_at <= bindparam("now"),
            or_(outbox_messages.c.lease_until.is_(None), outbox_messages.c.lease_until < bindparam("now")),
        )
        due = (
            select(*columns, payload)  # the bytes only of what is to be sent
            .where(*is_due)
            .order_by(outbox_messages.c.next_attempt_at, outbox_messages.c.id)
            .limit(settings.batch_size)
        )
        self._any_due = select(outbox_messages.c.id).where(*is_due).limit(1)
        self._due = due.with_for_update(skip_locked=True) if engine.dialect.name == "postgresql" else due
        self._owned = _OWNED.with_for_update() if engine.dialect.name == "postgresql" else _OWNED

    def close(self) -> None:
        """Record the batch in hand, then stop the worker's threads."""
        self.finish()
        if self._pool is not None:
            self._pool.shutdown()

    def run_once(self) -> bool:
        """Pack, claim a batch and call the provider for it while recording the previous one; return if it did any.

        The outcomes of a batch are recorded by the next round (or :meth:`finish`), during the next batch's calls:
        the provider's time and the database's then overlap.
        """
        settings, now = self.settings, self.now()
        if self._packing_due(now):  # read first: an idle worker never takes SQLite's write lock
            with writing(self.engine) as conn:
                outbox.pack(conn, settings.addressing, now=now, batch_window=settings.batch_window)
                if self.sign is not None:  # receipts need the issuer's signature on their daily table
                    pack_tables(conn, settings.addressing, now=now, table_at=settings.table_at, sign=self.sign)
                webhooks.fan_out(conn)
        jobs = self._claim()
        calls = self._calls(jobs, lambda job: self._send(job) if job.first_send else self._ask(job))
        pushed = webhooks.deliver_due(self.engine, now=now, transport=self.webhook_transport)
        recorded = self.finish()
        calls()
        resends = [job for job in jobs if job.row.state == outbox.PENDING and job.status and not job.status.known]
        if resends:
            self._calls(self._count_resends(resends), self._send)()
        self._in_hand = jobs
        return bool(jobs) or recorded or pushed > 0

    def finish(self) -> bool:
        """Record the outcomes of the batch in hand, if any (one commit); return whether there was one."""
        jobs, self._in_hand = self._in_hand, []
        if jobs:
            self._record(jobs)
        return bool(jobs)

    def when_idle(self) -> int:
        """Bring the finance ledger up to date (at most every ``ledger_every``); return how many documents it read.

        Finance summaries then find every document's facts extracted, instead of parsing a busy day's XML on the
        first finance request. The worker looks over the whole table (``full``): on PostgreSQL a transaction may commit
        long after documents numbered above it, which the requests' quick look (recent ids only) would miss.
        """
        now = self.now()
        if self._ledger_at is not None and now < self._ledger_at + self.settings.ledger_every:
            return 0
        self._ledger_at = now
        return ledger.catch_up(self.engine, full=True)

    def _packing_due(self, now: datetime) -> bool:
        """Tell, in one read transaction, whether packing, the daily tables or the webhooks have anything to do."""
        settings = self.settings
        with self.engine.connect() as conn:
            return (
                outbox.packing_due(conn, now=now, batch_window=settings.batch_window)
                or (self.sign is not None and tables_due(conn, now=now, table_at=settings.table_at))
                or webhooks.fan_out_due(conn)
            )

    def _claim(self) -> list[_Job]:
        """Lease a batch of due messages; first sends are counted in the same commit, before any network call.

        The due messages are looked for first in a read transaction: the write transaction is opened only if there
        are some (another worker may take them in between: the claim then finds none).
        """
        now = self.now()
        until = now + self.settings.lease
        with self.engine.connect() as conn:
            if conn.execute(self._any_due, {"now": now}).first() is None:
                return []
        with writing(self.engine) as conn:
            rows = conn.execute(self._due, {"now": now}).all()
            if not rows:
                return []
            jobs = [_Job(row, until, row.state == outbox.PENDING and row.attempts == 0) for row in rows]
            takes = [
                {"b_id": j.row.id, "b_owner": self.name, "b_until": until, "b_more": int(j.first_send)} for j in jobs
            ]
            conn.execute(_TAKE, takes)
            self._log(conn, [(job.row.id, "send", "sending", None) for job in jobs if job.first_send])
        return jobs

    def _calls(self, jobs: Sequence[_Job], call: Callable[[_Job], None]) -> Callable[[], None]:
        """Start ``call`` for each job, several at once; return what waits for them all.

        Once the provider is unavailable, no more are started; nor is any once half the lease is gone.
        """
        unavailable = threading.Event()
        margin = self.settings.lease / 2

        def one(job: _Job) -> None:
            if unavailable.is_set() or self.now() > job.until - margin:
                job.skipped = True
                return
            try:
                call(job)
            except GatewayUnavailable as error:
                job.error = error
                unavailable.set()
            except GatewayError as error:
                job.error = error

        if self._pool is None or len(jobs) < 2:
            for job in jobs:
                one(job)
            return lambda: None
        futures = [self._pool.submit(one, job) for job in jobs]

        def wait() -> None:
            for future in futures:
                future.result()

        return wait

    def _send(self, job: _Job) -> None:
        job.submitted = self.gateway.send(job.row.mtdiep, bytes(job.row.payload))

    def _ask(self, job: _Job) -> None:
        job.status = self.gateway.status(job.row.mtdiep)
        job.answers = read_ours(job.row.mtdiep, job.status.answers)

    def _count_resends(self, jobs: list[_Job]) -> list[_Job]:
        """Count and log the resends about to be made (one commit); return those this worker still holds."""
        held = []
        with writing(self.engine) as conn:
            for job in jobs:
                counted = conn.execute(
                    update(outbox_messages)
                    .where(
                        outbox_messages.c.id == job.row.id,
                        outbox_messages.c.lease_owner == self.name,
                        outbox_messages.c.lease_until == job.until,
                    )
                    .values(attempts=outbox_messages.c.attempts + 1)
                ).rowcount
                if counted:
                    held.append(job)
                    self._log(conn, [(job.row.id, "status", "unknown", None), (job.row.id, "send", "sending", None)])
                else:
                    job.skipped = True
        return held

    def _record(self, jobs: list[_Job]) -> None:
        """Write every outcome of the batch in one commit (one commit per message if an answer collides)."""
        try:
            with writing(self.engine) as conn:
                self._outcomes(conn, jobs)
        except IntegrityError:  # another worker stored one of these answers at the same moment: one by one
            for job in jobs:
                try:
                    with writing(self.engine) as conn:
                        self._outcomes(conn, [job])
                except IntegrityError:  # look again later
                    with writing(self.engine) as conn:
                        if conn.execute(self._owned, self._held([job])).first():
                            later = self.now() + self.settings.poll_interval
                            conn.execute(_FINISH, [_finish(job, job.row.state, next_at=later)])

    def _held(self, jobs: list[_Job]) -> dict[str, Any]:
        """The parameters of :data:`_OWNED` for jobs of one claim."""
        return {"ids": [job.row.id for job in jobs], "owner": self.name, "until": jobs[0].until}

    def _outcomes(self, conn: Connection, jobs: list[_Job]) -> None:
        """Decide and store what became of each job whose lease this worker still holds."""
        owned = set(conn.execute(self._owned, self._held(jobs)).scalars())
        for job in jobs:
            if job.row.id not in owned:
                log.warning("message %s: lease lost to another worker; its outcome is left to it", job.row.mtdiep)
        mine = [job for job in jobs if job.row.id in owned]
        book = AnswerBook(conn, [job.row for job in mine], [answer for job in mine for answer in job.answers])
        now, settings = self.now(), self.settings
        pause = min((self._backoff(job) for job in mine if isinstance(job.error, GatewayUnavailable)), default=None)
        finishes, entries = [], list[_Entry]()
        for job in mine:
            message = job.row
            if job.skipped:  # not tried: after an outage it waits, and backs off next time, as the failed call
                failures = None if pause is None else message.failures + 1
                finishes.append(_finish(job, message.state, next_at=now + (pause or timedelta(0)), failures=failures))
                entries.append((message.id, "retry", "not tried", "the provider failed on another message"))
            elif job.error is not None:
                finishes.append(self._failed(job, now, entries))
            elif job.submitted is not None:
                book.move_all(message.id, Action.SEND)
                finishes.append(
                    _finish(job, outbox.SENT, next_at=now + settings.poll_interval, sent_at=now, failures=0)
                )
                entries.append((message.id, "send", job.submitted.value, None))
            elif job.status is not None and job.status.known:
                sent_at = None
                if message.state == outbox.PENDING:  # an earlier attempt arrived
                    book.move_all(message.id, Action.SEND)
                    sent_at = now
                    entries.append((message.id, "send", "delivered by an earlier attempt", None))
                    entries.append((message.id, "status", "known", None))
                else:
                    entries.append((message.id, "status", f"{len(job.status.answers)} answers", None))
                if book.record(message, job.answers, now):
                    finishes.append(_finish(job, outbox.DONE, sent_at=sent_at, done_at=now, failures=0))
                else:
                    later = now + settings.poll_interval
                    finishes.append(_finish(job, outbox.SENT, next_at=later, sent_at=sent_at, failures=0))
            else:  # the provider lost it: send again, same MTDiep and bytes
                lost = "unknown to the provider"
                finishes.append(_finish(job, outbox.PENDING, next_at=now, error=lost, failures=0))
                entries.append((message.id, "retry", "later", "unknown to the provider"))
        book.flush(now)
        if finishes:
            conn.execute(_FINISH, finishes)
        self._log(conn, entries)

    def _failed(self, job: _Job, now: datetime, entries: list[_Entry]) -> dict[str, Any]:
        """Park a message the provider refused or that failed too often; otherwise back off and try again."""
        attempts = job.row.attempts + (1 if job.row.state == outbox.PENDING else 0)
        if isinstance(job.error, GatewayRefused):
            reason = f"refused by the provider: {job.error}"
        elif attempts >= self.settings.max_attempts:
            reason = f"{attempts} attempts failed; last: {job.error}"
        else:
            entries.append((job.row.id, "retry", "later", str(job.error)))
            later = now + self._backoff(job)
            return _finish(job, job.row.state, next_at=later, error=str(job.error), failures=job.row.failures + 1)
        log.error("message %s parked: %s", job.row.mtdiep, reason)
        entries.append((job.row.id, "park", "parked", reason))
        return _finish(job, outbox.PARKED, error=reason)

    def _backoff(self, job: _Job) -> timedelta:
        """How long a job that failed now waits: doubling with the provider's failures in a row (a failed status
        question counts as much as a failed send, so a down provider is not asked every few seconds), capped at
        ``max_backoff``, with jitter."""
        failures = job.row.failures + 1
        backoff: timedelta = min(self.settings.base_backoff * (2 ** min(failures, 16)), self.settings.max_backoff)
        return backoff * self.random.uniform(0.5, 1.0)

    def _log(self, conn: Connection, entries: Sequence[_Entry]) -> None:
        """Append attempts to ``outbox_attempts`` (one statement for the lot)."""
        if not entries:
            return
        at = self.now()
        rows = [
            {
                "message_id": message_id,
                "action": action,
                "outcome": outcome[:20],
                "detail": detail[:1000] if detail else None,
                "worker": self.name,
                "at": at,
            }
            for message_id, action, outcome, detail in entries
        ]
        conn.execute(outbox_attempts.insert(), rows)


def retry_parked(engine: Engine, message_row_id: int, now: datetime) -> bool:
    """Put a parked message back in line (an administrator's "retry"); return whether it was parked."""
    with writing(engine) as conn:
        changed = conn.execute(
            update(outbox_messages)
            .where(outbox_messages.c.id == message_row_id, outbox_messages.c.state == outbox.PARKED)
            .values(state=outbox.PENDING, next_attempt_at=now)
        ).rowcount
    return bool(changed)
