"""Tables of the media library: files, references from entries, and presigned uploads in progress."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from cms.core.db import Base, JSONDocument, UTCDateTime, utcnow


class MediaItem(Base):
    """One stored file and what editors said about it. The bytes live in the storage backend."""

    __tablename__ = "media"
    __table_args__ = (
        sa.Index("ix_media_created", "created_at", "id"),
        sa.Index("ix_media_folder", "folder", "created_at"),
        sa.Index("ix_media_mime", "mime"),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)  # the same bytes are stored once
    storage_key: Mapped[str] = mapped_column(sa.String(300))
    filename: Mapped[str] = mapped_column(sa.String(255))
    mime: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    width: Mapped[int | None] = mapped_column(nullable=True)
    height: Mapped[int | None] = mapped_column(nullable=True)
    alt: Mapped[str] = mapped_column(sa.String(1000), default="")
    caption: Mapped[str] = mapped_column(sa.String(2000), default="")
    focal_x: Mapped[float | None] = mapped_column(sa.Float, nullable=True)  # 0..1 from the left
    focal_y: Mapped[float | None] = mapped_column(sa.Float, nullable=True)  # 0..1 from the top
    folder: Mapped[str] = mapped_column(sa.String(300), default="")
    tags: Mapped[list] = mapped_column(JSONDocument, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[str | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True)


class MediaReference(Base):
    """An entry's field pointing at a media item, for the draft or published state."""

    __tablename__ = "media_references"
    __table_args__ = (sa.Index("ix_media_references_media", "media_id", "state"),)

    entry_id: Mapped[str] = mapped_column(sa.ForeignKey("entries.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[str] = mapped_column(sa.String(9), primary_key=True)  # draft|published
    field_id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    media_id: Mapped[str] = mapped_column(sa.ForeignKey("media.id", ondelete="CASCADE"))


class MediaUpload(Base):
    """A presigned multipart upload straight to S3, until it is completed (or expires)."""

    __tablename__ = "media_uploads"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    storage_key: Mapped[str] = mapped_column(sa.String(300))
    upload_id: Mapped[str] = mapped_column(sa.String(1024))
    filename: Mapped[str] = mapped_column(sa.String(255))
    mime: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    parts: Mapped[int]
    folder: Mapped[str] = mapped_column(sa.String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[str | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
