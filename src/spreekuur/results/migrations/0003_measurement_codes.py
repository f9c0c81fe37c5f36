from django.db import migrations


def load(apps, schema_editor):
    from spreekuur.results.table import load_test_table

    # The table gained blood pressure and weight (measurements in the record).
    load_test_table(lab_test=apps.get_model("results", "LabTest"))


class Migration(migrations.Migration):
    dependencies = [("results", "0002_lab_test_table")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
