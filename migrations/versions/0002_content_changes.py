"""The sync feed: content_changes, one row per change of published content.

Revision ID: 0002_content_changes
Revises: 0001_initial
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_content_changes"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "content_changes",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("entry_id", sa.String(length=36), nullable=False),
        sa.Column("type_name", sa.String(length=64), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_content_changes")),
    )
    with op.batch_alter_table("content_changes", schema=None) as batch_op:
        batch_op.create_index("ix_content_changes_type_seq", ["type_name", "seq"], unique=False)


def downgrade():
    with op.batch_alter_table("content_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_content_changes_type_seq")

    op.drop_table("content_changes")
