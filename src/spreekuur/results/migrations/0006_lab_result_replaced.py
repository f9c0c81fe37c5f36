# A replaced result says so itself (issue 18): the portal's online index leaves replaced
# rows out, so a patient's list and counts no longer probe for a newer version per row.
# Adding the column is instant on PostgreSQL (a constant default); the backfill touches
# only the replaced rows; the online index is built again with the new condition and
# the review time (what is new since the last look is counted from it too).

from django.db import migrations, models

MARK_REPLACED = """
UPDATE results_labresult SET replaced = TRUE
WHERE id IN (SELECT replaces_id FROM results_labresult WHERE replaces_id IS NOT NULL)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("results", "0005_lab_result_online_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="labresult",
            name="replaced",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.RunSQL(MARK_REPLACED, migrations.RunSQL.noop),
        migrations.RemoveIndex(model_name="labresult", name="lab_result_online"),
        migrations.AddIndex(
            model_name="labresult",
            index=models.Index(
                condition=models.Q(("released", True), ("replaced", False)),
                fields=["practice", "patient", "test", "observed_at", "id"],
                include=["reviewed_at"],
                name="lab_result_online",
            ),
        ),
    ]
