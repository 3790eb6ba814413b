"""Finance: payment method and fee lines of each document read once from its XML; imported bank lines

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 14:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the tables; the ledger's fill themselves on first use (``einvoice.services.ledger.catch_up``)."""
    op.create_table(
        "finance_facts",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("payment_method", sa.String(length=20), nullable=False),
        sa.Column("cashier_name", sa.String(length=200), nullable=True),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name=op.f("fk_finance_facts_document_id_documents")),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_finance_facts")),
    )
    op.create_table(
        "finance_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=True),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("legal_basis", sa.String(length=400), nullable=True),
        sa.Column("quantity", sa.String(length=40), nullable=False),
        sa.Column("amount", sa.String(length=40), nullable=False),
        sa.Column("amount_hundredths", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name=op.f("fk_finance_lines_document_id_documents")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finance_lines")),
    )
    op.create_index("ix_finance_lines_document_id", "finance_lines", ["document_id"], unique=False)
    op.create_table(
        "bank_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bank", sa.String(length=10), nullable=False),
        sa.Column("line_hash", sa.String(length=64), nullable=False),
        sa.Column("booked_on", sa.Date(), nullable=False),
        sa.Column("amount", sa.String(length=40), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("bank_reference", sa.String(length=100), nullable=True),
        sa.Column("outcome", sa.String(length=12), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=400), nullable=False),
        sa.Column("imported_by", sa.Integer(), nullable=True),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name=op.f("fk_bank_lines_document_id_documents")),
        sa.ForeignKeyConstraint(["imported_by"], ["users.id"], name=op.f("fk_bank_lines_imported_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_lines")),
        sa.UniqueConstraint("line_hash", name=op.f("uq_bank_lines_line_hash")),
    )
    op.create_index("ix_bank_lines_document_id", "bank_lines", ["document_id"], unique=False)
    op.create_table(
        "export_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(length=4), nullable=False),
        sa.Column("filters", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("total", sa.Integer(), nullable=True),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=True),
        sa.Column("error", sa.String(length=400), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_export_jobs_owner_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_jobs")),
    )


def downgrade() -> None:
    """Drop the tables."""
    op.drop_table("export_jobs")
    op.drop_index("ix_bank_lines_document_id", table_name="bank_lines")
    op.drop_table("bank_lines")
    op.drop_index("ix_finance_lines_document_id", table_name="finance_lines")
    op.drop_table("finance_lines")
    op.drop_table("finance_facts")
