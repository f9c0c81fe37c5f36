"""Reads of the chronic-care programmes, each scoped to one practice: who is suggested
for a programme (an open episode with one of its ICPC codes, no decision yet), who takes
part, and a patient's own programmes."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet, Subquery

from spreekuur.chroniccare.models import IN_FORCE, Enrolment, EnrolmentStatus
from spreekuur.chroniccare.programmes import programme
from spreekuur.core.models import Practice
from spreekuur.dossier.models import Episode
from spreekuur.patients.models import Patient


def suggested_patients(practice: Practice, code: str) -> QuerySet[Patient]:
    """Patients of the practice with an open episode of the programme (T90: diabetes)
    and no decision about it yet, each with `since`: the start of their earliest such
    episode. Read each time, so a closed episode or a decision takes them off at once."""
    wanted = programme(code)
    episodes = Episode.objects.filter(
        practice_id=practice.pk,
        patient=OuterRef("pk"),
        icpc_code__in=wanted.icpc_codes,
        ended_on__isnull=True,
    )
    decided = Enrolment.objects.filter(
        practice_id=practice.pk, patient=OuterRef("pk"), programme=code, status__in=IN_FORCE
    )
    return (
        Patient.objects.filter(practice=practice)
        .filter(Exists(episodes))
        .exclude(Exists(decided))
        .annotate(since=Subquery(episodes.order_by("started_on").values("started_on")[:1]))
        .order_by("family_name", "given_name", "pk")
    )


def enrolments_in(practice: Practice, code: str) -> QuerySet[Enrolment]:
    """Who takes part in the programme now."""
    return (
        Enrolment.objects.filter(practice=practice, programme=code, status=EnrolmentStatus.ACTIVE)
        .select_related("patient", "main_practitioner__user")
        .order_by("patient__family_name", "patient__given_name", "pk")
    )


def enrolments_of(patient: Patient) -> QuerySet[Enrolment]:
    """Every decision about this patient, newest first (for the record and the portal)."""
    return (
        Enrolment.objects.filter(practice_id=patient.practice_id, patient=patient)
        .select_related("main_practitioner__user")
        .order_by("-started_on", "-pk")
    )
