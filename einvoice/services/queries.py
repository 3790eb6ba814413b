"""Reading documents: one by id (metadata or the stored XML), and search with filters and paging.

Cashiers see the documents they issued; finance and admin see all. The counter's pages widen a cashier's view with
``counter_day``: the receipts of their counter issued that day by any colleague (the day's corrections, a reprint).
A document a caller may not see is reported as not found, so ids do not leak which documents exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, Select, and_, bindparam, func, or_, select

from einvoice.domain.kinds import DocumentKind
from einvoice.services.errors import NotFoundError
from einvoice.services.issuing import Actor
from einvoice.services.search import search_key
from einvoice.storage.schema import coded_documents, documents, outbox_items, outbox_messages

#: Every column but the XML itself.
META_COLUMNS = [column for column in documents.c if column.name not in ("xml", "total_hundredths", "party_search")]
MAX_PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class DocumentFilter:
    """Search criteria; ``None`` means "any"."""

    date_from: date | None = None
    date_to: date | None = None
    kind: str | None = None
    series_id: int | None = None
    counter_id: int | None = None
    state: str | None = None
    party_name: str | None = None
    tax_code: str | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None


def _visible(query: Select[Any], actor: Actor, counter_day: date | None = None) -> Select[Any]:
    if actor.role != "cashier":
        return query
    own = documents.c.issued_by == actor.user_id
    if counter_day is None or actor.counter_id is None:
        return query.where(own)
    colleagues = and_(documents.c.counter_id == actor.counter_id, documents.c.issue_date == counter_day)
    return query.where(or_(own, colleagues))


def get_document(engine: Engine, document_id: int, actor: Actor, *, counter_day: date | None = None) -> dict[str, Any]:
    """Return a document's metadata."""
    query = _visible(select(*META_COLUMNS).where(documents.c.id == document_id), actor, counter_day)
    with engine.connect() as conn:
        row = conn.execute(query).mappings().first()
    if row is None:
        raise NotFoundError(f"no document {document_id}")
    return dict(row)


@dataclass(frozen=True, slots=True)
class SignedXml:
    """A document's XML: the coded invoice the authority returned (``coded``), or the seller's bytes as issued."""

    xml: bytes
    coded: bool


