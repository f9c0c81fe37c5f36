"""What a patient's own access log must not tell about e-consults (core.registry
PatientLogScreen): that a colleague wrote an internal note (the entry reads as a look
at the e-consult), or looked at a photo of one."""

from __future__ import annotations

from django.db.models import QuerySet

from spreekuur.core.registry import PatientLogScreen
from spreekuur.econsult.models import Photo
from spreekuur.patients.models import Patient

# The detail services.add_internal_note writes.
INTERNAL_NOTE = "interne notitie"


def photos_of_internal_notes(patient: Patient) -> QuerySet[Photo]:
    return Photo.objects.filter(
        practice_id=patient.practice_id,
        message__thread__patient=patient,
        message__internal=True,
    )


SCREENS = (
    PatientLogScreen("econsult", staff_only_details=frozenset({INTERNAL_NOTE})),
    PatientLogScreen("econsult_photo", hidden_objects=photos_of_internal_notes),
)
