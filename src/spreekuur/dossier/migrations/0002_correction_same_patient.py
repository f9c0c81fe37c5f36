"""A correction must replace a line of the same patient and practice: the database refuses
anything else, so a wrong `replaces` can never hide another patient's line online."""

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
CREATE OR REPLACE FUNCTION spreekuur_correction_same_patient() RETURNS trigger AS $$
BEGIN
    IF NEW.replaces_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM dossier_journalentry replaced
        WHERE replaced.id = NEW.replaces_id
          AND replaced.patient_id = NEW.patient_id
          AND replaced.practice_id = NEW.practice_id
    ) THEN
        RAISE EXCEPTION 'a correction replaces a line of the same patient only';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER dossier_journalentry_correction_same_patient
    BEFORE INSERT OR UPDATE OF replaces_id ON dossier_journalentry
    FOR EACH ROW EXECUTE FUNCTION spreekuur_correction_same_patient();
"""
PG_BACKWARD = """
DROP TRIGGER IF EXISTS dossier_journalentry_correction_same_patient ON dossier_journalentry;
DROP FUNCTION IF EXISTS spreekuur_correction_same_patient();
"""
SQLITE_CHECK = """
    WHEN NEW.replaces_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM dossier_journalentry replaced
        WHERE replaced.id = NEW.replaces_id
          AND replaced.patient_id = NEW.patient_id
          AND replaced.practice_id = NEW.practice_id)
    BEGIN SELECT RAISE(ABORT, 'a correction replaces a line of the same patient only'); END;
"""
SQLITE_FORWARD = [
    "CREATE TRIGGER dossier_correction_insert BEFORE INSERT ON dossier_journalentry"
    + SQLITE_CHECK,
    "CREATE TRIGGER dossier_correction_update BEFORE UPDATE OF replaces_id ON dossier_journalentry"
    + SQLITE_CHECK,
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS dossier_correction_insert;",
    "DROP TRIGGER IF EXISTS dossier_correction_update;",
]


class Migration(migrations.Migration):
    dependencies = [("dossier", "0001_initial")]

    operations = [
        sql_per_vendor(
            postgresql=(PG_FORWARD, PG_BACKWARD), sqlite=(SQLITE_FORWARD, SQLITE_BACKWARD)
        )
    ]
