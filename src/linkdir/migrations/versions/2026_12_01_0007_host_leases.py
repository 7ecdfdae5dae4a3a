"""hosts: each resource's host stored (report filter, dispatch), leases of hosts in flight

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import linkdir.db
from linkdir.urls import host_of

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BACKFILL_BATCH = 5000


def upgrade() -> None:
    # A plain ADD COLUMN, not a batch rebuild: on SQLite rebuilding `resource` would drop
    # the triggers that keep its full-text index (resource_fts) in step.
    op.add_column(
        "resource", sa.Column("host", sa.String(length=255), nullable=False, server_default="")
    )

    # The host is the URL's, as the application computes it (urllib, not SQL).
    resource = sa.table("resource", sa.column("id", sa.Integer), sa.column("url", sa.String))
    connection = op.get_bind()
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(resource.c.id, resource.c.url)
            .where(resource.c.id > last_id)
            .order_by(resource.c.id)
            .limit(BACKFILL_BATCH)
        ).all()
        if not rows:
            break
        connection.execute(
            sa.text("UPDATE resource SET host = :host WHERE id = :id"),
            [{"id": row.id, "host": host_of(row.url)[:255]} for row in rows],
        )
        last_id = rows[-1].id
    op.create_index("ix_resource_host", "resource", ["host"], unique=False)

    op.create_table(
        "check_lease",
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("until", linkdir.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("host", name=op.f("pk_check_lease")),
    )


def downgrade() -> None:
    op.drop_table("check_lease")
    op.drop_index("ix_resource_host", table_name="resource")
    # ALTER TABLE … DROP COLUMN (SQLite 3.35+), again without rebuilding the table.
    op.execute("ALTER TABLE resource DROP COLUMN host")
