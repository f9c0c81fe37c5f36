"""The red flags now belong to the triage app (triage 0001 took over the table)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("agenda", "0003_appointment_desk_note"),
        ("triage", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="RedFlag")],
            database_operations=[],
        ),
    ]
