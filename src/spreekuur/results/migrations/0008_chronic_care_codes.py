"""The test table again: the measurements of the chronic-care programmes (ketenzorg)
that it did not hold yet, each number as care-group software and Nictiz's test messages
state it (no memocode is invented where none was found)."""

from django.db import migrations

# Frozen copy of the rows this migration adds to results/data/nhg_tabel45.csv:
# (nhg_code, mnemonic, name, patient_name, about, unit, loinc, decimals).
TESTS = [
    ('560', 'LNGP', 'lengte patiënt', 'Lengte', 'Hoe lang u bent.', 'm', '', 2),
    ('1272', 'QUET', 'Quetelet-index (BMI) patiënt', 'BMI (gewicht ten opzichte van lengte)', 'Uw gewicht gedeeld door uw lengte in het kwadraat.', 'kg/m2', '', 1),
    ('1875', 'POLS', 'polsfrequentie', 'Hartslag', 'Hoe vaak uw hart per minuut klopt.', '/min', '', 0),
    ('1968', 'NTPR', 'NTpro brain natriuretic pept. (NTProBNP)', 'Hartfalen-eiwit (NT-proBNP)', 'Een stof die het hart maakt als het te zwaar moet werken.', 'ng/l', '', 0),
    ('1675', '', 'FEV1/FVC ratio pré-BD', 'Longfunctie: FEV1/FVC', 'Welk deel van de lucht u in één seconde kunt uitblazen.', '%', '', 0),
    ('3657', 'CHVA', 'CHA2DS2-VASc score ischemisch CVA', 'Risico op een beroerte (CHA2DS2-VASc)', 'Een score voor het risico op een beroerte bij boezemfibrilleren.', '', '', 0),
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
    dependencies = [("results", "0007_home_measurement_codes")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
