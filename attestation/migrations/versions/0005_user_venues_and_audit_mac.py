"""users tied to venues; audit entries signed with a key kept outside the database

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27

On upgrade nobody loses what they could see the day before: an administrator gets every
venue, every other user each venue that exists now.  Trim them with
``kioskctl user venues NAME --remove CODE``.
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('user_venue',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('venue_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['venue_id'], ['venue.id'], ),
    sa.PrimaryKeyConstraint('user_id', 'venue_id')
    )
    op.add_column('app_user', sa.Column('all_venues', sa.Boolean(), nullable=False,
                                        server_default=sa.false()))
    op.execute("UPDATE app_user SET all_venues = TRUE WHERE role = 'admin'")
    op.execute("INSERT INTO user_venue (user_id, venue_id) SELECT u.id, v.id FROM app_user u, venue v "
               "WHERE u.role <> 'admin'")
    # A plain ADD COLUMN: a batch copy of audit_log would drop its append-only triggers.
    op.add_column('audit_log', sa.Column('mac', sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.drop_column('audit_log', 'mac')
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('all_venues')
    op.drop_table('user_venue')
