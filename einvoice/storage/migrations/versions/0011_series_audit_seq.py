"""Series keep the sequence of their last audit entry, read with the series lock instead of by a query of its own

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 17:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``series.audit_seq`` and fill it from the audit log."""
    op.add_column("series", sa.Column("audit_seq", sa.Integer(), nullable=False, server_default="0"))
    op.execute(
        "UPDATE series SET audit_seq = "
        "(SELECT coalesce(max(seq), 0) FROM audit_entries WHERE audit_entries.series_id = series.id)"
    )


def downgrade() -> None:
    """Drop the column (SQLite ≥ 3.35 drops columns in place)."""
    op.drop_column("series", "audit_seq")
