"""Documents: party_search, the payer/buyer name without accents or case, for search

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 23:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from einvoice.services.search import search_key

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_documents = sa.table(
    "documents", sa.column("id", sa.Integer), sa.column("party_name", sa.String), sa.column("party_search", sa.String)
)


def upgrade() -> None:
    """Add the column and fill it for the documents already issued."""
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("party_search", sa.String(length=400), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(sa.select(_documents.c.id, _documents.c.party_name)).all()
    for document_id, name in rows:
        bind.execute(_documents.update().where(_documents.c.id == document_id).values(party_search=search_key(name)))


def downgrade() -> None:
    """Drop the column."""
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_column("party_search")
