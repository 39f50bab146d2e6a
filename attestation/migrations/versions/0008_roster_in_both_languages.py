"""a candidate's organisation and position may be given in Kazakh and Russian

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07

Optional roster columns ``organization_kk``, ``organization_ru``, ``position_kk``,
``position_ru``; each document shows its own language's (``Candidate.organization_in``),
the one ``organization``/``position`` serving both where only it is given.
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

_COLUMNS = ("organization_kk", "organization_ru", "position_kk", "position_ru")


def upgrade() -> None:
    with op.batch_alter_table("candidate") as batch:
        for name in _COLUMNS:
            batch.add_column(sa.Column(name, sa.String(300), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("candidate") as batch:
        for name in reversed(_COLUMNS):
            batch.drop_column(name)
