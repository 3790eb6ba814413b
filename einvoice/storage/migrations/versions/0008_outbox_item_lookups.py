"""Outbox items found by their document or notice: the lookup page and a document's history read them per view

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 17:05:00
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Index ``outbox_items`` by document and by notice (without them, each lookup scanned every item)."""
    op.create_index("ix_outbox_items_document_id", "outbox_items", ["document_id"], unique=False)
    op.create_index("ix_outbox_items_notice_id", "outbox_items", ["notice_id"], unique=False)


def downgrade() -> None:
    """Drop the two indexes."""
    op.drop_index("ix_outbox_items_notice_id", table_name="outbox_items")
    op.drop_index("ix_outbox_items_document_id", table_name="outbox_items")
