"""A chain head may only move forward: winding `last_seq` back (to hide removed entries)
is refused in the database. PostgreSQL also refuses deleting a chain head."""

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
CREATE OR REPLACE FUNCTION spreekuur_audit_chain_forward_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' OR NEW.last_seq < OLD.last_seq OR NEW.scope <> OLD.scope THEN
        RAISE EXCEPTION 'audit chain head only moves forward (NEN 7513): % refused', TG_OP;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER core_auditchain_forward_only
    BEFORE UPDATE OR DELETE ON core_auditchain
    FOR EACH ROW EXECUTE FUNCTION spreekuur_audit_chain_forward_only();
"""
PG_BACKWARD = """
DROP TRIGGER IF EXISTS core_auditchain_forward_only ON core_auditchain;
DROP FUNCTION IF EXISTS spreekuur_audit_chain_forward_only();
"""
SQLITE_FORWARD = """
CREATE TRIGGER core_auditchain_forward_only BEFORE UPDATE ON core_auditchain
WHEN NEW.last_seq < OLD.last_seq OR NEW.scope <> OLD.scope
BEGIN SELECT RAISE(ABORT, 'audit chain head only moves forward (NEN 7513)'); END;
"""


class Migration(migrations.Migration):
    dependencies = [("core", "0003_audit_append_only")]

    operations = [
        sql_per_vendor(
            postgresql=(PG_FORWARD, PG_BACKWARD),
            sqlite=(
                [SQLITE_FORWARD],
                ["DROP TRIGGER IF EXISTS core_auditchain_forward_only;"],
            ),
        )
    ]
