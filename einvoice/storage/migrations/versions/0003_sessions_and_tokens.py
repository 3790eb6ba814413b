"""Users: session generation and demo flag; API tokens: expiry and last use; the login throttle

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the columns and the throttle table."""
    # Plain ADD COLUMN, never a batch copy: SQLite would have to drop and recreate ``users``, which documents refer
    # to, and the foreign keys refuse that on any database that has issued something.
    op.add_column("users", sa.Column("session_generation", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("users", sa.Column("demo", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("api_tokens", sa.Column("expires_at", sa.DateTime(), nullable=True))
    op.add_column("api_tokens", sa.Column("last_used_at", sa.DateTime(), nullable=True))
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(), nullable=False),
        sa.Column("blocked_until", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttle")),
    )


def downgrade() -> None:
    """Drop them."""
    op.drop_table("login_throttle")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("last_used_at")
        batch_op.drop_column("expires_at")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("demo")
        batch_op.drop_column("session_generation")
