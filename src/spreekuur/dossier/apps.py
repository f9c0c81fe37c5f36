from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from spreekuur.core.registry import (
    Audience,
    Contributions,
    NavEntry,
    PatientFact,
    PatientLogScreen,
    Tile,
)


class DossierConfig(AppConfig):
    name = "spreekuur.dossier"
    label = "dossier"
    verbose_name = "Dossier"

    def patient_log_screens(self) -> Sequence[PatientLogScreen]:
        """What the patient's own access log must not tell (shell collects it)."""
        from spreekuur.dossier.patient_log import SCREENS

        return SCREENS

    def shell_contributions(self) -> Contributions:
        results = _("Uitslagen")
        return Contributions(
            navigation=[
                NavEntry(_("Mijn dossier"), "dossier:my_record", Audience.PATIENT, 20),
                NavEntry(_("Dossier"), "dossier:my_record", Audience.REPRESENTATIVE, 20),
                NavEntry(results, "dossier:my_results", Audience.PATIENT, 30, badge=_new_results),
                NavEntry(results, "dossier:my_results", Audience.REPRESENTATIVE, 30),
            ],
            tiles=[
                Tile(
                    _("Mijn dossier"),
                    _("Uw klachten en ziekten, contacten, medicijnen en allergieën."),
                    "dossier:my_record",
                    Audience.PATIENT,
                    20,
                ),
                Tile(
                    results,
                    _("Uw bloed- en urine-uitslagen met de uitleg van uw huisarts."),
                    "dossier:my_results",
                    Audience.PATIENT,
                    50,
                ),
            ],
            patient_facts=[
                PatientFact(_("Medicatie"), _current_medication, 10),
                PatientFact(_("Allergieën"), _allergies, 20),
            ],
            urls=[("", "spreekuur.dossier.urls")],
        )


def _new_results(request: HttpRequest) -> QuerySet[Any] | int:
    """Results released since the patient last opened this page (the menu's badge)."""
    from spreekuur.patients.selectors import patient_profile
    from spreekuur.results.selectors import new_results

    user = request.user
    patient = patient_profile(user)  # type: ignore[arg-type]
    return new_results(patient, seen_by=user) if patient is not None else 0  # type: ignore[arg-type]


def _current_medication(patient: Any, by: Any) -> list[str]:
    """What the patient uses now, for staff beside their work; the read is logged."""
    from spreekuur.dossier.selectors import current_medication
    from spreekuur.dossier.services import record_read

    rows = current_medication(patient)
    if rows:
        record_read(
            by=by,
            patient=patient,
            object_ids=[str(row.public_id) for row in rows],
            detail="huidige medicatie",
        )
    return [f"{row.name}, {row.dosage}" if row.dosage else row.name for row in rows]


def _allergies(patient: Any, by: Any) -> list[str]:
    from spreekuur.dossier.selectors import allergies_of
    from spreekuur.dossier.services import record_read

    rows = allergies_of(patient)
    if rows:
        record_read(
            by=by,
            patient=patient,
            object_ids=[str(row.public_id) for row in rows],
            detail="allergieën",
        )
    return [f"{row.substance} ({row.get_kind_display()})" for row in rows]
