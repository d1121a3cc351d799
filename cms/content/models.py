"""Tables of the content area. Tables only: rules live in services."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cms.core.db import Base, JSONDocument, UTCDateTime, utcnow

_user_fk = dict(ondelete="SET NULL")


class ContentType(Base):
    """A content type: its definition (ordered field list) is data, versioned on every change."""

    __tablename__ = "content_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    label: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.String(1000), default="")
    kind: Mapped[str] = mapped_column(sa.String(16))
    options: Mapped[dict] = mapped_column(JSONDocument)
    fields: Mapped[list] = mapped_column(JSONDocument)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Entry(Base):
    """An entry: system columns, the working copy ``data`` and the ``published_data`` snapshot.

    Field values are stored keyed by field id (not name), so renaming a field moves no data.
    ``version`` is the optimistic-concurrency counter: services bump it once per save and every
    UPDATE carries ``WHERE version = <the version read>`` (a lost race raises StaleDataError).
    """

    __tablename__ = "entries"
    __table_args__ = (
        sa.Index("ix_entries_type_locale_created", "type_id", "locale", "created_at"),
        sa.Index("ix_entries_type_status", "type_id", "status"),
        sa.Index("ix_entries_translation_group_locale", "translation_group", "locale", unique=True),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    type_id: Mapped[int] = mapped_column(sa.ForeignKey("content_types.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(sa.String(16))
    # the entries that translate each other share this (the id of the first of them)
    translation_group: Mapped[str] = mapped_column(sa.String(36))
    status: Mapped[str] = mapped_column(sa.String(16), default="draft")  # draft|published|changed
    version: Mapped[int] = mapped_column(default=1)
    data: Mapped[dict] = mapped_column(JSONDocument)
    published_data: Mapped[dict | None] = mapped_column(JSONDocument, nullable=True)
    published_version: Mapped[int | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_by_id: Mapped[str | None] = mapped_column(sa.ForeignKey("users.id", **_user_fk), nullable=True)
    updated_by_id: Mapped[str | None] = mapped_column(sa.ForeignKey("users.id", **_user_fk), nullable=True)
    published_by_id: Mapped[str | None] = mapped_column(sa.ForeignKey("users.id", **_user_fk), nullable=True)

    content_type: Mapped[ContentType] = relationship(lazy="joined", innerjoin=True)

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class Revision(Base):
    """The working copy as it was at one version of an entry (``number`` == that version)."""

    __tablename__ = "revisions"
    __table_args__ = (sa.UniqueConstraint("entry_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[str] = mapped_column(sa.ForeignKey("entries.id", ondelete="CASCADE"))
    number: Mapped[int]
    action: Mapped[str] = mapped_column(sa.String(16))  # create|update|publish|unpublish|restore|system
    type_version: Mapped[int]
    data: Mapped[dict] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[str | None] = mapped_column(sa.ForeignKey("users.id", **_user_fk), nullable=True)


class EntryRelation(Base):
    """One reference from an entry's field to another entry, for the draft or published state."""

    __tablename__ = "entry_relations"
    __table_args__ = (sa.Index("ix_entry_relations_target", "target_id", "state"),)

    source_id: Mapped[str] = mapped_column(
        sa.ForeignKey("entries.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[str] = mapped_column(sa.String(9), primary_key=True)  # draft|published
    field_id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    target_id: Mapped[str] = mapped_column(sa.ForeignKey("entries.id"))


class EntryUnique(Base):
    """A claimed unique value (unique fields and slugs): the primary key enforces uniqueness."""

    __tablename__ = "entry_uniques"
    __table_args__ = (sa.Index("ix_entry_uniques_entry", "entry_id"),)

    type_id: Mapped[int] = mapped_column(
        sa.ForeignKey("content_types.id", ondelete="CASCADE"), primary_key=True
    )
    locale: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    field_id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    value_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    entry_id: Mapped[str] = mapped_column(sa.ForeignKey("entries.id", ondelete="CASCADE"))


class ContentChange(Base):
    """One change of what anonymous readers see of an entry, in commit order: the sync feed.

    ``entry_id`` has no foreign key, so the record of a deletion outlives the entry.
    """

    __tablename__ = "content_changes"
    __table_args__ = (sa.Index("ix_content_changes_type_seq", "type_name", "seq"),)

    seq: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True,
                                     autoincrement=True)
    entry_id: Mapped[str] = mapped_column(sa.String(36))
    type_name: Mapped[str] = mapped_column(sa.String(64))
    locale: Mapped[str] = mapped_column(sa.String(16))
    action: Mapped[str] = mapped_column(sa.String(16))  # publish|unpublish|delete
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    owner_id: Mapped[str | None] = mapped_column(sa.String(36), nullable=True)  # the entry's creator (own-only readers)


class Schedule(Base):
    """When ``folio worker`` will publish and/or unpublish an entry (at most one pending schedule each)."""

    __tablename__ = "entry_schedules"
    __table_args__ = (
        sa.Index("ix_entry_schedules_publish_at", "publish_at"),
        sa.Index("ix_entry_schedules_unpublish_at", "unpublish_at"),
    )

    entry_id: Mapped[str] = mapped_column(sa.ForeignKey("entries.id", ondelete="CASCADE"), primary_key=True)
    publish_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    unpublish_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_by_id: Mapped[str | None] = mapped_column(sa.ForeignKey("users.id", **_user_fk), nullable=True)
    by_system: Mapped[bool] = mapped_column(default=False)  # set by the CLI: runs as the system
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
