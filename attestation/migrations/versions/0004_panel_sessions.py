"""panel sessions recorded on the server, so that logout and disabling end them

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('panel_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('ended_reason', sa.String(length=40), nullable=False, server_default=''),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('panel_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_panel_session_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('panel_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_panel_session_user_id'))
    op.drop_table('panel_session')
