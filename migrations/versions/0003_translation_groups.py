"""Translations: entries.translation_group links the entries that translate each other.

Revision ID: 0003_translation_groups
Revises: 0002_content_changes
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_translation_groups"
down_revision = "0002_content_changes"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("translation_group", sa.String(length=36), nullable=True))
    op.execute("UPDATE entries SET translation_group = id")  # every existing entry is its own group
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.alter_column("translation_group", existing_type=sa.String(length=36), nullable=False)
        batch_op.create_index("ix_entries_translation_group_locale", ["translation_group", "locale"], unique=True)


def downgrade():
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.drop_index("ix_entries_translation_group_locale")
        batch_op.drop_column("translation_group")
