"""corrections as new facts; the commission and the protocol number of a sitting

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27

An absence or a decision is no longer one per roster entry: a correction sets one aside
(naming it) and a later one is a new row, so the unique constraints become indexes.
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

#: PostgreSQL's own name for a one-column unique constraint; SQLite's are unnamed, and
#: batch mode names them by the same pattern when it reflects the table.
_NAMES = {"uq": "%(table_name)s_%(column_0_name)s_key"}


def upgrade() -> None:
    for table in ("absence", "decision"):
        with op.batch_alter_table(table, naming_convention=_NAMES) as batch_op:
            batch_op.drop_constraint(f"{table}_roster_entry_id_key", type_="unique")
            batch_op.create_index(f"ix_{table}_roster_entry_id", ["roster_entry_id"])
    op.create_table('correction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('roster_entry_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('before', sa.JSON(), nullable=False),
    sa.Column('after', sa.JSON(), nullable=False),
    sa.Column('absence_id', sa.Integer(), nullable=True),
    sa.Column('decision_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('withdraw_absence', 'withdraw_admission', 'supersede_decision', "
                       "'fix_details', 'add_candidate')", name='ck_kind_allowed'),
    sa.ForeignKeyConstraint(['absence_id'], ['absence.id'], ),
    sa.ForeignKeyConstraint(['decision_id'], ['decision.id'], ),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['roster_entry_id'], ['roster_entry.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_correction_roster_entry_id', 'correction', ['roster_entry_id'])
    op.add_column('sitting', sa.Column('commission', sa.JSON(), nullable=False,
                                       server_default=sa.text("'[]'")))
    op.add_column('sitting', sa.Column('protocol_year', sa.Integer(), nullable=True))
    op.add_column('sitting', sa.Column('protocol_number', sa.Integer(), nullable=True))
    op.create_index('uq_sitting_protocol_number', 'sitting',
                    ['venue_id', 'protocol_year', 'protocol_number'], unique=True)


def downgrade() -> None:
    op.drop_index('uq_sitting_protocol_number', table_name='sitting')
    for column in ('protocol_number', 'protocol_year', 'commission'):
        op.drop_column('sitting', column)
    op.drop_index('ix_correction_roster_entry_id', table_name='correction')
    op.drop_table('correction')
    for table in ("absence", "decision"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_index(f"ix_{table}_roster_entry_id")
            batch_op.create_unique_constraint(f"{table}_roster_entry_id_key", ["roster_entry_id"])
