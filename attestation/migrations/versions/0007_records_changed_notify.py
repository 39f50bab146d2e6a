"""the audit log and the door events notify the panel's live boards (PostgreSQL)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27

Every transaction that appends to the audit log or records a door event notifies the
channel ``records_changed`` (attestation.changes.RECORDS) at its commit; the panel
listens instead of polling.  One statement-level trigger per table: PostgreSQL folds
identical notifications of one transaction into one.  SQLite needs nothing: its
readers look at ``PRAGMA data_version``.
"""
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

_TABLES = ("audit_log", "door_event")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("""
        CREATE FUNCTION notify_records_changed() RETURNS trigger AS $$
        BEGIN
            PERFORM pg_notify('records_changed', '');
            RETURN NULL;
        END $$ LANGUAGE plpgsql""")
    for table in _TABLES:
        op.execute(f"CREATE TRIGGER {table}_notify AFTER INSERT ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION notify_records_changed()")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in _TABLES:
        op.execute(f"DROP TRIGGER {table}_notify ON {table}")
    op.execute("DROP FUNCTION notify_records_changed()")
