"""Initial schema: content types, entries, revisions, relations, unique claims, users, tokens.

Revision ID: 0001_initial
Revises: 
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('content_types',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('description', sa.String(length=1000), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('options', JSON, nullable=False),
    sa.Column('fields', JSON, nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_content_types')),
    sa.UniqueConstraint('name', name=op.f('uq_content_types_name'))
    )
    op.create_table('users',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=64), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    op.create_table('api_tokens',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('entries',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('type_id', sa.Integer(), nullable=False),
    sa.Column('locale', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('data', JSON, nullable=False),
    sa.Column('published_data', JSON, nullable=True),
    sa.Column('published_version', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.String(length=36), nullable=True),
    sa.Column('updated_by_id', sa.String(length=36), nullable=True),
    sa.Column('published_by_id', sa.String(length=36), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_entries_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_entries_published_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['type_id'], ['content_types.id'], name=op.f('fk_entries_type_id_content_types'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_entries_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_entries'))
    )
    with op.batch_alter_table('entries', schema=None) as batch_op:
        batch_op.create_index('ix_entries_type_locale_created', ['type_id', 'locale', 'created_at'], unique=False)
        batch_op.create_index('ix_entries_type_status', ['type_id', 'status'], unique=False)

    op.create_table('entry_relations',
    sa.Column('source_id', sa.String(length=36), nullable=False),
    sa.Column('state', sa.String(length=9), nullable=False),
    sa.Column('field_id', sa.String(length=32), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('target_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['source_id'], ['entries.id'], name=op.f('fk_entry_relations_source_id_entries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['target_id'], ['entries.id'], name=op.f('fk_entry_relations_target_id_entries')),
    sa.PrimaryKeyConstraint('source_id', 'state', 'field_id', 'position', name=op.f('pk_entry_relations'))
    )
    with op.batch_alter_table('entry_relations', schema=None) as batch_op:
        batch_op.create_index('ix_entry_relations_target', ['target_id', 'state'], unique=False)

    op.create_table('entry_uniques',
    sa.Column('type_id', sa.Integer(), nullable=False),
    sa.Column('locale', sa.String(length=16), nullable=False),
    sa.Column('field_id', sa.String(length=32), nullable=False),
    sa.Column('value_hash', sa.String(length=64), nullable=False),
    sa.Column('entry_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['entries.id'], name=op.f('fk_entry_uniques_entry_id_entries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['type_id'], ['content_types.id'], name=op.f('fk_entry_uniques_type_id_content_types'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('type_id', 'locale', 'field_id', 'value_hash', name=op.f('pk_entry_uniques'))
    )
    with op.batch_alter_table('entry_uniques', schema=None) as batch_op:
        batch_op.create_index('ix_entry_uniques_entry', ['entry_id'], unique=False)

    op.create_table('revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.String(length=36), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('type_version', sa.Integer(), nullable=False),
    sa.Column('data', JSON, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.String(length=36), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_revisions_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['entry_id'], ['entries.id'], name=op.f('fk_revisions_entry_id_entries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_revisions')),
    sa.UniqueConstraint('entry_id', 'number', name=op.f('uq_revisions_entry_id_number'))
    )


def downgrade():
    op.drop_table('revisions')
    with op.batch_alter_table('entry_uniques', schema=None) as batch_op:
        batch_op.drop_index('ix_entry_uniques_entry')

    op.drop_table('entry_uniques')
    with op.batch_alter_table('entry_relations', schema=None) as batch_op:
        batch_op.drop_index('ix_entry_relations_target')

    op.drop_table('entry_relations')
    with op.batch_alter_table('entries', schema=None) as batch_op:
        batch_op.drop_index('ix_entries_type_status')
        batch_op.drop_index('ix_entries_type_locale_created')

    op.drop_table('entries')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))

    op.drop_table('api_tokens')
    op.drop_table('users')
    op.drop_table('content_types')
