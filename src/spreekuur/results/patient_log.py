"""What a patient's own access log must not tell about results (core.registry
PatientLogScreen): a result the GP has not released, and a lab message none of whose
results is released, are not named there until the patient can see one."""

from __future__ import annotations

from django.db.models import QuerySet

from spreekuur.core.registry import PatientLogScreen
from spreekuur.patients.models import Patient
from spreekuur.results.models import LabMessage, LabResult


def unreleased_results(patient: Patient) -> QuerySet[LabResult]:
    """Still with the GP, or reviewed to stay off the portal ("niet online")."""
    return LabResult.objects.filter(
        practice_id=patient.practice_id, patient=patient, released=False
    )


def messages_not_released(patient: Patient) -> QuerySet[LabMessage]:
    """Lab messages of the patient without a released result: the message alone would
    tell that a lab report came in."""
    return LabMessage.objects.filter(practice_id=patient.practice_id, patient=patient).exclude(
        results__released=True
    )


SCREENS = (
    PatientLogScreen("labresult", hidden_objects=unreleased_results),
    PatientLogScreen("labmessage", hidden_objects=messages_not_released),
)
