"""Dutch formats in the record: a blood pressure as one value ("134/82 mmHg"), decimal
commas, and Django's Dutch month abbreviations, in the portal, the staff record and the PDF."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from spreekuur.core.models import AuditEntry
from spreekuur.dossier import selectors, services
from spreekuur.dossier.models import DIASTOLIC, SYSTOLIC, WEIGHT, Measurement
from spreekuur.results.models import LabResult
from spreekuur.results.samples import SampleResult
from tests.conftest import Cast, verified_client
from tests.results.conftest import oru, receive

pytestmark = pytest.mark.django_db

OPEN_FROM = date(2020, 7, 1)
DAY = date(2026, 3, 4)


@pytest.fixture
def opened(cast: Cast) -> Cast:
    cast.practice_a.records_online_from = OPEN_FROM
    cast.practice_a.save(update_fields=["records_online_from"])
    return cast


def measure(cast: Cast, day: date = DAY, **values: str) -> list[Measurement]:
    codes = {"systolic": SYSTOLIC, "diastolic": DIASTOLIC, "weight": WEIGHT}
    return services.record_measurements(
        patient=cast.patient_a,
        measured_on=day,
        values={codes[name]: Decimal(value) for name, value in values.items()},
        by=cast.poh_a,
    )


def pdf_text(cast: Cast) -> str:
    response = verified_client(cast.patient_user_a).get(reverse("dossier:my_record_pdf"))
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(response.content)).pages)


def test_a_blood_pressure_is_one_value_in_the_portal_the_record_and_the_pdf(opened: Cast) -> None:
    measure(opened, systolic="134", diastolic="82", weight="81.5")
    portal = verified_client(opened.patient_user_a).get(reverse("dossier:my_results"))
    staff = verified_client(opened.poh_a).get(
        reverse("dossier:patient_record", args=[opened.patient_a.public_id])
    )
    for page in (portal.content.decode(), staff.content.decode(), pdf_text(opened)):
        assert "Bloeddruk" in page and "134/82 mmHg" in page
        assert "Bovendruk" not in page.replace("Bovendruk (mmHg)", "")  # the form's label
        assert "81,5 kg" in page and "81.5" not in page
        assert "4 mrt 2026" in page and not re.search(r"\bMar\b", page)


def test_two_readings_on_one_day_are_two_pairs_and_a_lone_half_stands_alone(cast: Cast) -> None:
    first = measure(cast, systolic="150", diastolic="95")
    second = measure(cast, systolic="138", diastolic="84", weight="70")
    lone = Measurement.objects.create(
        practice=cast.practice_a,
        patient=cast.patient_a,
        test=first[1].test,
        value=Decimal("80"),
        measured_on=date(2026, 3, 1),
        created_by=cast.poh_a,
    )
    rows = list(Measurement.objects.select_related("test").order_by("-measured_on", "-id"))
    with translation.override("nl"):
        lines = [(line.name, line.value, line.unit) for line in selectors.measurement_lines(rows)]
    assert lines == [
        ("Gewicht", "70", "kg"),
        ("Bloeddruk", "138/84", "mmHg"),
        ("Bloeddruk", "150/95", "mmHg"),
        ("Onderdruk (diastolisch)", "80", "mmHg"),
    ]
    assert second and lone


def test_shielding_a_blood_pressure_shields_both_halves(opened: Cast) -> None:
    systolic, diastolic = measure(opened, systolic="134", diastolic="82")
    client = verified_client(opened.gp_a)
    record = client.get(
        reverse("dossier:patient_record", args=[opened.patient_a.public_id])
    ).content.decode()
    assert f'name="ook" value="{diastolic.public_id}"' in record
    client.post(
        reverse("dossier:shield", args=["meting", systolic.public_id]),
        {"afschermen": "ja", "ook": str(diastolic.public_id)},
    )
    assert Measurement.objects.filter(shielded=True).count() == 2
    entry = AuditEntry.objects.filter(object_kind="measurement", action="change").latest("id")
    assert sorted(entry.object_ids) == sorted([str(systolic.public_id), str(diastolic.public_id)])
    page = verified_client(opened.patient_user_a).get(reverse("dossier:my_results"))
    assert "mmHg" not in page.content.decode()


def test_another_patients_row_cannot_ride_along_with_a_shield(opened: Cast) -> None:
    mine = measure(opened, weight="80")[0]
    theirs = services.record_measurements(
        patient=opened.other_patient_a,
        measured_on=DAY,
        values={WEIGHT: Decimal(90)},
        by=opened.poh_a,
    )[0]
    response = verified_client(opened.gp_a).post(
        reverse("dossier:shield", args=["meting", mine.public_id]),
        {"afschermen": "ja", "ook": str(theirs.public_id)},
    )
    assert response.status_code == 403
    assert not Measurement.objects.filter(shielded=True).exists()
    bad = verified_client(opened.gp_a).post(
        reverse("dossier:shield", args=["meting", mine.public_id]),
        {"afschermen": "ja", "ook": "geen-id"},
    )
    assert bad.status_code == 404


def test_the_pdf_shows_lab_values_with_a_decimal_comma_and_short_dutch_dates(
    opened: Cast,
) -> None:
    from spreekuur.results.services import review_result

    raw = oru(opened.patient_a, SampleResult("542", "2.60", "mmol/l", "<3.0"))
    for message in receive(opened, raw).messages:
        for result in LabResult.objects.filter(message=message):
            review_result(result=result, comment="Goed.", release=True, by=opened.gp_a)
    services.record_episode(
        patient=opened.patient_a,
        icpc_code="K86",
        title="Hoge bloeddruk",
        started_on=DAY,
        by=opened.gp_a,
    )
    text = pdf_text(opened)
    assert "2,60 mmol/l" in text and "< 3" in text and "2.60" not in text
    assert "4 mrt 2026" in text  # the episode's start, in a table column


def test_the_staff_record_uses_the_same_dutch_dates(opened: Cast) -> None:
    services.record_episode(
        patient=opened.patient_a,
        icpc_code="K86",
        title="Hoge bloeddruk",
        started_on=DAY,
        by=opened.gp_a,
    )
    page = (
        verified_client(opened.gp_a)
        .get(reverse("dossier:patient_record", args=[opened.patient_a.public_id]))
        .content.decode()
    )
    assert "sinds 4 mrt 2026" in page and "4-3-2026" not in page
