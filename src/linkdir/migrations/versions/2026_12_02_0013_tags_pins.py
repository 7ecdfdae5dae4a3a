"""tag aliases (old slugs of renamed and merged tags) and pinned resources in a topic

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import linkdir.db

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tag_alias",
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.Column("created_at", linkdir.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["tag.id"], name=op.f("fk_tag_alias_tag_id_tag"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("slug", name=op.f("pk_tag_alias")),
    )
    op.create_index(op.f("ix_tag_alias_tag_id"), "tag_alias", ["tag_id"], unique=False)
    # A nullable column needs no table rebuild on SQLite.
    op.add_column("resource_topic", sa.Column("pin_position", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("resource_topic", schema=None) as batch_op:
        batch_op.drop_column("pin_position")
    op.drop_index(op.f("ix_tag_alias_tag_id"), table_name="tag_alias")
    op.drop_table("tag_alias")
