"""The test table again: the self-measurements an app passes on that the practice does
not measure itself (glucose from a meter, heart rate), with their NHG numbers and LOINC
codes as the Dutch self-measurement standard (MedMij Zelfmetingen) maps them."""

from django.db import migrations

# Frozen copy of the rows this migration adds to results/data/nhg_tabel45.csv:
# (nhg_code, mnemonic, name, patient_name, about, unit, loinc, decimals). No memocode
# is known for them; none is invented.
TESTS = [
    ('382', '', 'glucose nuchter, draagbare meter', 'Suiker nuchter, zelf gemeten', 'Uw bloedsuiker, zelf gemeten met een bloedsuikermeter voordat u had gegeten.', 'mmol/l', '14770-2', 1),
    ('381', '', 'glucose niet nuchter, draagbare meter', 'Suiker, zelf gemeten', 'Uw bloedsuiker, zelf gemeten met een bloedsuikermeter.', 'mmol/l', '14743-9', 1),
    ('3963', '', 'hartfrequentie (thuismeting)', 'Hartslag, zelf gemeten', 'Hoe vaak uw hart per minuut klopt.', '/min', '8867-4', 0),
]


def load(apps, schema_editor):
    LabTest = apps.get_model("results", "LabTest")
    for code, mnemonic, name, patient_name, about, unit, loinc, decimals in TESTS:
        LabTest.objects.update_or_create(
            nhg_code=code,
            defaults={
                "mnemonic": mnemonic,
                "name": name,
                "patient_name": patient_name,
                "about": about,
                "unit": unit,
                "loinc": loinc,
                "decimals": decimals,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("results", "0006_lab_result_replaced")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
