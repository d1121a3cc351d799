"""The sync feed remembers who created each changed entry, so that readers limited to their own
entries are not told the ids of others' unpublished or deleted ones.

Revision ID: 0008_change_owners
Revises: 0007_worker
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_change_owners"
down_revision = "0007_worker"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("content_changes") as batch:
        batch.add_column(sa.Column("owner_id", sa.String(length=36), nullable=True))
    # entries still there say who created them; the changes of deleted entries stay unowned
    op.execute("UPDATE content_changes SET owner_id = "
               "(SELECT entries.created_by_id FROM entries WHERE entries.id = content_changes.entry_id)")


def downgrade():
    with op.batch_alter_table("content_changes") as batch:
        batch.drop_column("owner_id")
