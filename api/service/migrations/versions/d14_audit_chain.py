"""audit log: end user, purpose, hash chain, append-only

Adds the access-log columns (``end_user``, ``purpose``) and the hash chain
(``prev_hash``, ``row_hash`` and the ``audit_chain`` table holding its end) to the
audit log, hashes the rows already there in id order, and makes the table append-only:
triggers refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL).

Revision ID: d14_audit_chain
Revises: 0001
Create Date: 2026-12-02 21:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from api.service.audit_chain import GENESIS, row_hash
from api.service.db_schema import UtcDateTime

revision: str = "d14_audit_chain"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AUDIT = sa.table(
    "audit_log",
    sa.column("id", sa.Integer()),
    sa.column("at", UtcDateTime()),
    sa.column("actor", sa.String()),
    sa.column("end_user", sa.String()),
    sa.column("purpose", sa.String()),
    sa.column("action", sa.String()),
    sa.column("entity", sa.String()),
    sa.column("entity_id", sa.String()),
    sa.column("request_id", sa.String()),
    sa.column("detail", sa.JSON()),
    sa.column("prev_hash", sa.String()),
    sa.column("row_hash", sa.String()),
)
POSTGRES_FUNCTION = """
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP;
END
$$
"""
POSTGRES_TRIGGERS = (
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()",
)
SQLITE_TRIGGERS = tuple(
    f"CREATE TRIGGER audit_log_no_{op_name.lower()} BEFORE {op_name} ON audit_log "
    f"BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: {op_name} refused'); END"
    for op_name in ("UPDATE", "DELETE")
)


def hash_existing_rows() -> tuple[int, str]:
    """Chain the rows already in the log (id order); the last id and hash."""
    conn = op.get_bind()
    prev, last_id = GENESIS, 0
    for row in conn.execute(sa.select(AUDIT).order_by(AUDIT.c.id)).mappings().all():
        digest = row_hash(prev, dict(row))
        conn.execute(
            sa.update(AUDIT).where(AUDIT.c.id == row["id"]).values(prev_hash=prev, row_hash=digest)
        )
        prev, last_id = digest, row["id"]
    return last_id, prev


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("end_user", sa.String(128), server_default="", nullable=False))
        batch.add_column(sa.Column("purpose", sa.String(32), server_default="", nullable=False))
        batch.add_column(sa.Column("prev_hash", sa.String(64), server_default="", nullable=False))
        batch.add_column(sa.Column("row_hash", sa.String(64), server_default="", nullable=False))
        batch.create_index("ix_audit_actor", ["actor"])
        batch.create_index("ix_audit_end_user", ["end_user"])
    chain = op.create_table(
        "audit_chain",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("last_id", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
    )
    last_id, last_hash = hash_existing_rows()
    op.bulk_insert(chain, [{"id": 1, "last_id": last_id, "last_hash": last_hash}])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_FUNCTION)
        for statement in POSTGRES_TRIGGERS:
            op.execute(statement)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_log_no_truncate ON audit_log")
        op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION audit_log_append_only()")
    else:
        op.execute("DROP TRIGGER audit_log_no_update")
        op.execute("DROP TRIGGER audit_log_no_delete")
    op.drop_table("audit_chain")
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_index("ix_audit_end_user")
        batch.drop_index("ix_audit_actor")
        for name in ("row_hash", "prev_hash", "purpose", "end_user"):
            batch.drop_column(name)
