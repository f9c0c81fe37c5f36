"""The demo's chronic-care programmes (demo/chroniccare.py): every programme has
participants with two years of controls, the due list has work, the demo patient takes
part in the diabetes programme and sees it in the portal."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from django.utils import timezone

from spreekuur.accounts.models import User
from spreekuur.chroniccare.models import (
    Control,
    ControlKind,
    Enrolment,
    EnrolmentStatus,
    Goal,
    GoalStatus,
    InvitationChannel,
)
from spreekuur.chroniccare.programmes import programmes
from spreekuur.chroniccare.selectors import (
    due_list,
    due_rows,
    open_invitations_of,
    suggested_patients,
)
from spreekuur.core.models import Practice
from spreekuur.demo import generator
from spreekuur.dossier.models import (
    DIASTOLIC,
    MEASUREMENT_LIMITS,
    SYSTOLIC,
    Episode,
    Measurement,
    MeasurementSource,
)
from spreekuur.patients.models import Patient
from spreekuur.results.models import LabResult
from tests.conftest import verified_client


def test_every_programme_has_participants_with_two_years_of_controls(db: None) -> None:
    generator.load(demo_patients=600)
    practice = Practice.objects.get(slug=generator.DEMO_SLUG)
    today = timezone.localdate()
    active = Enrolment.objects.filter(practice=practice, status=EnrolmentStatus.ACTIVE)
    taking_part = Counter(active.values_list("programme", flat=True))
    assert set(taking_part) == set(programmes()), taking_part
    # Each from an open episode of the programme (heart failure added by the demo).
    for enrolment in active.select_related("patient"):
        codes = programmes()[enrolment.programme].icpc_codes
        assert Episode.objects.filter(
            patient=enrolment.patient, icpc_code__in=codes, ended_on__isnull=True
        ).exists()
    # Quarterly for diabetes, yearly (a check-up each time) for COPD.
    diabetes = Control.objects.filter(enrolment__programme="diabetes")
    assert diabetes.filter(held_on__lte=today - timedelta(days=600)).exists()
    assert set(diabetes.values_list("kind", flat=True)) == {
        ControlKind.CONTROL,
        ControlKind.CHECKUP,
    }
    assert set(
        Control.objects.filter(enrolment__programme="copd").values_list("kind", flat=True)
    ) == {ControlKind.CHECKUP}
    assert Control.objects.exclude(advice="").exists()
    assert not Control.objects.filter(held_on__gt=today).exists()
    # The POH and the GPs are main practitioners; some patients decided not to take part.
    roles = set(active.values_list("main_practitioner__role", flat=True))
    assert roles == {"poh", "huisarts"}
    declined = Enrolment.objects.filter(practice=practice, status=EnrolmentStatus.DECLINED)
    assert declined.exists() and "" not in set(declined.values_list("end_reason", flat=True))
    assert suggested_patients(practice, "diabetes").exists()
    # Goals: some reached or stopped.
    statuses = set(Goal.objects.filter(practice=practice).values_list("status", flat=True))
    assert statuses == {GoalStatus.ACTIVE, GoalStatus.REACHED, GoalStatus.STOPPED}
    # The values are ones a body can have, and a blood pressure is one reading of two rows.
    for code, (low, high) in MEASUREMENT_LIMITS.items():
        assert not Measurement.objects.filter(test__nhg_code=code, value__lt=low).exists()
        assert not Measurement.objects.filter(test__nhg_code=code, value__gt=high).exists()
    diastolic = (
        Measurement.objects.filter(test__nhg_code=DIASTOLIC)
        .exclude(patient__user__email=generator.DEMO_PATIENT_EMAIL)  # demo/dossier.py's own
        .select_related("pair__test")
    )
    assert diastolic.exists()
    for row in diastolic:
        assert row.pair is not None and row.pair.test.nhg_code == SYSTOLIC
        assert row.pair.measured_on == row.measured_on and row.pair.value > row.value
    # The due list has work: overdue, due soon, never seen, some invited by letter.
    due = due_rows(due_list(practice, today=today), today=today)
    assert any(d.overdue_on(today) and d.last_on is not None for d in due)
    assert any(d.due_on >= today for d in due)
    assert any(d.invited_at is not None for d in due)


def test_the_demo_patient_takes_part_in_the_diabetes_programme(db: None) -> None:
    generator.load(demo_patients=600)
    today = timezone.localdate()
    patient = Patient.objects.get(user__email=generator.DEMO_PATIENT_EMAIL)
    enrolment = Enrolment.objects.get(
        patient=patient, programme="diabetes", status=EnrolmentStatus.ACTIVE
    )
    assert Episode.objects.filter(patient=patient, icpc_code="T90").count() == 1
    held = sorted(Control.objects.filter(enrolment=enrolment).values_list("held_on", flat=True))
    assert held[0] <= today - timedelta(days=600) and held[-1] >= today - timedelta(days=120)
    assert Goal.objects.filter(enrolment=enrolment, status=GoalStatus.ACTIVE).count() == 2
    [invitation] = open_invitations_of(patient)
    assert invitation.channel == InvitationChannel.PORTAL
    assert invitation.appointment_type is not None
    assert invitation.appointment_type.name == "POH-controle"
    assert Measurement.objects.filter(patient=patient, source=MeasurementSource.PATIENT).exists()
    hba1c = LabResult.objects.filter(patient=patient, test__nhg_code="2816", released=True)
    assert hba1c.count() >= 3 and "" not in set(hba1c.values_list("comment", flat=True))

    # The pages: the portal's start page and programme page, the POH's lists and consult.
    portal = verified_client(User.objects.get(email=generator.DEMO_PATIENT_EMAIL))
    start = portal.get("/start/")
    assert start.status_code == 200 and "Uitnodiging" in start.content.decode()
    mine = portal.get("/mijn-zorgprogramma/")
    assert mine.status_code == 200
    page = mine.content.decode()
    assert "Diabetes mellitus type 2" in page and "Drie keer per week" in page
    poh = verified_client(User.objects.get(email="poh@de-linde.example"))
    for url in [
        "/ketenzorg/",
        "/ketenzorg/oproepen/",
        "/ketenzorg/programma/hartfalen/",
        "/ketenzorg/programma/diabetes/?lijst=voorgesteld",
        f"/ketenzorg/deelname/{enrolment.public_id}/",
    ]:
        response = poh.get(url)
        assert response.status_code == 200, url
