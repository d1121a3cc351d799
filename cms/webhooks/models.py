"""Webhook subscriptions and the log of their delivery attempts."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from cms.core.db import Base, JSONDocument, UTCDateTime, utcnow


class Webhook(Base):
    """A receiver URL and what it subscribes to. ``secrets`` is newest first: ``[{"secret", "expires_at"}]``
    (the previous one stays valid for a while after a rotation)."""

    __tablename__ = "webhooks"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    url: Mapped[str] = mapped_column(sa.String(2000))
    events: Mapped[list] = mapped_column(JSONDocument)  # event types, "entry.*" or "*"
    content_types: Mapped[list] = mapped_column(JSONDocument)  # type names; empty: every type
    secrets: Mapped[list] = mapped_column(JSONDocument)
    enabled: Mapped[bool] = mapped_column(default=True)
    disabled_reason: Mapped[str | None] = mapped_column(sa.String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[str | None] = mapped_column(sa.String(36), nullable=True)


class DeliveryAttempt(Base):
    """One HTTP attempt of one delivery (a job): what the receiver answered, or why it could not."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (sa.Index("ix_webhook_attempts_job", "job_id", "id"),)

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True)
    job_id: Mapped[int] = mapped_column(sa.ForeignKey("jobs.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    url: Mapped[str] = mapped_column(sa.String(2000))
    status_code: Mapped[int | None] = mapped_column(nullable=True)
    duration_ms: Mapped[int] = mapped_column(default=0)
    response_excerpt: Mapped[str] = mapped_column(sa.Text, default="")
    error: Mapped[str | None] = mapped_column(sa.String(500), nullable=True)
