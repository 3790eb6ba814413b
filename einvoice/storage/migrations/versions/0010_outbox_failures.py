"""Outbox messages count the provider's failures in a row, so that failed status questions back off too

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``outbox_messages.failures`` (0 for every existing message)."""
    op.add_column("outbox_messages", sa.Column("failures", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    """Drop the column."""
    op.drop_column("outbox_messages", "failures")
