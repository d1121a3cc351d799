"""The jobs table. A job is claimed by one worker for a lease; a worker that dies leaves the lease to
expire, and the job is claimed again (so handlers must be safe to run twice)."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from cms.core.db import Base, JSONDocument, UTCDateTime, utcnow


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        sa.Index("ix_jobs_due", "status", "run_at"),
        sa.Index("ix_jobs_subject", "subject", "id"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(64))  # webhook, hook …: the handler that runs it
    subject: Mapped[str] = mapped_column(sa.String(100))  # webhook:<id>, plugin:<name>: whose log it belongs to
    event_seq: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    payload: Mapped[dict] = mapped_column(JSONDocument)
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")  # pending|running|done|failed
    run_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=1)
    locked_by: Mapped[str | None] = mapped_column(sa.String(100), nullable=True)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
