"""public_id unique with the practice (the form Citus can keep: docs/production.md).

On SQLite, Django changes a unique field by copying the table, which drops its triggers:
the journal's "a correction replaces a line of the same patient" triggers (0002) are
made again at the end (the same statements, frozen here)."""

import uuid
from django.conf import settings
from django.db import migrations, models

SQLITE_CHECK = """
    WHEN NEW.replaces_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM dossier_journalentry replaced
        WHERE replaced.id = NEW.replaces_id
          AND replaced.patient_id = NEW.patient_id
          AND replaced.practice_id = NEW.practice_id)
    BEGIN SELECT RAISE(ABORT, 'a correction replaces a line of the same patient only'); END;
"""
SQLITE_TRIGGERS = [
    "DROP TRIGGER IF EXISTS dossier_correction_insert;",
    "DROP TRIGGER IF EXISTS dossier_correction_update;",
    "CREATE TRIGGER dossier_correction_insert BEFORE INSERT ON dossier_journalentry" + SQLITE_CHECK,
    "CREATE TRIGGER dossier_correction_update BEFORE UPDATE OF replaces_id ON dossier_journalentry"
    + SQLITE_CHECK,
]


def sqlite_triggers_again(apps, schema_editor):
    """PostgreSQL keeps triggers through ALTER TABLE; SQLite's table copy does not."""
    if schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_TRIGGERS:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0008_audit_key_fingerprint"),
        ("dossier", "0005_medication_gstandaard_code"),
        ("patients", "0005_public_id_per_practice"),
        ("results", "0004_value_kinds_status_withdrawal"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # Going back, the table is copied again by the reversed steps below: triggers last.
        migrations.RunPython(migrations.RunPython.noop, sqlite_triggers_again),
        migrations.AlterField(
            model_name="allergy",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False),
        ),
        migrations.AlterField(
            model_name="episode",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False),
        ),
        migrations.AlterField(
            model_name="journalentry",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False),
        ),
        migrations.AlterField(
            model_name="measurement",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False),
        ),
        migrations.AlterField(
            model_name="medication",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False),
        ),
        migrations.AddConstraint(
            model_name="allergy",
            constraint=models.UniqueConstraint(
                fields=("public_id", "practice"), name="allergy_public_id_per_practice"
            ),
        ),
        migrations.AddConstraint(
            model_name="episode",
            constraint=models.UniqueConstraint(
                fields=("public_id", "practice"), name="episode_public_id_per_practice"
            ),
        ),
        migrations.AddConstraint(
            model_name="journalentry",
            constraint=models.UniqueConstraint(
                fields=("public_id", "practice"), name="journal_entry_public_id_per_practice"
            ),
        ),
        migrations.AddConstraint(
            model_name="measurement",
            constraint=models.UniqueConstraint(
                fields=("public_id", "practice"), name="measurement_public_id_per_practice"
            ),
        ),
        migrations.AddConstraint(
            model_name="medication",
            constraint=models.UniqueConstraint(
                fields=("public_id", "practice"), name="medication_public_id_per_practice"
            ),
        ),
        migrations.RunPython(sqlite_triggers_again, migrations.RunPython.noop),
    ]
