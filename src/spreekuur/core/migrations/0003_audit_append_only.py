"""Make the audit log append-only in the database itself (NEN 7513).

PostgreSQL: a trigger function refuses UPDATE and DELETE of any row. (TRUNCATE needs
the table owner; run the application as a role without that privilege.)
SQLite: UPDATE is refused by a trigger; a DELETE is left to `spreekuur audit_verify`,
which finds the gap in the chain, because Django's test flush empties tables with DELETE.
"""

from django.db import migrations


def sql_per_vendor(*, postgresql, sqlite):
    """Run (forward, backward) SQL for PostgreSQL as one script and for SQLite statement by
    statement (its driver runs one at a time); other databases get nothing. (A frozen copy
    of what was core/migration_sql.py, frozen here so that no later change alters it.)"""

    def run(schema_editor, backward):
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            schema_editor.execute(postgresql[backward], None)
        elif vendor == "sqlite":
            for statement in sqlite[backward]:
                schema_editor.execute(statement)

    return migrations.RunPython(
        lambda apps, schema_editor: run(schema_editor, False),
        lambda apps, schema_editor: run(schema_editor, True),
    )

PG_FORWARD = """
CREATE OR REPLACE FUNCTION spreekuur_audit_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit log is append-only (NEN 7513): % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER core_auditentry_append_only
    BEFORE UPDATE OR DELETE ON core_auditentry
    FOR EACH ROW EXECUTE FUNCTION spreekuur_audit_refuse_change();
"""
PG_BACKWARD = """
DROP TRIGGER IF EXISTS core_auditentry_append_only ON core_auditentry;
DROP FUNCTION IF EXISTS spreekuur_audit_refuse_change();
"""
SQLITE_FORWARD = [
    """CREATE TRIGGER core_auditentry_no_update BEFORE UPDATE ON core_auditentry
       BEGIN SELECT RAISE(ABORT, 'audit log is append-only (NEN 7513): UPDATE refused'); END;""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS core_auditentry_no_update;",
]


class Migration(migrations.Migration):
    dependencies = [("core", "0002_initial")]

    operations = [
        sql_per_vendor(
            postgresql=(PG_FORWARD, PG_BACKWARD), sqlite=(SQLITE_FORWARD, SQLITE_BACKWARD)
        )
    ]
