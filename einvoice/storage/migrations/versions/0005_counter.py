"""The counter: shifts, how each counter receipt was paid, and the one-stop queue of fee requests

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 13:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from einvoice.storage.schema import DecimalText, UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the three tables."""
    op.create_table(
        "shifts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("counter_id", sa.Integer(), nullable=False),
        sa.Column("opened_by", sa.Integer(), nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("closed_by", sa.Integer(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("cash_expected", DecimalText(), nullable=True),
        sa.Column("cash_counted", DecimalText(), nullable=True),
        sa.Column("note", sa.String(length=400), nullable=True),
        sa.ForeignKeyConstraint(["counter_id"], ["counters.id"], name="fk_shifts_counter_id_counters"),
        sa.ForeignKeyConstraint(["opened_by"], ["users.id"], name="fk_shifts_opened_by_users"),
        sa.ForeignKeyConstraint(["closed_by"], ["users.id"], name="fk_shifts_closed_by_users"),
        sa.PrimaryKeyConstraint("id", name="pk_shifts"),
    )
    op.create_index("ix_shifts_counter_id", "shifts", ["counter_id"])
    op.create_table(
        "counter_payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("shift_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("form_key", sa.String(length=64), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("cash", DecimalText(), nullable=False),
        sa.Column("transfer", DecimalText(), nullable=False),
        sa.Column("reference", sa.String(length=25), nullable=True),
        sa.Column("transfer_received_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name="fk_counter_payments_document_id_documents"),
        sa.ForeignKeyConstraint(["shift_id"], ["shifts.id"], name="fk_counter_payments_shift_id_shifts"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_counter_payments_user_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_counter_payments"),
        sa.UniqueConstraint("document_id", name="uq_counter_payments_document_id"),
        sa.UniqueConstraint("user_id", "form_key", name="uq_counter_payments_user_form_key"),
    )
    op.create_index("ix_counter_payments_shift_id", "counter_payments", ["shift_id"])
    op.create_table(
        "fee_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issuer_id", sa.Integer(), nullable=False),
        sa.Column("counter_id", sa.Integer(), nullable=True),
        sa.Column("dossier_code", sa.String(length=50), nullable=False),
        sa.Column("payer_name", sa.String(length=400), nullable=False),
        sa.Column("payer_search", sa.String(length=400), nullable=False),
        sa.Column("payer_id_number", sa.String(length=14), nullable=True),
        sa.Column("payer_address", sa.String(length=400), nullable=True),
        sa.Column("fees", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["issuer_id"], ["issuers.id"], name="fk_fee_requests_issuer_id_issuers"),
        sa.ForeignKeyConstraint(["counter_id"], ["counters.id"], name="fk_fee_requests_counter_id_counters"),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name="fk_fee_requests_document_id_documents"),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name="fk_fee_requests_created_by_users"),
        sa.PrimaryKeyConstraint("id", name="pk_fee_requests"),
        sa.UniqueConstraint("issuer_id", "dossier_code", name="uq_fee_requests_issuer_dossier_code"),
    )
    op.create_index("ix_fee_requests_state", "fee_requests", ["state"])


def downgrade() -> None:
    """Drop the three tables."""
    op.drop_table("fee_requests")
    op.drop_table("counter_payments")
    op.drop_table("shifts")
