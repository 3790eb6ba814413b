"""Fee requests: the one-stop queue of fees a citizen owes on a dossier, collected at the counter.

The one-stop software (or a cashier) creates a request: dossier code, payer, catalogue fees, optionally the counter.
It is idempotent by dossier code: posting the same dossier again returns the request already there. States:
``waiting`` (Chờ thu phí) → ``paid`` (Đã thu phí, with the receipt; set in the receipt's issuing transaction) or
``cancelled``. Search by dossier code or payer name without diacritics. A paid request always names the receipt
that stands for it now: when its receipt is replaced, the replacement's transaction points it at the replacement
(:func:`follow_replacement`), so polling it never answers a replaced receipt.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from einvoice.domain.text import clean
from einvoice.services.catalogue import Row, get_row
from einvoice.services.errors import ConflictError, ForbiddenError, NotFoundError
from einvoice.services.issuing import Actor, CatalogueFee
from einvoice.services.search import search_key
from einvoice.storage.engine import writing
from einvoice.storage.schema import counters, fee_requests

STATES = {"waiting": "Chờ thu phí", "paid": "Đã thu phí", "cancelled": "Đã hủy"}


@dataclass(frozen=True, slots=True)
class NewFeeRequest:
    """What the one-stop software sends."""

    issuer_id: int
    dossier_code: str
    payer_name: str
    fees: tuple[CatalogueFee, ...]
    payer_id_number: str | None = None
    payer_address: str | None = None
    counter_id: int | None = None


def public(row: Any) -> Row:
    """Return a request row as the API shows it (fees decoded)."""
    found = {name: row[name] for name in row if name != "payer_search"}
    found["fees"] = json.loads(row["fees"])
    return found


def catalogue_fees(row: Row) -> tuple[CatalogueFee, ...]:
    """Return a request's fees as issuing takes them."""
    return tuple(CatalogueFee(fee["code"], Decimal(fee["quantity"])) for fee in row["fees"])


def create(engine: Engine, new: NewFeeRequest, actor: Actor, now: datetime) -> tuple[Row, bool]:
    """Create the request, or return the one already there for this dossier; ``True`` if it was created now."""
    if new.counter_id is not None:
        get_row(engine, counters, new.counter_id)
    dossier_code = clean(new.dossier_code)
    values: dict[str, Any] = {
        "issuer_id": new.issuer_id,
        "counter_id": new.counter_id,
        "dossier_code": dossier_code,
        "payer_name": clean(new.payer_name),
        "payer_search": search_key(new.payer_name) or "",
        "payer_id_number": new.payer_id_number,
        "payer_address": new.payer_address and clean(new.payer_address),
        "fees": json.dumps([{"code": f.code, "quantity": format(f.quantity, "f")} for f in new.fees]),
        "state": "waiting",
        "created_by": actor.user_id,
        "created_at": now,
        "updated_at": now,
    }
    existing = _by_dossier(engine, new.issuer_id, dossier_code)
    if existing is not None:
        return existing, False
    try:
        with writing(engine) as conn:
            row = conn.execute(fee_requests.insert().values(**values).returning(*fee_requests.c)).mappings().one()
    except IntegrityError:  # the same dossier posted concurrently: the other insert won
        existing = _by_dossier(engine, new.issuer_id, dossier_code)
        if existing is None:
            raise
        return existing, False
    return public(row), True


def _by_dossier(engine: Engine, issuer_id: int, dossier_code: str) -> Row | None:
    query = select(fee_requests).where(
        fee_requests.c.issuer_id == issuer_id, fee_requests.c.dossier_code == dossier_code
    )
    with engine.connect() as conn:
        row = conn.execute(query).mappings().first()
    return None if row is None else public(row)


def get(engine: Engine, request_id: int) -> Row:
    """Return one request."""
    with engine.connect() as conn:
        row = conn.execute(select(fee_requests).where(fee_requests.c.id == request_id)).mappings().first()
    if row is None:
        raise NotFoundError("no such fee request")
    return public(row)


def search(engine: Engine, *, state: str | None = None, text: str | None = None, limit: int = 100) -> list[Row]:
    """Return requests in ``state`` whose dossier code or payer name contains ``text`` (no diacritics needed)."""
    query = select(fee_requests).order_by(fee_requests.c.id.desc()).limit(limit)
    if state is not None:
        query = query.where(fee_requests.c.state == state)
    key = search_key(text)
    if key:
        query = query.where(
            or_(
                fee_requests.c.payer_search.contains(key, autoescape=True),
                fee_requests.c.dossier_code.contains(clean(text or ""), autoescape=True),
            )
        )
    with engine.connect() as conn:
        return [public(row) for row in conn.execute(query).mappings()]


def mark_paid(conn: Connection, request_id: int, document_id: int, actor: Actor, now: datetime) -> None:
    """Mark a waiting request paid by ``document_id``, inside that receipt's issuing transaction."""
    row = conn.execute(select(fee_requests).where(fee_requests.c.id == request_id)).mappings().first()
    if row is None:
        raise NotFoundError("no such fee request")
    if row["counter_id"] is not None and row["counter_id"] != actor.counter_id:
        raise ForbiddenError("this fee request belongs to another counter")
    if row["state"] != "waiting":
        raise ConflictError(f"this fee request is {row['state']}, not waiting")
    conn.execute(
        fee_requests.update()
        .where(fee_requests.c.id == request_id)
        .values(state="paid", document_id=document_id, updated_at=now)
    )


def follow_replacement(conn: Connection, replaced_id: int, replacement_id: int, now: datetime) -> None:
    """Point the request paid by receipt ``replaced_id`` at ``replacement_id``, inside the replacement's transaction."""
    conn.execute(
        fee_requests.update()
        .where(fee_requests.c.document_id == replaced_id, fee_requests.c.state == "paid")
        .values(document_id=replacement_id, updated_at=now)
    )


def cancel(engine: Engine, request_id: int, now: datetime) -> Row:
    """Cancel a waiting request (a paid one stays paid: its receipt is a document of record)."""
    with writing(engine) as conn:
        row = conn.execute(select(fee_requests).where(fee_requests.c.id == request_id)).mappings().first()
        if row is None:
            raise NotFoundError("no such fee request")
        if row["state"] != "waiting":
            raise ConflictError(f"this fee request is {row['state']}, not waiting")
        conn.execute(
            fee_requests.update().where(fee_requests.c.id == request_id).values(state="cancelled", updated_at=now)
        )
    return get(engine, request_id)
