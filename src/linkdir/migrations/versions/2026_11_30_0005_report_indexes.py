"""report indexes: the link report's counts and chart read indexes, not the tables

Measured in bench/monitoring (100,000 resources, 1,000,000 check results): every report
page counted review-due and stale resources, and links per status, by scanning the
resource table, and grouped the check history of 30 days by date. These indexes let each
count read a range of one index (issue 5).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 23:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("resource", schema=None) as batch_op:
        # Replaced by (link_status, state): the tab counts skip retired rows in the index.
        batch_op.drop_index("ix_resource_link_status")
        batch_op.create_index(
            "ix_resource_link_status_state", ["link_status", "state"], unique=False
        )
        batch_op.create_index("ix_resource_review_by_state", ["review_by", "state"], unique=False)
        batch_op.create_index(
            "ix_resource_modified_on_state", ["modified_on", "state"], unique=False
        )
    with op.batch_alter_table("check_result", schema=None) as batch_op:
        batch_op.create_index(
            "ix_check_result_verdict_checked", ["verdict", "checked_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("check_result", schema=None) as batch_op:
        batch_op.drop_index("ix_check_result_verdict_checked")
    with op.batch_alter_table("resource", schema=None) as batch_op:
        batch_op.drop_index("ix_resource_modified_on_state")
        batch_op.drop_index("ix_resource_review_by_state")
        batch_op.drop_index("ix_resource_link_status_state")
        batch_op.create_index("ix_resource_link_status", ["link_status"], unique=False)
