"""Issuers name their managing tax office (MCQT/TCQT) and their place (DDanh): error notices 04/SS carry them

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 17:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add three nullable columns to ``issuers`` (existing issuers leave them empty until an admin fills them)."""
    op.add_column("issuers", sa.Column("tax_office_code", sa.String(5), nullable=True))
    op.add_column("issuers", sa.Column("tax_office_name", sa.String(100), nullable=True))
    op.add_column("issuers", sa.Column("province", sa.String(50), nullable=True))


def downgrade() -> None:
    """Drop the three columns."""
    op.drop_column("issuers", "province")
    op.drop_column("issuers", "tax_office_name")
    op.drop_column("issuers", "tax_office_code")
