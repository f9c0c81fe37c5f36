"""A practice with pharmacies and a patient with a repeat list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.utils import timezone

from spreekuur.dossier import services as dossier_services
from spreekuur.dossier.models import Medication
from spreekuur.prescriptions.models import Pharmacy, RepeatRequestItem, RepeatSettings
from spreekuur.prescriptions.services import request_repeat
from tests.conftest import Cast


@dataclass
class Repeats:
    cast: Cast
    pharmacy: Pharmacy
    printing: Pharmacy
    metformin: Medication
    simvastatin: Medication
    other_patients: Medication

    def request(self, *medications: Medication, by=None, **extra) -> list[RepeatRequestItem]:
        request = request_repeat(
            patient=(medications or (self.metformin,))[0].patient,
            medication_ids=[m.public_id for m in medications or (self.metformin,)],
            pharmacy=extra.pop("pharmacy", self.pharmacy),
            by=by or self.cast.patient_user_a,
            **extra,
        )
        return list(request.items.order_by("id"))


def repeatable(
    cast: Cast, patient, name: str, *, due_in_days: int | None = 60, gp=None
) -> Medication:
    gp = gp or cast.gp_a
    medication = dossier_services.record_medication(
        patient=patient,
        name=name,
        dosage="1 keer per dag 1 tablet",
        started_on=date(2021, 3, 1),
        chronic=True,
        by=gp,
    )
    due = None if due_in_days is None else timezone.localdate() + timedelta(days=due_in_days)
    if due is not None and due < timezone.localdate():
        dossier_services.set_repeat(
            medication=medication, repeatable=True, quantity="90 tabletten", by=gp
        )
        Medication.objects.filter(pk=medication.pk).update(control_due_on=due)
        medication.refresh_from_db()
        return medication
    return dossier_services.set_repeat(
        medication=medication,
        repeatable=True,
        quantity="90 tabletten",
        control_due_on=due,
        by=gp,
    )


@pytest.fixture
def repeats(cast: Cast) -> Repeats:
    pharmacy = Pharmacy.objects.create(
        practice=cast.practice_a,
        name="Apotheek De Linde",
        city="Lindewijk",
        transport="http",
        endpoint="http://127.0.0.1:9/medicationrequest",
    )
    printing = Pharmacy.objects.create(
        practice=cast.practice_a, name="Apotheek Zonder Koppeling", transport="print"
    )
    return Repeats(
        cast=cast,
        pharmacy=pharmacy,
        printing=printing,
        metformin=repeatable(cast, cast.patient_a, "Metformine 500 mg"),
        simvastatin=repeatable(cast, cast.patient_a, "Simvastatine 40 mg"),
        other_patients=repeatable(cast, cast.other_patient_a, "Amlodipine 5 mg"),
    )


@pytest.fixture
def straight_to_gp(repeats: Repeats) -> Repeats:
    RepeatSettings.objects.create(practice=repeats.cast.practice_a, route="huisarts")
    return repeats
