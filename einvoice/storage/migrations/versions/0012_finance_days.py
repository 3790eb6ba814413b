"""Finance at scale: day totals of the ledger (per payment method, per fee), indexes of documents by state and payable

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 17:00:00
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_DIMENSIONS = ("issue_date", "kind", "series_id", "counter_id", "issued_by")


def _key_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("counter_id", sa.Integer(), nullable=False),
        sa.Column("issued_by", sa.Integer(), nullable=False),
    ]


def upgrade() -> None:
    """Create the tables and the index, then total the ledger rows already extracted (0007) into the new tables."""
    days = op.create_table(
        "finance_days",
        *_key_columns(),
        sa.Column("payment_method", sa.String(length=20), nullable=False),
        sa.Column("documents", sa.Integer(), nullable=False),
        sa.Column("amount_hundredths", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(*_DIMENSIONS, "payment_method", name=op.f("pk_finance_days")),
    )
    day_fees = op.create_table(
        "finance_day_fees",
        *_key_columns(),
        sa.Column("fee_key", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=True),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("legal_basis", sa.String(length=400), nullable=True),
        sa.Column("documents", sa.Integer(), nullable=False),
        sa.Column("amount_hundredths", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(*_DIMENSIONS, "fee_key", name=op.f("pk_finance_day_fees")),
    )
    op.create_index("ix_documents_state_issue_date", "documents", ["state", "issue_date"], unique=False)
    op.create_index(
        "ix_documents_issue_date_payable",
        "documents",
        ["issue_date", "kind", "state", "series", "number", "total_hundredths"],
        unique=False,
    )
    assert days is not None
    assert day_fees is not None
    _total_existing(days, day_fees)


def _total_existing(days: sa.Table, day_fees: sa.Table) -> None:
    """Group the existing ledger rows by day and dimensions (a few hundred rows a day) and store the totals."""
    bind = op.get_bind()
    docs = sa.table(
        "documents",
        sa.column("id", sa.Integer),
        sa.column("issue_date", sa.Date),  # typed: SQLite hands back text otherwise
        *(sa.column(n) for n in _DIMENSIONS[1:]),
        sa.column("total_hundredths", sa.BigInteger),
    )
    facts = sa.table("finance_facts", sa.column("document_id"), sa.column("payment_method"))
    lines = sa.table(
        "finance_lines",
        *(sa.column(n) for n in ("document_id", "code", "name", "legal_basis")),
        sa.column("amount_hundredths", sa.BigInteger),
    )
    keys = [sa.func.coalesce(docs.c[n], 0) if n in ("counter_id", "issued_by") else docs.c[n] for n in _DIMENSIONS]
    per_method = bind.execute(
        sa.select(*keys, facts.c.payment_method, sa.func.count(), sa.func.sum(docs.c.total_hundredths))
        .join(facts, facts.c.document_id == docs.c.id)
        .group_by(*keys, facts.c.payment_method)
    ).all()
    if per_method:
        op.bulk_insert(
            days,
            [
                dict(zip((*_DIMENSIONS, "payment_method", "documents", "amount_hundredths"), row, strict=True))
                for row in per_method
            ],
        )
    per_fee = bind.execute(
        sa.select(
            *keys,
            lines.c.code,
            lines.c.name,
            lines.c.legal_basis,
            sa.func.count(sa.distinct(lines.c.document_id)),
            sa.func.sum(lines.c.amount_hundredths),
        )
        .join(lines, lines.c.document_id == docs.c.id)
        .group_by(*keys, lines.c.code, lines.c.name, lines.c.legal_basis)
    ).all()
    rows = []
    for row in per_fee:
        values = dict(zip(_DIMENSIONS, row[:5], strict=True))
        code, name, basis, count, amount = row[5:]
        key = hashlib.sha256("\x1f".join((code or "", name, basis or "")).encode()).hexdigest()
        rows.append(
            {**values, "fee_key": key, "code": code, "name": name, "legal_basis": basis, "documents": count,
             "amount_hundredths": amount}
        )  # fmt: skip
    if rows:
        op.bulk_insert(day_fees, rows)


def downgrade() -> None:
    """Drop the index and the tables."""
    op.drop_index("ix_documents_issue_date_payable", table_name="documents")
    op.drop_index("ix_documents_state_issue_date", table_name="documents")
    op.drop_table("finance_day_fees")
    op.drop_table("finance_days")
