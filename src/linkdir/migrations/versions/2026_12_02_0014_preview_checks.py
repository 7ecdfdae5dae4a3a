"""link checks of import previews in the database, shared by every web process

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import linkdir.db

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "preview_check_job",
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("urls", sa.JSON(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", linkdir.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", linkdir.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lease_owner", sa.String(length=200), nullable=True),
        sa.Column("lease_until", linkdir.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["user_account.id"],
            name=op.f("fk_preview_check_job_owner_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_preview_check_job")),
    )
    op.create_index(
        op.f("ix_preview_check_job_owner_id"), "preview_check_job", ["owner_id"], unique=False
    )
    op.create_index(
        op.f("ix_preview_check_job_expires_at"), "preview_check_job", ["expires_at"], unique=False
    )
    op.create_table(
        "preview_check_verdict",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_token", sa.String(length=64), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("final_url", sa.Text(), nullable=True),
        sa.Column("checked_at", linkdir.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_token"],
            ["preview_check_job.token"],
            name=op.f("fk_preview_check_verdict_job_token_preview_check_job"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_preview_check_verdict")),
    )
    op.create_index(
        op.f("ix_preview_check_verdict_job_token"),
        "preview_check_verdict",
        ["job_token"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_preview_check_verdict_job_token"), table_name="preview_check_verdict")
    op.drop_table("preview_check_verdict")
    op.drop_index(op.f("ix_preview_check_job_expires_at"), table_name="preview_check_job")
    op.drop_index(op.f("ix_preview_check_job_owner_id"), table_name="preview_check_job")
    op.drop_table("preview_check_job")
