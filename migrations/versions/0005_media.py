"""The media library: media items, references from entries, presigned uploads in progress.

Revision ID: 0005_media
Revises: 0004_access
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005_media"
down_revision = "0004_access"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
MOMENT = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "media",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=300), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("mime", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("alt", sa.String(length=1000), nullable=False),
        sa.Column("caption", sa.String(length=2000), nullable=False),
        sa.Column("focal_x", sa.Float(), nullable=True),
        sa.Column("focal_y", sa.Float(), nullable=True),
        sa.Column("folder", sa.String(length=300), nullable=False),
        sa.Column("tags", JSON, nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("updated_at", MOMENT, nullable=False),
        sa.Column("created_by_id", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_media_created_by_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media")),
        sa.UniqueConstraint("sha256", name=op.f("uq_media_sha256")),
    )
    op.create_index("ix_media_created", "media", ["created_at", "id"], unique=False)
    op.create_index("ix_media_folder", "media", ["folder", "created_at"], unique=False)
    op.create_index("ix_media_mime", "media", ["mime"], unique=False)
    op.create_table(
        "media_references",
        sa.Column("entry_id", sa.String(length=36), nullable=False),
        sa.Column("state", sa.String(length=9), nullable=False),
        sa.Column("field_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("media_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(["entry_id"], ["entries.id"], name=op.f("fk_media_references_entry_id_entries"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["media_id"], ["media.id"], name=op.f("fk_media_references_media_id_media"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("entry_id", "state", "field_id", "position", name=op.f("pk_media_references")),
    )
    op.create_index("ix_media_references_media", "media_references", ["media_id", "state"], unique=False)
    op.create_table(
        "media_uploads",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("storage_key", sa.String(length=300), nullable=False),
        sa.Column("upload_id", sa.String(length=1024), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("mime", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("parts", sa.Integer(), nullable=False),
        sa.Column("folder", sa.String(length=300), nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("expires_at", MOMENT, nullable=False),
        sa.Column("created_by_id", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_media_uploads_created_by_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_uploads")),
    )


def downgrade():
    op.drop_table("media_uploads")
    op.drop_index("ix_media_references_media", table_name="media_references")
    op.drop_table("media_references")
    op.drop_index("ix_media_mime", table_name="media")
    op.drop_index("ix_media_folder", table_name="media")
    op.drop_index("ix_media_created", table_name="media")
    op.drop_table("media")
