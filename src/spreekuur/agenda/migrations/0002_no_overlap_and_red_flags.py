"""PostgreSQL exclusion constraints (no practitioner booked twice at once, no overlapping
slots) and the national baseline of red-flag complaints that stop online booking."""

from django.db import migrations

# Frozen copy of the national baseline (agenda/red_flags.py BASELINE) as this migration
# writes it, so that a later change there cannot change what it does: (code, question,
# advice: "112" or "spoedlijn", extra advice shown when it applies).
BASELINE = [
    (
        "pijn-op-de-borst",
        "Heeft u pijn op de borst, of een drukkend of beklemmend gevoel dat kan "
        "uitstralen naar arm, kaak of rug?",
        "112",
        "",
    ),
    ("ernstig-benauwd", "Bent u ernstig benauwd of kortademig, ook in rust?", "112", ""),
    (
        "beroerte",
        "Heeft u plotseling een scheve mond, een slappe arm of been, of moeite met praten?",
        "112",
        "",
    ),
    ("hevige-bloeding", "Heeft u een hevige bloeding die niet stopt?", "112", ""),
    (
        "suicidegedachten",
        "Denkt u erover om een einde aan uw leven te maken?",
        "spoedlijn",
        "Praten met iemand kan ook anoniem: bel 113 Zelfmoordpreventie via 0800-0113 "
        "(gratis, dag en nacht).",
    ),
    (
        "ziek-kind",
        "Gaat het om een kind dat erg ziek is: suf, slap, moeilijk wakker te krijgen, "
        "of drinkt het niet meer?",
        "spoedlijn",
        "",
    ),
    (
        "koorts-vlekjes",
        "Heeft u hoge koorts met een stijve nek, of met vlekjes die niet wegdrukken?",
        "spoedlijn",
        "",
    ),
    ("hevige-buikpijn", "Heeft u plotseling hevige buikpijn?", "spoedlijn", ""),
]

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
