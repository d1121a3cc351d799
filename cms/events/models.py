"""The outbox: one row per domain event, written in the transaction of its change."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from cms.core.db import Base, JSONDocument, UTCDateTime, utcnow


class OutboxEvent(Base):
    """An event exists exactly when its change was committed; ``seq`` orders them for consumers."""

    __tablename__ = "outbox_events"
    __table_args__ = (
        sa.Index("ix_outbox_events_subject", "subject_type", "subject_id", "seq"),
        sa.Index("ix_outbox_events_undispatched", "seq", postgresql_where=sa.text("dispatched_at IS NULL"),
                 sqlite_where=sa.text("dispatched_at IS NULL")),
    )

    seq: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True)
    id: Mapped[str] = mapped_column(sa.String(36), unique=True)  # the event id receivers dedupe by
    type: Mapped[str] = mapped_column(sa.String(64))  # entry.published, media.created …
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    subject_type: Mapped[str] = mapped_column(sa.String(64))  # entry, media, content_type
    subject_id: Mapped[str] = mapped_column(sa.String(100))
    data: Mapped[dict] = mapped_column(JSONDocument)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # fanned out to jobs
