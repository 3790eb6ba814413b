"""The tables, in SQLAlchemy Core: the issuing path inserts and updates rows without an ORM in between.

Money columns hold exact decimals as text (:class:`DecimalText`); documents also keep their total in hundredths of the
currency unit (``total_hundredths``) so that amount filters compare integers on every backend. Times are UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.types import TypeDecorator

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class DecimalText(TypeDecorator[Decimal]):
    """An exact decimal stored as text (SQLite has no exact decimal type)."""

    impl = String(40)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | None:
        """Write the decimal without exponent."""
        return None if value is None else format(value, "f")

    def process_result_value(self, value: str | None, dialect: Dialect) -> Decimal | None:
        """Read the decimal back exactly."""
        return None if value is None else Decimal(value)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime, stored naive in UTC on every backend."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert to naive UTC; naive input is refused, it would be ambiguous."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where UTC is required")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Attach UTC again."""
        return None if value is None else value.replace(tzinfo=UTC)


issuers = Table(
    "issuers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(400), nullable=False),
    Column("tax_code", String(14), nullable=False),
    Column("address", String(400), nullable=False),
    Column("phone", String(20)),
    Column("email", String(200)),
    Column("bank_account", String(40)),
    Column("bank_name", String(400)),
    Column("budget_unit_code", String(7)),
    Column("provider_tax_code", String(14)),
    # The managing tax office (MCQT S5 / TCQT S100) and the place notices are made (DDanh): 04/SS carries them.
    Column("tax_office_code", String(5)),
    Column("tax_office_name", String(100)),
    Column("province", String(50)),
    Column("signer_p12_path", String(1000)),
    Column("signer_password_file", String(1000)),
    Column("signer_password_env", String(100)),
    Column("created_at", UTCDateTime, nullable=False),
)

counters = Table(
    "counters",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("issuer_id", ForeignKey("issuers.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
)

series = Table(
    "series",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("issuer_id", ForeignKey("issuers.id"), nullable=False),
    Column("kind", String(10), nullable=False),  # invoice | receipt
    Column("template", String(5), nullable=False),  # ký hiệu mẫu số
    Column("symbol", String(6), nullable=False),  # ký hiệu
    Column("year", Integer, nullable=False),
    Column("counter_id", ForeignKey("counters.id")),
    Column("next_number", Integer, nullable=False, default=1),
    Column("last_issue_date", Date),
    Column("audit_head", String(64)),  # hash of the last audit entry: truncation shows
    Column("audit_seq", Integer, nullable=False, server_default="0"),  # sequence number of that entry
    Column("active", Boolean, nullable=False, default=True),
    UniqueConstraint("issuer_id", "template", "symbol", name="uq_series_issuer_template_symbol"),
)

fees = Table(
    "fees",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("issuer_id", ForeignKey("issuers.id"), nullable=False),
    Column("code", String(40), nullable=False),
    Column("name", String(400), nullable=False),
    Column("legal_basis", String(400), nullable=False),
    Column("unit", String(40)),
    Column("amount", DecimalText, nullable=False),
    Column("per_unit", Boolean, nullable=False, default=False),
    Column("effective_from", Date, nullable=False),
    Column("effective_to", Date),
    UniqueConstraint("issuer_id", "code", "effective_from", name="uq_fees_issuer_code_from"),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(80), nullable=False, unique=True),
    Column("full_name", String(200), nullable=False),
    Column("role", String(10), nullable=False),  # cashier | finance | admin
    Column("counter_id", ForeignKey("counters.id")),
    Column("password_hash", String(200)),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime, nullable=False),
    # Bumped by logout, a password change, a role change or disabling: every session of an older generation ends.
    Column("session_generation", Integer, nullable=False, default=0, server_default="0"),
    Column("demo", Boolean, nullable=False, default=False, server_default=false()),  # printed at a first start
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", ForeignKey("users.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
    Column("expires_at", UTCDateTime),
    Column("last_used_at", UTCDateTime),
)

