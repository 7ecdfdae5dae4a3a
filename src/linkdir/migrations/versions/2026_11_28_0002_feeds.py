"""feeds: per-user secrets for the private link-problems feed

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 20:15:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import linkdir.db

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feed_secret",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", linkdir.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", linkdir.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", linkdir.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_feed_secret_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_secret")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_feed_secret_secret_hash")),
    )
    with op.batch_alter_table("feed_secret", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feed_secret_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("feed_secret", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feed_secret_user_id"))

    op.drop_table("feed_secret")
