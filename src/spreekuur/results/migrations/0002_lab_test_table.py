from django.db import migrations


def load(apps, schema_editor):
    from spreekuur.results.table import load_test_table

    load_test_table(lab_test=apps.get_model("results", "LabTest"))


class Migration(migrations.Migration):
    dependencies = [("results", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
