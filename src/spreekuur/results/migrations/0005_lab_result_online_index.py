# The patient's online results read from one partial index (selectors.results_online and
# test_online): their tests, the newest of each and the counts without visiting the table.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("results", "0004_value_kinds_status_withdrawal"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="labresult",
            index=models.Index(
                condition=models.Q(("released", True)),
                fields=["practice", "patient", "test", "observed_at", "id"],
                name="lab_result_online",
            ),
        ),
    ]