def get_signed_xml(
    engine: Engine, document_id: int, actor: Actor, *, as_issued: bool = False, counter_day: date | None = None
) -> SignedXml:
    """Return the document of record (the coded invoice once the authority coded it), or with ``as_issued`` the
    seller's signed bytes exactly as issued."""
    query = _visible(
        select(documents.c.xml, coded_documents.c.xml.label("coded"))
        .outerjoin(coded_documents, coded_documents.c.document_id == documents.c.id)
        .where(documents.c.id == document_id),
        actor,
        counter_day,
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        raise NotFoundError(f"no document {document_id}")
    if row.coded is None or as_issued:
        return SignedXml(bytes(row.xml), coded=False)
    return SignedXml(bytes(row.coded), coded=True)


def get_document_xml(engine: Engine, document_id: int, actor: Actor, *, counter_day: date | None = None) -> bytes:
    """Return the XML of record: the coded invoice once coded, else the signed XML exactly as issued."""
    return get_signed_xml(engine, document_id, actor, counter_day=counter_day).xml


def get_document_of_record(
    engine: Engine, document_id: int, actor: Actor, *, counter_day: date | None = None
) -> tuple[dict[str, Any], bytes]:
    """Return a document's metadata and its XML of record (as :func:`get_document_xml`) in one query, to print it."""
    query = _visible(
        select(*META_COLUMNS, documents.c.xml, coded_documents.c.xml.label("coded"))
        .outerjoin(coded_documents, coded_documents.c.document_id == documents.c.id)
        .where(documents.c.id == document_id),
        actor,
        counter_day,
    )
    with engine.connect() as conn:
        row = conn.execute(query).mappings().first()
    if row is None:
        raise NotFoundError(f"no document {document_id}")
    meta = {name: value for name, value in row.items() if name not in ("xml", "coded")}
    return meta, bytes(row["xml"] if row["coded"] is None else row["coded"])


def search_documents(
    engine: Engine,
    criteria: DocumentFilter,
    actor: Actor,
    *,
    page: int = 1,
    per_page: int = 20,
    counter_day: date | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """Return one page of matching documents, newest first, and how many match in all."""
    conditions = []
    c = documents.c
    if criteria.date_from is not None:
        conditions.append(c.issue_date >= criteria.date_from)
    if criteria.date_to is not None:
        conditions.append(c.issue_date <= criteria.date_to)
    for column, value in (
        (c.kind, criteria.kind),
        (c.series_id, criteria.series_id),
        (c.counter_id, criteria.counter_id),
        (c.state, criteria.state),
        (c.party_tax_code, criteria.tax_code),
    ):
        if value is not None:
            conditions.append(column == value)
    wanted = search_key(criteria.party_name)
    if wanted:
        pattern = "%" + wanted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(c.party_search.like(pattern, escape="\\"))
    if criteria.amount_min is not None:
        conditions.append(c.total_hundredths >= int(criteria.amount_min * 100))
    if criteria.amount_max is not None:
        conditions.append(c.total_hundredths <= int(criteria.amount_max * 100))
    per_page = max(1, min(per_page, MAX_PAGE_SIZE))
    page = max(1, page)
    base = _visible(select(*META_COLUMNS).where(*conditions), actor, counter_day)
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(base.subquery())).scalar_one()
        rows = conn.execute(base.order_by(c.id.desc()).limit(per_page).offset((page - 1) * per_page)).mappings()
        return [dict(row) for row in rows], total


@dataclass(frozen=True, slots=True)
class StoredDocument:
    """What the public pages need of a stored document: its signed bytes, kind, states, and the coded record."""

    xml: bytes  # the seller's signed bytes as issued
    kind: DocumentKind
    state: str
    sha256: str  # of ``xml`` as issued: a page says "intact" only when the bytes still hash to it
    id: int = 0
    series: str = ""
    transmission: str = "pending"
    coded: bytes | None = None  # the coded invoice as the authority returned it (answer 202)
    coded_sha256: str | None = None
    message_state: str | None = None  # the outbox message carrying it, once packed: pending | sent | done | parked

    @property
    def record(self) -> bytes:
        """The document of record: the coded invoice once coded, else the seller's bytes."""
        return self.coded if self.coded is not None else self.xml

    @property
    def record_sha256(self) -> str:
        """The SHA-256 stored for :attr:`record` when it was received or issued."""
        return self.coded_sha256 if self.coded is not None and self.coded_sha256 else self.sha256


#: Built once: constructing the statement per request cost a tenth of a cached page view.
_BY_LOOKUP_CODE = (
    select(
        documents.c.id,
        documents.c.xml,
        documents.c.kind,
        documents.c.series,
        documents.c.state,
        documents.c.transmission,
        documents.c.sha256,
        coded_documents.c.xml.label("coded"),
        coded_documents.c.sha256.label("coded_sha256"),
        outbox_messages.c.state.label("message_state"),
    )
    .outerjoin(coded_documents, coded_documents.c.document_id == documents.c.id)
    .outerjoin(outbox_items, outbox_items.c.document_id == documents.c.id)
    .outerjoin(outbox_messages, outbox_messages.c.id == outbox_items.c.message_id)
    .where(documents.c.lookup_code == bindparam("code"))
)


def find_by_lookup_code(engine: Engine, code: str) -> StoredDocument | None:
    """Return the document whose lookup code is ``code`` (canonical form), or ``None``: the public lookup."""
    with engine.connect() as conn:
        row = conn.execute(_BY_LOOKUP_CODE, {"code": code}).first()
    if row is None:
        return None
    return StoredDocument(
        bytes(row.xml),
        DocumentKind(row.kind),
        str(row.state),
        str(row.sha256),
        id=int(row.id),
        series=str(row.series),
        transmission=str(row.transmission),
        coded=None if row.coded is None else bytes(row.coded),
        coded_sha256=row.coded_sha256,
        message_state=row.message_state,
    )
