"""ids never reused: participant and observation ids are never handed out twice

SQLite reuses the highest rowid once its row is deleted: after an erasure the next participant
got the erased one's id. AUTOINCREMENT (`sqlite_autoincrement`) keeps the highest id ever given in
`sqlite_sequence` and never goes below it. SQLite cannot add it to a table: both tables are
rebuilt (batch copy). Copying the rows with their ids sets `sqlite_sequence` to the highest id
present. An id erased before this migration, above every id left, can still be given once more:
nothing remembers it. PostgreSQL: nothing to do, sequences never reuse.

The rebuild drops the old table. With foreign keys enforced, SQLite's DROP TABLE first deletes
every row, and ON DELETE CASCADE would then delete the spots, photos and track points that refer
to them: the rebuild runs with foreign keys off (a pragma that has no effect inside a
transaction, hence the commit before it), and is checked with `PRAGMA foreign_key_check` before
it is committed.

Revision ID: 7b5c1d4e0f63
Revises: 6a4b0c3d9e52
Create Date: 2026-12-02 10:00:00

"""

from alembic import op

revision = "7b5c1d4e0f63"
down_revision = "6a4b0c3d9e52"
branch_labels = None
depends_on = None

TABLES = ("participant", "observation")


def _rebuild(autoincrement: bool) -> None:
    conn = op.get_bind()
    if conn.dialect.name != "sqlite":
        return
    enforced = conn.exec_driver_sql("PRAGMA foreign_keys").scalar()
    # The SQLAlchemy transaction stays open around this; SQLite's ends here and begins again below.
    conn.exec_driver_sql("COMMIT")
    conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
    conn.exec_driver_sql("BEGIN IMMEDIATE")
    try:
        for name in TABLES:
            with op.batch_alter_table(
                name, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
            ) as batch_op:
                if not autoincrement:
                    # SQLite writes AUTOINCREMENT in the column, where the key has no name:
                    # back to the named key of 0001.
                    batch_op.create_primary_key(f"pk_{name}", ["id"])
        broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
        if broken:
            raise RuntimeError(f"rows refer to missing rows after the rebuild: {broken[:10]}")
        conn.exec_driver_sql("COMMIT")
    except BaseException:
        conn.exec_driver_sql("ROLLBACK")
        raise
    finally:
        conn.exec_driver_sql(f"PRAGMA foreign_keys={'ON' if enforced else 'OFF'}")
        conn.exec_driver_sql("BEGIN")


def upgrade():
    _rebuild(autoincrement=True)


def downgrade():
    _rebuild(autoincrement=False)
