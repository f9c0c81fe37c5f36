"""The test table again: it gained blood pressure and weight (measurements in the record)."""

from decimal import Decimal

from django.db import migrations, transaction

# Frozen copy of the shipped NHG-Tabel 45 extract (results/data/nhg_tabel45.csv) as this
# migration loads it, so that a later change to the data files or to the loader in
# results/table.py cannot change what it does: (nhg_code, mnemonic, name, patient_name,
# about, unit, loinc, decimals).
TESTS = [
    ('2816', 'HBAC', 'HbA1c (glycohemoglobine) IFCC', 'Suiker, gemiddeld over 2 à 3 maanden (HbA1c)', 'Laat zien hoe hoog uw bloedsuiker de afgelopen weken gemiddeld was.', 'mmol/mol', '59261-8', 0),
    ('372', 'GLUC', 'glucose nuchter, veneus', 'Suiker nuchter (glucose)', 'Uw bloedsuiker, gemeten voordat u had gegeten.', 'mmol/l', '14771-0', 1),
    ('523', 'KREA', 'kreatinine', 'Nierfunctie: kreatinine', 'Een afvalstof die de nieren uit het bloed halen.', 'umol/l', '14682-9', 0),
    ('3907', 'EGFC', 'eGFR volgens CKD-EPI', 'Nierfunctie: eGFR', 'Een schatting van hoe goed de nieren het bloed zuiveren.', 'ml/min/1,73m2', '62238-1', 0),
    ('40', 'ALBK', 'albumine/kreatinine ratio urine', 'Eiwit in de urine (albumine/kreatinine)', 'Een teken van schade aan de nieren of bloedvaten.', 'mg/mmol', '14958-3', 1),
    ('192', 'CHOL', 'cholesterol totaal', 'Cholesterol totaal', 'Vet in het bloed, samen met HDL en LDL.', 'mmol/l', '14647-2', 1),
    ('446', 'HDL', 'HDL-cholesterol', "HDL-cholesterol (het 'goede')", 'Het cholesterol dat de bloedvaten beschermt.', 'mmol/l', '14646-4', 2),
    ('542', 'LDL', 'LDL-cholesterol', "LDL-cholesterol (het 'slechte')", 'Het cholesterol dat aderverkalking geeft.', 'mmol/l', '22748-8', 1),
    ('181', 'CHHD', 'cholesterol/HDL-cholesterol ratio', 'Verhouding cholesterol/HDL', 'Hoe lager, hoe beter voor hart en bloedvaten.', '', '9830-1', 1),
    ('1377', 'TRIG', 'triglyceriden', 'Triglyceriden (vetten)', 'Een ander soort vet in het bloed.', 'mmol/l', '14927-8', 1),
    ('227', 'CRP', 'C-reactief proteïne', 'Ontstekingswaarde (CRP)', 'Stijgt bij een ontsteking of infectie.', 'mg/l', '1988-5', 0),
    ('412', 'HB', 'hemoglobine', 'Hemoglobine (Hb)', 'De stof in rode bloedcellen die zuurstof vervoert.', 'mmol/l', '59260-0', 1),
    ('513', 'K', 'kalium', 'Kalium', 'Een zout dat spieren en hart nodig hebben.', 'mmol/l', '2823-3', 1),
    ('1385', 'TSH', 'TSH', 'Schildklier (TSH)', 'Een hormoon dat laat zien hoe de schildklier werkt.', 'mU/l', '3016-3', 2),
    ('1744', 'RRSY', 'systolische bloeddruk', 'Bovendruk (systolisch)', 'De druk in de bloedvaten als het hart samenknijpt.', 'mmHg', '8480-6', 0),
    ('1740', 'RRDI', 'diastolische bloeddruk', 'Onderdruk (diastolisch)', 'De druk in de bloedvaten als het hart ontspant.', 'mmHg', '8462-4', 0),
    ('357', 'GEW', 'gewicht patiënt', 'Gewicht', 'Uw lichaamsgewicht.', 'kg', '29463-7', 1),
]
# And its reference ranges (results/data/referentiewaarden.csv): (nhg_code, sex, age_from,
# age_below, low, high).
RANGES = [
    ('2816', '', 18, None, '20', '42'),
    ('372', '', 0, None, '4.0', '6.0'),
    ('523', 'M', 18, None, '64', '104'),
    ('523', 'F', 18, None, '49', '90'),
    ('3907', '', 18, None, '60', None),
    ('40', 'M', 18, None, None, '2.5'),
    ('40', 'F', 18, None, None, '3.5'),
    ('192', '', 18, None, None, '5.0'),
    ('446', 'M', 18, None, '0.9', None),
    ('446', 'F', 18, None, '1.1', None),
    ('542', '', 18, None, None, '3.0'),
    ('181', '', 18, None, None, '5.0'),
    ('1377', '', 18, None, None, '2.0'),
    ('227', '', 0, None, None, '10'),
    ('412', 'M', 18, None, '8.5', '11.0'),
    ('412', 'F', 18, None, '7.5', '10.0'),
    ('412', '', 1, 18, '7.0', '9.0'),
    ('513', '', 0, None, '3.5', '5.0'),
    ('1385', '', 18, None, '0.4', '4.0'),
    ('1744', '', 18, None, None, '140'),
    ('1740', '', 18, None, None, '90'),
]


def load(apps, schema_editor):
    """Insert or update the tests and replace their ranges (rows are never deleted:
    results point at them)."""
    LabTest = apps.get_model("results", "LabTest")
    ReferenceRange = apps.get_model("results", "ReferenceRange")
    with transaction.atomic():
        tests = {}
        for code, mnemonic, name, patient_name, about, unit, loinc, decimals in TESTS:
            test, _ = LabTest.objects.update_or_create(
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
            tests[test.nhg_code] = test
        ReferenceRange.objects.filter(test__in=tests.values()).delete()
        ReferenceRange.objects.bulk_create(
            [
                ReferenceRange(
                    test=tests[code],
                    sex=sex,
                    age_from=age_from,
                    age_below=age_below,
                    low=None if low is None else Decimal(low),
                    high=None if high is None else Decimal(high),
                )
                for code, sex, age_from, age_below, low, high in RANGES
            ]
        )


class Migration(migrations.Migration):
    dependencies = [("results", "0002_lab_test_table")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
