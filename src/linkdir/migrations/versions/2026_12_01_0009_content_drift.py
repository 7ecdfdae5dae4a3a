"""reference rot: content baselines of resources, suggested new homes of broken links

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import linkdir.db

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # New tables only: `resource` is not touched, so its full-text triggers stay.
    op.create_table(
        "content_baseline",
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("baseline", sa.JSON(), nullable=True),
        sa.Column("recent", sa.JSON(), nullable=True),
        sa.Column("replacing", sa.JSON(), nullable=True),
        sa.Column("similarity", sa.Float(), nullable=True),
        sa.Column("curated_at", linkdir.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("baseline_at", linkdir.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("suggested_at", linkdir.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resource.id"],
            name=op.f("fk_content_baseline_resource_id_resource"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("resource_id", name=op.f("pk_content_baseline")),
    )
    op.create_table(
        "link_suggestion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("source", sa.String(length=12), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("found_at", linkdir.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resource.id"],
            name=op.f("fk_link_suggestion_resource_id_resource"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_suggestion")),
    )
    op.create_index(
        "ix_link_suggestion_resource_url", "link_suggestion", ["resource_id", "url"], unique=True
    )


def downgrade() -> None:
    op.drop_index("ix_link_suggestion_resource_url", table_name="link_suggestion")
    op.drop_table("link_suggestion")
    op.drop_table("content_baseline")
