"""The worker's tables: jobs, webhooks and their delivery attempts, entry schedules; the outbox
remembers which events were fanned out.

Revision ID: 0007_worker
Revises: 0006_outbox
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007_worker"
down_revision = "0006_outbox"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def upgrade():
    with op.batch_alter_table("outbox_events") as batch:
        batch.add_column(sa.Column("dispatched_at", WHEN, nullable=True))
    op.create_index("ix_outbox_events_undispatched", "outbox_events", ["seq"], unique=False,
                    postgresql_where=sa.text("dispatched_at IS NULL"), sqlite_where=sa.text("dispatched_at IS NULL"))
    op.create_table(
        "jobs",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=100), nullable=False),
        sa.Column("event_seq", sa.BigInteger(), nullable=True),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("run_at", WHEN, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_by", sa.String(length=100), nullable=True),
        sa.Column("locked_until", WHEN, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("finished_at", WHEN, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    op.create_index("ix_jobs_due", "jobs", ["status", "run_at"], unique=False)
    op.create_index("ix_jobs_subject", "jobs", ["subject", "id"], unique=False)
    op.create_table(
        "webhooks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("events", JSON, nullable=False),
        sa.Column("content_types", JSON, nullable=False),
        sa.Column("secrets", JSON, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("disabled_reason", sa.String(length=500), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.Column("created_by_id", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhooks")),
    )
    op.create_table(
        "webhook_attempts",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("job_id", BIGINT, nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("response_excerpt", sa.Text(), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_webhook_attempts_job_id_jobs"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_attempts")),
    )
    op.create_index("ix_webhook_attempts_job", "webhook_attempts", ["job_id", "id"], unique=False)
    op.create_table(
        "entry_schedules",
        sa.Column("entry_id", sa.String(length=36), nullable=False),
        sa.Column("publish_at", WHEN, nullable=True),
        sa.Column("unpublish_at", WHEN, nullable=True),
        sa.Column("created_by_id", sa.String(length=36), nullable=True),
        sa.Column("by_system", sa.Boolean(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["entry_id"], ["entries.id"], name=op.f("fk_entry_schedules_entry_id_entries"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_entry_schedules_created_by_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("entry_id", name=op.f("pk_entry_schedules")),
    )
    op.create_index("ix_entry_schedules_publish_at", "entry_schedules", ["publish_at"], unique=False)
    op.create_index("ix_entry_schedules_unpublish_at", "entry_schedules", ["unpublish_at"], unique=False)


def downgrade():
    op.drop_index("ix_entry_schedules_unpublish_at", table_name="entry_schedules")
    op.drop_index("ix_entry_schedules_publish_at", table_name="entry_schedules")
    op.drop_table("entry_schedules")
    op.drop_index("ix_webhook_attempts_job", table_name="webhook_attempts")
    op.drop_table("webhook_attempts")
    op.drop_table("webhooks")
    op.drop_index("ix_jobs_subject", table_name="jobs")
    op.drop_index("ix_jobs_due", table_name="jobs")
    op.drop_table("jobs")
    op.drop_index("ix_outbox_events_undispatched", table_name="outbox_events")
    with op.batch_alter_table("outbox_events") as batch:
        batch.drop_column("dispatched_at")
