"""visitor reports from the public resource page; an index for the report's Suspect tab

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import linkdir.db

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A new table only: `resource` is not rebuilt (its full-text triggers stay).
    op.create_table(
        "visitor_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("created_at", linkdir.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("address_hash", sa.String(length=64), nullable=False),
        sa.Column("closed_at", linkdir.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resource.id"],
            name=op.f("fk_visitor_report_resource_id_resource"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visitor_report")),
    )
    op.create_index(
        "ix_visitor_report_open", "visitor_report", ["closed_at", "resource_id"], unique=False
    )
    op.create_index(
        "ix_visitor_report_address",
        "visitor_report",
        ["address_hash", "created_at"],
        unique=False,
    )

    # An index only (no rebuild of `resource`): the Suspect tab reads the few failing links.
    op.create_index(
        "ix_resource_failures_state",
        "resource",
        ["consecutive_failures", "state", "link_status"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_resource_failures_state", table_name="resource")
    op.drop_index("ix_visitor_report_address", table_name="visitor_report")
    op.drop_index("ix_visitor_report_open", table_name="visitor_report")
    op.drop_table("visitor_report")
