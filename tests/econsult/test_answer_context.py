"""An answer is signed by whoever wrote it, and staff see the patient's age, current
medication and allergies beside the question (issue 15, defect 12)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from spreekuur.core.models import AuditEntry
from spreekuur.dossier import services as dossier_services
from spreekuur.econsult import services
from spreekuur.econsult.models import Thread
from tests.conftest import Cast, verified_client

pytestmark = pytest.mark.django_db


def _asked(cast: Cast, calm: dict) -> Thread:
    return services.ask_question(
        patient=cast.patient_a,
        category="huid",
        body="Sinds een week een rode plek op mijn arm.",
        triage_answers=calm,
        consent=True,
        by=cast.patient_user_a,
    )


def test_the_patient_sees_who_answered(cast: Cast, calm: dict) -> None:
    thread = _asked(cast, calm)
    services.answer_thread(thread=thread, body="Smeer er twee weken crème op.", by=cast.gp_a)
    page = verified_client(cast.patient_user_a).get(
        reverse("econsult:my_thread", args=[thread.public_id])
    )
    html = page.content.decode()
    # The GP's name is "Dokter A": signed "Dokter A", not "Dokter Dokter A", not "De praktijk".
    assert re.search(r"<h3[^>]*>Dokter A · <time", html), html
    assert not re.search(r"<h3[^>]*>De praktijk", html)


def test_staff_see_age_current_medication_and_allergies_and_the_read_is_logged(
    cast: Cast, calm: dict
) -> None:
    thread = _asked(cast, calm)
    patient = cast.patient_a
    running = dossier_services.record_medication(
        patient=patient,
        name="Amlodipine 5 mg",
        dosage="1 keer per dag",
        started_on=date(2024, 3, 1),
        chronic=True,
        by=cast.gp_a,
    )
    stopped = dossier_services.record_medication(
        patient=patient,
        name="Amoxicilline 500 mg",
        dosage="3 keer per dag",
        started_on=date(2025, 1, 1),
        chronic=False,
        by=cast.gp_a,
    )
    dossier_services.stop_medication(
        medication=stopped, ended_on=timezone.localdate() - timedelta(days=30), by=cast.gp_a
    )
    dossier_services.record_allergy(
        patient=patient, substance="Penicilline", kind="allergie", by=cast.gp_a
    )
    page = verified_client(cast.gp_a).get(reverse("econsult:staff_thread", args=[thread.public_id]))
    html = page.content.decode()
    age = patient.age_on(timezone.localdate())
    assert f"{age} jaar" in html
    assert "Amlodipine 5 mg, 1 keer per dag" in html
    assert "Amoxicilline" not in html
    assert "Penicilline" in html
    logged = AuditEntry.objects.filter(
        actor=cast.gp_a, object_kind="record", detail="huidige medicatie"
    ).get()
    assert str(running.public_id) in logged.object_ids
    assert logged.patient_id == patient.pk