#: Failed logins per account and per client address, shared by every worker: what the login throttle counts.
login_throttle = Table(
    "login_throttle",
    metadata,
    Column("key", String(300), primary_key=True),  # "account:<username>" | "address:<ip>"
    Column("failures", Integer, nullable=False),
    Column("last_failure_at", UTCDateTime, nullable=False),
    Column("blocked_until", UTCDateTime),
)

documents = Table(
    "documents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(10), nullable=False),
    Column("issuer_id", ForeignKey("issuers.id"), nullable=False),
    Column("series_id", ForeignKey("series.id"), nullable=False),
    Column("template", String(5), nullable=False),
    Column("series", String(6), nullable=False),
    Column("number", Integer, nullable=False),
    Column("issue_date", Date, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("total", DecimalText, nullable=False),
    Column("total_hundredths", BigInteger, nullable=False),
    Column("state", String(20), nullable=False),  # standing: issued | explained | adjusted | replaced | cancelled
    Column(
        "transmission", String(10), nullable=False, server_default="pending"
    ),  # pending | sent | accepted | rejected
    Column("corrects_id", ForeignKey("documents.id")),  # the original this replacement or adjustment corrects
    Column("correction", String(12)),  # replacement | adjustment
    Column("lookup_code", String(12), nullable=False, unique=True),
    Column("party_name", String(400)),
    Column("party_search", String(400)),  # party_name without accents or case, for search
    Column("party_tax_code", String(14)),
    Column("issued_by", ForeignKey("users.id")),
    Column("counter_id", ForeignKey("counters.id")),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("xml", LargeBinary, nullable=False),
    UniqueConstraint("series_id", "number", name="uq_documents_series_number"),
    Index("ix_documents_issue_date", "issue_date"),
    Index("ix_documents_party_tax_code", "party_tax_code"),
    Index("ix_documents_corrects_id", "corrects_id"),
    # The few documents not standing as issued, per period, without reading the others (finance summaries).
    Index("ix_documents_state_issue_date", "state", "issue_date"),
    # Covers the receipts a bank statement may pay (einvoice.services.bank.waiting_query): read without the rows,
    # whose signed XML makes each one a page of its own.
    Index("ix_documents_issue_date_payable", "issue_date", "kind", "state", "series", "number", "total_hundredths"),
)

#: Every change of a document's state, with who and when (the lifecycle's history; issued documents never change).
document_events = Table(
    "document_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("document_id", ForeignKey("documents.id"), nullable=False),
    Column(
        "action", String(12), nullable=False
    ),  # issue | send | accept | reject | replace | adjust | explain | cancel
    Column("transmission", String(10), nullable=False),  # the state after the event
    Column("standing", String(12), nullable=False),
    Column("related_id", ForeignKey("documents.id")),  # the correcting document, when there is one
    Column("notice_id", ForeignKey("error_notices.id")),  # the error notice, for explain
    Column("reason", String(255)),
    Column("actor", String(80)),
    Column("actor_id", ForeignKey("users.id")),
    Column("at", UTCDateTime, nullable=False),
    Index("ix_document_events_document_id", "document_id"),
)

#: Error notices (04/SS-HĐĐT for invoices, our 04/SS-CTĐT for receipts): unsigned XML, to be signed and sent.
error_notices = Table(
    "error_notices",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("issuer_id", ForeignKey("issuers.id"), nullable=False),
    Column("document_id", ForeignKey("documents.id"), nullable=False),
    Column("form", String(12), nullable=False),  # 04/SS-HĐĐT | 04/SS-CTĐT
    Column("reason", String(255), nullable=False),
    Column("xml", LargeBinary, nullable=False),
    Column("created_by", ForeignKey("users.id")),
    Column("created_at", UTCDateTime, nullable=False),
)

audit_entries = Table(
    "audit_entries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("series_id", ForeignKey("series.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("action", String(20), nullable=False),
    Column("document_id", ForeignKey("documents.id")),
    Column("number", Integer),
    Column("issue_date", String(10)),
    Column("total", String(40)),
    Column("lookup_code", String(12)),
    Column("document_sha256", String(64)),
    Column("actor", String(80)),
    Column("at", String(32), nullable=False),  # ISO 8601 UTC, hashed as written
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    UniqueConstraint("series_id", "seq", name="uq_audit_entries_series_seq"),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", ForeignKey("users.id"), nullable=False),
    Column("key", String(255), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("state", String(10), nullable=False),  # in_flight | done
    Column("status_code", Integer),
    Column("content_type", String(100)),
    Column("location", String(400)),
    Column("response_body", LargeBinary),
    Column("document_id", ForeignKey("documents.id")),
    Column("created_at", UTCDateTime, nullable=False),
    Column("completed_at", UTCDateTime),
    UniqueConstraint("user_id", "key", name="uq_idempotency_keys_user_key"),
)

drafts = Table(
    "drafts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("owner_id", ForeignKey("users.id"), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("payload", Text, nullable=False),  # the issue request as JSON
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("document_id", ForeignKey("documents.id")),
)

# --- The counter (issue 11): shifts, how each receipt was paid, and the one-stop queue of fee requests -------------

shifts = Table(
    "shifts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("counter_id", ForeignKey("counters.id"), nullable=False),
    Column("opened_by", ForeignKey("users.id"), nullable=False),
    Column("opened_at", UTCDateTime, nullable=False),
    Column("closed_by", ForeignKey("users.id")),
    Column("closed_at", UTCDateTime),
    Column("cash_expected", DecimalText),
    Column("cash_counted", DecimalText),
    Column("note", String(400)),
    Index("ix_shifts_counter_id", "counter_id"),
)

counter_payments = Table(
    "counter_payments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("document_id", ForeignKey("documents.id"), nullable=False, unique=True),
    Column("shift_id", ForeignKey("shifts.id"), nullable=False),
    Column("user_id", ForeignKey("users.id"), nullable=False),
    Column("form_key", String(64), nullable=False),  # the idempotency key the issuing form carried
    Column("method", String(10), nullable=False),  # TM | CK | TM/CK
    Column("cash", DecimalText, nullable=False),
    Column("transfer", DecimalText, nullable=False),
    Column("reference", String(25)),  # VietQR 62.08, for matching a bank statement line
    Column("transfer_received_at", UTCDateTime),
    UniqueConstraint("user_id", "form_key", name="uq_counter_payments_user_form_key"),
    Index("ix_counter_payments_shift_id", "shift_id"),
)

fee_requests = Table(
    "fee_requests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("issuer_id", ForeignKey("issuers.id"), nullable=False),
    Column("counter_id", ForeignKey("counters.id")),
    Column("dossier_code", String(50), nullable=False),
    Column("payer_name", String(400), nullable=False),
    Column("payer_search", String(400), nullable=False),
    Column("payer_id_number", String(14)),
    Column("payer_address", String(400)),
    Column("fees", Text, nullable=False),  # JSON: [{"code": …, "quantity": "…"}]
    Column("state", String(10), nullable=False),  # waiting | paid | cancelled
    Column("document_id", ForeignKey("documents.id")),
    Column("created_by", ForeignKey("users.id"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("issuer_id", "dossier_code", name="uq_fee_requests_issuer_dossier_code"),
    Index("ix_fee_requests_state", "state"),
)

# --- The road to the tax authority (migration 0006): the transactional outbox and the authority's answers ----------

outbox_messages = Table(
    "outbox_messages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("mtdiep", String(46), nullable=False, unique=True),  # MTDiep: unique forever (choice 16)
    Column("code", String(3), nullable=False),  # MLTDiep: 200 | 203 | 300 | 212
    Column("issuer_id", ForeignKey("issuers.id"), nullable=False),
    Column("payload", LargeBinary, nullable=False),  # the TDiep exactly as sent
    Column("state", String(10), nullable=False),  # pending | sent | done | parked
    Column("attempts", Integer, nullable=False),
    # Calls to the provider that failed in a row, sends and status questions alike: the back-off grows with it.
    Column("failures", Integer, nullable=False, default=0, server_default="0"),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("lease_owner", String(64)),
    Column("lease_until", UTCDateTime),
    Column("last_error", String(1000)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    Column("done_at", UTCDateTime),
    Index("ix_outbox_messages_due", "state", "next_attempt_at"),
)

outbox_items = Table(
    "outbox_items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("issuer_id", ForeignKey("issuers.id"), nullable=False),
    Column("route", String(10), nullable=False),  # coded | uncoded | receipt | notice
    Column("document_id", ForeignKey("documents.id")),
    Column("notice_id", ForeignKey("error_notices.id")),
    Column("message_id", ForeignKey("outbox_messages.id")),  # set when packed into a message
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_outbox_items_unpacked", "message_id", "route"),
    Index("ix_outbox_items_document_id", "document_id"),  # the lookup page and the history find a document's items
    Index("ix_outbox_items_notice_id", "notice_id"),
)

outbox_attempts = Table(
    "outbox_attempts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("message_id", ForeignKey("outbox_messages.id"), nullable=False),
    Column("action", String(10), nullable=False),  # send | status
    Column("outcome", String(20), nullable=False),
    Column("detail", String(1000)),
    Column("worker", String(64), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Index("ix_outbox_attempts_message_id", "message_id"),
)

authority_answers = Table(
    "authority_answers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("mtdiep", String(46), nullable=False, unique=True),  # the answer's own MTDiep: a repeat changes nothing
    Column("answers", String(46), nullable=False),  # MTDTChieu: the message it answers
    Column("code", String(3), nullable=False),
    Column("message_id", ForeignKey("outbox_messages.id")),
    Column("raw", LargeBinary, nullable=False),  # exactly as received
    Column("received_at", UTCDateTime, nullable=False),
    Index("ix_authority_answers_answers", "answers"),
)

coded_documents = Table(
    "coded_documents",
    metadata,
    Column("document_id", ForeignKey("documents.id"), primary_key=True),
    Column("authority_code", String(34), nullable=False),  # MCCQT
    Column("xml", LargeBinary, nullable=False),  # the coded invoice as the authority returned it (choice 17)
    Column("sha256", String(64), nullable=False),
    Column("answer_id", ForeignKey("authority_answers.id"), nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
)

webhooks = Table(
    "webhooks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("url", String(1000), nullable=False),
    Column("secret", String(100), nullable=False),  # signs deliveries (HMAC-SHA256); shown once at registration
    Column("active", Boolean, nullable=False),
    Column("cursor", Integer, nullable=False),  # the last document_events.id fanned out to this webhook
    Column("created_by", ForeignKey("users.id")),
    Column("created_at", UTCDateTime, nullable=False),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("webhook_id", ForeignKey("webhooks.id"), nullable=False),
    Column("event_id", String(40), nullable=False),
    Column("payload", Text, nullable=False),  # the JSON body, fixed when the event happened
    Column("state", String(10), nullable=False),  # pending | delivered | failed
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("last_status", Integer),
    Column("last_error", String(500)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("delivered_at", UTCDateTime),
    UniqueConstraint("webhook_id", "event_id", name="uq_webhook_deliveries_webhook_id"),
    Index("ix_webhook_deliveries_due", "state", "next_attempt_at"),
)

# --- Finance (issue 12, migration 0007): what reconciliation reads of each document's XML, extracted once ---------
# An issued document never changes, so its payment method and fee lines, read once from the signed XML, stay true;
# ``einvoice.services.ledger.catch_up`` fills these rows for documents that have none yet.

finance_facts = Table(
    "finance_facts",
    metadata,
    Column("document_id", ForeignKey("documents.id"), primary_key=True),
    Column("payment_method", String(20), nullable=False),  # HTTToan as issued: TM | CK | TM/CK | …
    Column("cashier_name", String(200)),  # HVTNThu of a receipt, as printed
    Column("line_count", Integer, nullable=False),
)

finance_lines = Table(
    "finance_lines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("document_id", ForeignKey("documents.id"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("code", String(40)),
    Column("name", String(500), nullable=False),
    Column("legal_basis", String(400)),
    Column("quantity", DecimalText, nullable=False),
    Column("amount", DecimalText, nullable=False),
    Column("amount_hundredths", BigInteger, nullable=False),
    Index("ix_finance_lines_document_id", "document_id"),
)

#: Day totals of the ledger, as issued (state left aside: a document's state changes, these never do), so that a
#: month's summary reads a few hundred rows instead of every document (``einvoice.services.ledger``). 0 stands for
#: "no counter" and "no cashier" so that the key has no NULL.
finance_days = Table(
    "finance_days",
    metadata,
    Column("issue_date", Date, primary_key=True),
    Column("kind", String(10), primary_key=True),
    Column("series_id", Integer, primary_key=True),
    Column("counter_id", Integer, primary_key=True),
    Column("issued_by", Integer, primary_key=True),
    Column("payment_method", String(20), primary_key=True),
    Column("documents", Integer, nullable=False),
    Column("amount_hundredths", BigInteger, nullable=False),
)

#: The same per fee: documents holding the fee and the fee's amount; ``fee_key`` is the SHA-256 of code, name and
#: legal basis (the three can be long, too long for a key).
finance_day_fees = Table(
    "finance_day_fees",
    metadata,
    Column("issue_date", Date, primary_key=True),
    Column("kind", String(10), primary_key=True),
    Column("series_id", Integer, primary_key=True),
    Column("counter_id", Integer, primary_key=True),
    Column("issued_by", Integer, primary_key=True),
    Column("fee_key", String(64), primary_key=True),
    Column("code", String(40)),
    Column("name", String(500), nullable=False),
    Column("legal_basis", String(400)),
    Column("documents", Integer, nullable=False),
    Column("amount_hundredths", BigInteger, nullable=False),
)

#: Imported bank statement lines and the decision about each (``einvoice.services.bank``); a line is known by the
#: hash of its bank and raw cells, so importing the same statement again adds nothing.
bank_lines = Table(
    "bank_lines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("bank", String(10), nullable=False),
    Column("line_hash", String(64), nullable=False, unique=True),
    Column("booked_on", Date, nullable=False),
    Column("amount", DecimalText, nullable=False),
    Column("description", Text, nullable=False),
    Column("bank_reference", String(100)),
    Column("outcome", String(12), nullable=False),  # exact | partial | overpaid | duplicate | amount_date | …
    Column("document_id", ForeignKey("documents.id")),
    Column("reason", String(400), nullable=False),
    Column("imported_by", ForeignKey("users.id")),
    Column("imported_at", UTCDateTime, nullable=False),
    Index("ix_bank_lines_document_id", "document_id"),
)

#: Long exports run in the background (``einvoice.services.export_jobs``): progress, cancellation, the file.
export_jobs = Table(
    "export_jobs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("owner_id", ForeignKey("users.id"), nullable=False),
    Column("format", String(4), nullable=False),  # csv | xlsx
    Column("filters", Text, nullable=False),  # JSON of the finance list's filters
    Column("state", String(10), nullable=False),  # queued | running | done | cancelled | failed
    Column("total", Integer),
    Column("done", Integer, nullable=False, default=0),
    Column("file_name", String(200)),
    Column("error", String(400)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
)
