"""Webhooks: an integrator registers a URL and gets every change of a document's state pushed to it, signed.

Events come from the documents' history (``document_events``): each webhook keeps a cursor, and fanning out copies
the events after it into ``webhook_deliveries`` and moves the cursor in the same transaction, so no event is skipped
or copied twice. Deliveries are retried with exponential backoff and jitter until a 2xx (at least once: a receiver
must ignore an ``event_id`` it has seen), then marked delivered; after :data:`MAX_ATTEMPTS` they are ``failed`` and
listed for the administrator. Each POST carries::

    Content-Type: application/json
    X-Einvoice-Event-Id: evt-<n>
    X-Einvoice-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the webhook's secret>

The timestamp is signed with the body: a receiver refuses a signature older than a few minutes
(:func:`verify_signature`, what an integrator's code does), so a captured delivery cannot be replayed later.

Several workers may deliver at once: each claims the due deliveries with a lease before posting them (one commit:
their ``next_attempt_at`` moves to the lease's end, :data:`LEASE` ahead, only where it is still due), so no two post
the same delivery; it records an outcome only where its lease still stands. A worker that dies mid-round leaves its
deliveries to be posted again once the lease has passed: at least once stays the contract.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import secrets
from datetime import datetime, timedelta

import httpx
from sqlalchemy import Connection, Engine, RowMapping, select, update

from einvoice.storage.engine import writing
from einvoice.storage.schema import document_events, documents, webhook_deliveries, webhooks

MAX_ATTEMPTS = 12
TIMEOUT = httpx.Timeout(10.0, connect=3.0)
SIGNATURE_HEADER = "X-Einvoice-Signature"
EVENT_HEADER = "X-Einvoice-Event-Id"
#: How old a signature a receiver should accept.
TOLERANCE = timedelta(minutes=5)
_FAN_OUT_BATCH = 500
#: How long a worker holds the deliveries it claimed: far longer than a round of posts (10 s timeouts, a receiver
#: that fails is not tried again in the round).
LEASE = timedelta(minutes=5)


def register(engine: Engine, url: str, *, created_by: int | None, now: datetime) -> tuple[int, str]:
    """Register ``url``; return its id and its secret (shown once). Events from now on are delivered."""
    secret = "whsec_" + secrets.token_urlsafe(32)
    with writing(engine) as conn:
        latest = conn.execute(select(document_events.c.id).order_by(document_events.c.id.desc()).limit(1)).scalar()
        webhook_id = conn.execute(
            webhooks.insert()
            .values(url=url, secret=secret, active=True, cursor=latest or 0, created_by=created_by, created_at=now)
            .returning(webhooks.c.id)
        ).scalar_one()
    return int(webhook_id), secret


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """Return the signature header value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify_signature(secret: str, header: str, body: bytes, *, now: datetime) -> bool:
    """Tell whether ``header`` signs ``body`` with ``secret`` and is recent (a receiver's check)."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now.timestamp() - timestamp) > TOLERANCE.total_seconds():
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), header)


def fan_out_due(conn: Connection) -> bool:
    """Tell, reading only, whether an active webhook has events after its cursor (:func:`fan_out` has work)."""
    behind = (
        select(webhooks.c.id)
        .where(
            webhooks.c.active.is_(True),
            select(document_events.c.id).where(document_events.c.id > webhooks.c.cursor).exists(),
        )
        .limit(1)
    )
    return conn.execute(behind).first() is not None


def fan_out(conn: Connection) -> int:
    """Copy new document events into deliveries for every active webhook (in the caller's write transaction)."""
    made = 0
    for hook in conn.execute(select(webhooks).where(webhooks.c.active.is_(True))).mappings().all():
        rows = conn.execute(
            select(document_events, documents.c.kind, documents.c.template, documents.c.series, documents.c.number)
            .join(documents, documents.c.id == document_events.c.document_id)
            .where(document_events.c.id > hook["cursor"])
            .order_by(document_events.c.id)
            .limit(_FAN_OUT_BATCH)
        ).mappings()
        last = hook["cursor"]
        for row in rows:
            event_id = f"evt-{row['id']}"
            payload = {
                "event_id": event_id,
                "type": f"document.{row['action']}",
                "at": row["at"].isoformat(),
                "document": {
                    "id": row["document_id"],
                    "kind": row["kind"],
                    "template": row["template"],
                    "series": row["series"],
                    "number": row["number"],
                    "state": row["standing"],
                    "transmission": row["transmission"],
                },
                "related_id": row["related_id"],
                "reason": row["reason"],
            }
            conn.execute(
                webhook_deliveries.insert().values(
                    webhook_id=hook["id"],
                    event_id=event_id,
                    payload=json.dumps(payload, ensure_ascii=False, sort_keys=True),
                    state="pending",
                    attempts=0,
                    next_attempt_at=row["at"],
                    created_at=row["at"],
                )
            )
            last, made = row["id"], made + 1
        if last != hook["cursor"]:
            conn.execute(update(webhooks).where(webhooks.c.id == hook["id"]).values(cursor=last))
    return made


def deliver_due(engine: Engine, *, now: datetime, transport: httpx.BaseTransport | None = None, limit: int = 20) -> int:
    """POST the due deliveries and record what came of them in one commit; return how many were attempted.

    A receiver that cannot be reached (refused, timed out) is not tried again in the same round.
    """
    with engine.connect() as conn:
        due = (
            conn.execute(
                select(webhook_deliveries, webhooks.c.url, webhooks.c.secret)
                .join(webhooks, webhooks.c.id == webhook_deliveries.c.webhook_id)
                .where(webhook_deliveries.c.state == "pending", webhook_deliveries.c.next_attempt_at <= now)
                .order_by(webhook_deliveries.c.id)
                .limit(limit)
            )
            .mappings()
            .all()
        )
    if not due:
        return 0
    lease_end = now + LEASE
    with writing(engine) as conn:  # the claim: only the rows still due (no other worker's lease on them)
        claimed = set(
            conn.execute(
                update(webhook_deliveries)
                .where(
                    webhook_deliveries.c.id.in_([delivery["id"] for delivery in due]),
                    webhook_deliveries.c.state == "pending",
                    webhook_deliveries.c.next_attempt_at <= now,
                )
                .values(next_attempt_at=lease_end)
                .returning(webhook_deliveries.c.id)
            ).scalars()
        )
    results: list[tuple[int, dict[str, object]]] = []
    unreachable = set()
    with httpx.Client(timeout=TIMEOUT, transport=transport) as client:
        for delivery in due:
            if delivery["id"] not in claimed:  # another worker took it
                continue
            if delivery["webhook_id"] in unreachable:  # its receiver just failed to answer: not this round
                results.append((int(delivery["id"]), {"next_attempt_at": now}))  # lease given back
                continue
            body = delivery["payload"].encode()
            headers = {
                "Content-Type": "application/json",
                EVENT_HEADER: delivery["event_id"],
                SIGNATURE_HEADER: sign(delivery["secret"], int(now.timestamp()), body),
            }
            status, error = None, None
            try:
                status = client.post(delivery["url"], content=body, headers=headers).status_code
            except httpx.HTTPError as failure:
                error = repr(failure)[:500]
                unreachable.add(delivery["webhook_id"])
            results.append(_outcome(delivery, status, error, now))
    if not results:
        return 0
    held = (webhook_deliveries.c.next_attempt_at == lease_end,)  # a later claim (after our lease ran out) wins
    with writing(engine) as conn:  # one commit for the round: a crash before it only means "at least once" again
        for delivery_id, values in results:
            conn.execute(
                update(webhook_deliveries).where(webhook_deliveries.c.id == delivery_id, *held).values(**values)
            )
    return sum(1 for _, values in results if "attempts" in values)


def _outcome(
    delivery: RowMapping, status: int | None, error: str | None, now: datetime
) -> tuple[int, dict[str, object]]:
    """What one attempt changes in its delivery's row: delivered, failed for good, or tried again later."""
    attempts = delivery["attempts"] + 1
    values: dict[str, object] = {"attempts": attempts, "last_status": status, "last_error": error}
    if status is not None and 200 <= status < 300:
        values.update(state="delivered", delivered_at=now)
    elif attempts >= MAX_ATTEMPTS:
        values.update(state="failed")
    else:
        delay = timedelta(seconds=2 ** min(attempts, 14)) * random.uniform(0.5, 1.0)  # noqa: S311 -- jitter
        values.update(next_attempt_at=now + delay, last_error=error or f"HTTP {status}")
    return int(delivery["id"]), values
