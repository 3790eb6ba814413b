"""Lifecycle: documents' transmission and corrections, their events and error notices; cut-over of 26T receipt series

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 13:00:00

Circular 91/2026 gives receipts a five-character series (``26TAA``) from 1 July 2026. Receipt series of the former
three-character form (``26T``) that a database still has open are closed here: the receipts issued in them stay
readable and unchanged, and the administrator is told (in the log, and by the refusal when anyone issues in such a
series) to register a five-character series with the tax office and create it. Documents issued before this
revision get one ``issue`` event, at their creation time, so that every document's history starts with its issue.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

from einvoice.domain.series import LEGACY_RECEIPT_SERIES_NOTICE_EN, is_legacy_receipt_series

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

_series = sa.table(
    "series",
    sa.column("id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("symbol", sa.String),
    sa.column("active", sa.Boolean),
)


def upgrade() -> None:
    """Add the columns and tables, record an issue event per document, close the old-form receipt series."""
    # Plain ADD COLUMN, never a batch copy: on SQLite a copy drops and recreates ``documents``, which the audit log,
    # idempotency keys and drafts refer to, and the foreign keys refuse that on any database that has issued.
    op.add_column(
        "documents", sa.Column("transmission", sa.String(length=10), server_default="pending", nullable=False)
    )
    if op.get_bind().dialect.name == "sqlite":  # SQLite adds a column's foreign key with the column, never after
        op.execute("ALTER TABLE documents ADD COLUMN corrects_id INTEGER REFERENCES documents (id)")
    else:
        op.add_column("documents", sa.Column("corrects_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f("fk_documents_corrects_id_documents"), "documents", "documents", ["corrects_id"], ["id"]
        )
    op.add_column("documents", sa.Column("correction", sa.String(length=12), nullable=True))
    op.create_index(op.f("ix_documents_corrects_id"), "documents", ["corrects_id"], unique=False)
    op.create_table(
        "error_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issuer_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("form", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.String(length=255), nullable=False),
        sa.Column("xml", sa.LargeBinary(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["issuer_id"], ["issuers.id"], name=op.f("fk_error_notices_issuer_id_issuers")),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name=op.f("fk_error_notices_document_id_documents")),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_error_notices_created_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_error_notices")),
    )
    op.create_table(
        "document_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=12), nullable=False),
        sa.Column("transmission", sa.String(length=10), nullable=False),
        sa.Column("standing", sa.String(length=12), nullable=False),
        sa.Column("related_id", sa.Integer(), nullable=True),
        sa.Column("notice_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=255), nullable=True),
        sa.Column("actor", sa.String(length=80), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_document_events_document_id_documents")
        ),
        sa.ForeignKeyConstraint(["related_id"], ["documents.id"], name=op.f("fk_document_events_related_id_documents")),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["error_notices.id"], name=op.f("fk_document_events_notice_id_error_notices")
        ),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_document_events_actor_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_events")),
    )
    op.create_index(op.f("ix_document_events_document_id"), "document_events", ["document_id"], unique=False)
    op.execute(
        "INSERT INTO document_events (document_id, action, transmission, standing, actor, actor_id, at) "
        "SELECT d.id, 'issue', 'pending', d.state, u.username, d.issued_by, d.created_at "
        "FROM documents d LEFT JOIN users u ON u.id = d.issued_by ORDER BY d.id"
    )
    _close_legacy_receipt_series()


def _close_legacy_receipt_series() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(_series.c.id, _series.c.symbol).where(_series.c.kind == "receipt", _series.c.active.is_(True))
    ).all()
    for series_id, symbol in rows:
        if is_legacy_receipt_series(symbol):
            bind.execute(_series.update().where(_series.c.id == series_id).values(active=False))
            log.warning("receipt series %s (id %s) closed: %s", symbol, series_id, LEGACY_RECEIPT_SERIES_NOTICE_EN)


def downgrade() -> None:
    """Drop the tables and columns (closed series stay closed: reopening them would break Circular 91)."""
    op.drop_index(op.f("ix_document_events_document_id"), table_name="document_events")
    op.drop_table("document_events")
    op.drop_table("error_notices")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_documents_corrects_id"))
        batch_op.drop_constraint(batch_op.f("fk_documents_corrects_id_documents"), type_="foreignkey")
        batch_op.drop_column("correction")
        batch_op.drop_column("corrects_id")
        batch_op.drop_column("transmission")
