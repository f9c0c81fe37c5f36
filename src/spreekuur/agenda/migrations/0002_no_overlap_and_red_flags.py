"""PostgreSQL exclusion constraints (no practitioner booked twice at once, no overlapping
slots) and the national baseline of red-flag complaints that stop online booking."""

from django.db import migrations

from spreekuur.agenda.red_flags import BASELINE

EXCLUSIONS = [
    (
        "agenda_appointment",
        "appointment_no_overlap",
        "EXCLUDE USING gist (practitioner_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)"
        " WHERE (status <> 'geannuleerd')",
    ),
    (
        "agenda_slot",
        "slot_no_overlap",
        "EXCLUDE USING gist (practitioner_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)",
    ),
]



def add_exclusions(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # SQLite serialises writers; the unique constraints still hold there
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    for table, name, body in EXCLUSIONS:
        schema_editor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {body}")


def drop_exclusions(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, name, _body in EXCLUSIONS:
        schema_editor.execute(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}")


def add_baseline(apps, schema_editor):
    RedFlag = apps.get_model("agenda", "RedFlag")
    for order, (code, question, advice, extra) in enumerate(BASELINE):
        RedFlag.objects.update_or_create(
            practice=None,
            code=code,
            defaults={"question": question, "advice": advice, "extra_advice": extra,
                      "sort_order": order, "active": True},
        )


def remove_baseline(apps, schema_editor):
    apps.get_model("agenda", "RedFlag").objects.filter(practice=None).delete()


class Migration(migrations.Migration):
    dependencies = [("agenda", "0001_initial")]

    operations = [
        migrations.RunPython(add_exclusions, drop_exclusions),
        migrations.RunPython(add_baseline, remove_baseline),
    ]
