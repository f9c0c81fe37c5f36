"""What a patient's own access log must not tell about the record (core.registry
PatientLogScreen): a shielded row, or a journal line of a shielded episode, is not
named there while the shield holds."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Q, QuerySet

from spreekuur.core.registry import PatientLogScreen
from spreekuur.dossier.models import (
    Allergy,
    ClinicalRow,
    Episode,
    JournalEntry,
    Measurement,
    Medication,
)
from spreekuur.patients.models import Patient


def _shielded(model: type[ClinicalRow]) -> Callable[[Patient], QuerySet[ClinicalRow]]:
    def hidden(patient: Patient) -> QuerySet[ClinicalRow]:
        return model._default_manager.filter(
            practice_id=patient.practice_id, patient=patient, shielded=True
        )

    return hidden


def shielded_journal(patient: Patient) -> QuerySet[JournalEntry]:
    """A line is hidden by its own shield or by its episode's (as the portal hides it)."""
    return JournalEntry.objects.filter(practice_id=patient.practice_id, patient=patient).filter(
        Q(shielded=True) | Q(episode__shielded=True)
    )


# Entries name a row by its model's name (dossier.services: type(row).__name__.lower()).
SCREENS = (
    *(
        PatientLogScreen(model.__name__.lower(), hidden_objects=_shielded(model))
        for model in (Episode, Medication, Allergy, Measurement)
    ),
    PatientLogScreen("journalentry", hidden_objects=shielded_journal),
)
