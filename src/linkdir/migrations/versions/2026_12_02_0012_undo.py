"""undo: revisions written together share a change batch that can be undone for a while

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 04:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import linkdir.db

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "change_batch",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=254), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("created_at", linkdir.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", linkdir.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("undone_at", linkdir.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_change_batch_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_batch")),
    )
    op.create_index(op.f("ix_change_batch_user_id"), "change_batch", ["user_id"], unique=False)
    with op.batch_alter_table("revision", schema=None) as batch_op:
        batch_op.add_column(sa.Column("batch", sa.String(length=32), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_revision_batch_change_batch"),
            "change_batch",
            ["batch"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(batch_op.f("ix_revision_batch"), ["batch"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("revision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_revision_batch"))
        batch_op.drop_constraint(batch_op.f("fk_revision_batch_change_batch"), type_="foreignkey")
        batch_op.drop_column("batch")
    op.drop_index(op.f("ix_change_batch_user_id"), table_name="change_batch")
    op.drop_table("change_batch")
