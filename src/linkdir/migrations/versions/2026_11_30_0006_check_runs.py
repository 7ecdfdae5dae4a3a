"""check runs: scheduled runs with progress across workers, link health per day

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 23:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import linkdir.db

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("check_run", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("worker", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("claimed_until", linkdir.db.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("check_run", schema=None) as batch_op:
        batch_op.alter_column("worker", server_default=None)

    with op.batch_alter_table("check_result", schema=None) as batch_op:
        batch_op.add_column(sa.Column("run_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_check_result_run_id_check_run"),
            "check_run",
            ["run_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index("ix_check_result_run", ["run_id"], unique=False)

    op.create_table(
        "check_run_skip",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["check_run.id"],
            name=op.f("fk_check_run_skip_run_id_check_run"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", "resource_id", name=op.f("pk_check_run_skip")),
    )
    op.create_table(
        "link_health_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "status", name=op.f("pk_link_health_day")),
    )


def downgrade() -> None:
    op.drop_table("link_health_day")
    op.drop_table("check_run_skip")
    with op.batch_alter_table("check_result", schema=None) as batch_op:
        batch_op.drop_index("ix_check_result_run")
        batch_op.drop_constraint(batch_op.f("fk_check_result_run_id_check_run"), type_="foreignkey")
        batch_op.drop_column("run_id")
    with op.batch_alter_table("check_run", schema=None) as batch_op:
        batch_op.drop_column("claimed_until")
        batch_op.drop_column("worker")
