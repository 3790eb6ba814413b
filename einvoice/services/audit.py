"""The append-only audit log, hash-chained per series, and the check that finds any edit to stored history.

Each entry's hash is SHA-256 over the previous entry's hash (64 zeros for the first) followed by the canonical JSON
of the entry (sorted keys, no spaces, UTF-8), which includes the SHA-256 of the document's signed XML. The series row
keeps the hash of its last entry (``audit_head``), so removing entries from the end shows too. :func:`verify_audit`
recomputes everything: the chain, each document's hash against its XML and against its entry, each document's
stored fields against its entry, and the numbers 1..N of each series.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import Engine, select
from sqlalchemy.engine import Connection, RowMapping

from einvoice.storage.schema import audit_entries, documents, series

GENESIS = "0" * 64
#: The entry fields the hash covers, in addition to the previous hash.
HASHED_FIELDS = (
    "series_id",
    "seq",
    "action",
    "document_id",
    "number",
    "issue_date",
    "total",
    "lookup_code",
    "document_sha256",
    "actor",
    "at",
)


_INSERT_ENTRY = audit_entries.insert()


def canonical_json(fields: Mapping[str, object]) -> bytes:
    """Return the canonical JSON of ``fields``: sorted keys, no whitespace, UTF-8."""
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(prev_hash: str, fields: Mapping[str, object]) -> str:
    """Return the hash of an entry: SHA-256 over the previous hash and the entry's canonical JSON."""
    return hashlib.sha256(prev_hash.encode() + canonical_json(fields)).hexdigest()


@dataclass(frozen=True, slots=True)
class IssueEntry:
    """What the audit log records when a document is issued."""

    series_id: int
    document_id: int
    number: int
    issue_date: date
    total: Decimal
    lookup_code: str
    document_sha256: str
    actor: str | None
    at: datetime


def issue_entry_row(entry: IssueEntry, seq: int, prev_hash: str | None) -> dict[str, object]:
    """Return the audit row of an issued document at position ``seq`` of its series' chain, its hash computed."""
    fields: dict[str, object] = {
        "series_id": entry.series_id,
        "seq": seq,
        "action": "issue",
        "document_id": entry.document_id,
        "number": entry.number,
        "issue_date": entry.issue_date.isoformat(),
        "total": format(entry.total, "f"),
        "lookup_code": entry.lookup_code,
        "document_sha256": entry.document_sha256,
        "actor": entry.actor,
        "at": entry.at.astimezone(UTC).isoformat(timespec="microseconds"),
    }
    prev = prev_hash or GENESIS
    return {**fields, "prev_hash": prev, "hash": entry_hash(prev, fields)}


def append_issue_entry(conn: Connection, entry: IssueEntry, seq: int, prev_hash: str | None) -> str:
    """Append the entry for an issued document inside the caller's transaction; return its hash (the new head).

    ``seq`` and ``prev_hash`` come from the series row, read under the series lock (``audit_seq``, ``audit_head``).
    """
    row = issue_entry_row(entry, seq, prev_hash)
    conn.execute(_INSERT_ENTRY, row)
    return str(row["hash"])


@dataclass(frozen=True, slots=True)
class Finding:
    """One sign that stored history was edited: which series, number and row, and what does not hold."""

    series: str
    number: int | None
    table: str
    row_id: int | None
    reason: str

    def __str__(self) -> str:
        number = "-" if self.number is None else str(self.number)
        return f"series {self.series} number {number}: {self.table} row {self.row_id}: {self.reason}"


def verify_audit(engine: Engine) -> list[Finding]:
    """Recompute every chain and document hash; return every finding (empty when history is intact)."""
    findings: list[Finding] = []
    with engine.connect() as conn:
        for row in conn.execute(select(series).order_by(series.c.id)).mappings():
            findings.extend(_verify_series(conn, row))
    return findings


def _verify_series(conn: Connection, row: RowMapping) -> list[Finding]:
    label = f"{row['template']}/{row['symbol']}"
    out: list[Finding] = []

    def report(number: int | None, table: str, row_id: int | None, reason: str) -> None:
        out.append(Finding(label, number, table, row_id, reason))

    entries = conn.execute(
        select(audit_entries).where(audit_entries.c.series_id == row["id"]).order_by(audit_entries.c.seq)
    ).mappings()
    prev, position = GENESIS, 0
    by_document: dict[int, RowMapping] = {}
    for position, entry in enumerate(entries, start=1):
        fields = {name: entry[name] for name in HASHED_FIELDS}
        if entry["seq"] != position:
            report(entry["number"], "audit_entries", entry["id"], f"sequence {entry['seq']} where {position} was due")
        if entry["prev_hash"] != prev:
            report(entry["number"], "audit_entries", entry["id"], "chain broken: previous hash does not match")
        if entry_hash(entry["prev_hash"], fields) != entry["hash"]:
            report(entry["number"], "audit_entries", entry["id"], "entry altered: its hash does not match its content")
        if entry["document_id"] is not None:
            by_document[entry["document_id"]] = entry
        prev = entry["hash"]
    if (row["audit_head"] or GENESIS) != prev:
        report(None, "series", row["id"], "audit log truncated or head altered: last hash differs from the series")
    if row["audit_seq"] != position:
        report(None, "series", row["id"], f"the series says its last audit entry is {row['audit_seq']}, not {position}")

    docs = conn.execute(select(documents).where(documents.c.series_id == row["id"]).order_by(documents.c.number))
    numbers: list[int] = []
    for doc in docs.mappings():
        numbers.append(doc["number"])
        issued_entry = by_document.pop(doc["id"]) if doc["id"] in by_document else None
        if hashlib.sha256(doc["xml"]).hexdigest() != doc["sha256"]:
            report(doc["number"], "documents", doc["id"], "document XML altered: SHA-256 differs")
        if issued_entry is None:
            report(doc["number"], "documents", doc["id"], "document has no audit entry")
            continue
        stated = {
            "document_sha256": doc["sha256"],
            "number": doc["number"],
            "issue_date": doc["issue_date"].isoformat(),
            "total": format(doc["total"], "f"),
            "lookup_code": doc["lookup_code"],
        }
        changed = sorted(name for name, value in stated.items() if issued_entry[name] != value)
        if changed:
            report(
                doc["number"], "documents", doc["id"], f"document differs from its audit entry: {', '.join(changed)}"
            )
    for entry in by_document.values():
        report(entry["number"], "audit_entries", entry["id"], "audit entry names a missing document")
    expected = list(range(1, row["next_number"]))
    if numbers != expected:
        report(None, "series", row["id"], f"numbers are not 1..{row['next_number'] - 1} without gaps")
    return out
