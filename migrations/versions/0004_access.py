"""Access: roles, browser sessions, password resets, token scopes, the audit log.

Revision ID: 0004_access
Revises: 0003_translation_groups
Create Date: 2026-11-28
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004_access"
down_revision = "0003_translation_groups"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
CONTENT = ("read", "create", "update", "delete", "publish")
#: the built-in roles as first stored (cms/auth/permissions.py holds the same)
BUILTIN = [
    ("administrator", "Administrator", "Everything, including users, roles and settings.",
     [{"type": "*", "action": "*"}, {"system": "*", "action": "manage"}]),
    ("editor", "Editor", "Writes, reviews and publishes every entry; manages media.",
     [{"type": "*", "action": a} for a in CONTENT] + [{"system": "content_types", "action": "read"},
                                                      {"system": "media", "action": "manage"},
                                                      {"system": "users", "action": "read"}]),
    ("author", "Author", "Reads every entry; creates entries and edits and deletes their own; no publishing.",
     [{"type": "*", "action": "read"}, {"type": "*", "action": "create"},
      {"type": "*", "action": "update", "own": True}, {"type": "*", "action": "delete", "own": True},
      {"system": "content_types", "action": "read"}, {"system": "media", "action": "manage"}]),
    ("viewer", "Viewer", "Reads every entry, drafts included; changes nothing.",
     [{"type": "*", "action": "read"}, {"system": "content_types", "action": "read"}]),
    ("public", "Public", "The anonymous caller: published entries of public types, private fields never.",
     [{"type": "*", "action": "read"}]),
]


def upgrade():
    now = datetime.now(UTC)
    roles = op.create_table(
        "roles",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column("builtin", sa.Boolean(), nullable=False),
        sa.Column("permissions", JSON, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_roles")),
    )
    op.bulk_insert(roles, [{"name": name, "label": label, "description": description, "builtin": True,
                            "permissions": permissions, "version": 1, "created_at": now, "updated_at": now}
                           for name, label, description, permissions in BUILTIN])
    known = ", ".join(f"'{name}'" for name, *_ in BUILTIN)
    op.execute(f"UPDATE users SET role = 'viewer' WHERE role NOT IN ({known})")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name", sa.String(length=200), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_users_role_roles"), "roles", ["role"], ["name"], ondelete="RESTRICT")
        batch_op.create_index(batch_op.f("ix_users_role"), ["role"], unique=False)
    op.execute("UPDATE users SET updated_at = created_at")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("updated_at", existing_type=sa.DateTime(timezone=True), nullable=False)
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=16), nullable=False, server_default="api"))
        batch_op.add_column(sa.Column("role", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("permissions", JSON, nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_api_tokens_role_roles"), "roles", ["role"], ["name"],
                                    ondelete="RESTRICT")
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("user_agent", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_user_sessions_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sessions")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_user_sessions_key_hash")),
    )
    op.create_index(op.f("ix_user_sessions_user_id"), "user_sessions", ["user_id"], unique=False)
    op.create_table(
        "password_resets",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_password_resets_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_resets")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_password_resets_token_hash")),
    )
    op.create_index(op.f("ix_password_resets_user_id"), "password_resets", ["user_id"], unique=False)
    op.create_table(
        "audit_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.String(length=36), nullable=True),
        sa.Column("actor_label", sa.String(length=300), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target_type", sa.String(length=64), nullable=False),
        sa.Column("target_id", sa.String(length=100), nullable=False),
        sa.Column("summary", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index("ix_audit_events_target", "audit_events", ["target_type", "target_id", "id"], unique=False)
    op.create_index("ix_audit_events_actor", "audit_events", ["actor_id", "id"], unique=False)
    op.create_index("ix_audit_events_action", "audit_events", ["action", "id"], unique=False)
    op.create_index("ix_audit_events_at", "audit_events", ["at"], unique=False)


def downgrade():
    op.drop_table("audit_events")
    op.drop_table("password_resets")
    op.drop_table("user_sessions")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_api_tokens_role_roles"), type_="foreignkey")
        batch_op.drop_column("permissions")
        batch_op.drop_column("role")
        batch_op.drop_column("kind")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_role"))
        batch_op.drop_constraint(batch_op.f("fk_users_role_roles"), type_="foreignkey")
        batch_op.drop_column("password_changed_at")
        batch_op.drop_column("updated_at")
        batch_op.drop_column("name")
    op.drop_table("roles")
