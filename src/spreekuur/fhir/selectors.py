"""Reads of apps and connections, scoped to the practice and the person."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from django.db.models import Q, QuerySet
from django.utils import timezone

from spreekuur.accounts.models import User
from spreekuur.core.exceptions import OutOfReach
from spreekuur.core.models import Practice
from spreekuur.fhir.models import Connection, FhirApp
from spreekuur.patients.models import Patient, Representation


def apps_of(practice: Practice) -> QuerySet[FhirApp]:
    return FhirApp.objects.filter(practice=practice).select_related("application")


def get_app_for(practice: Practice, public_id: UUID | str, *, by: User) -> FhirApp:
    app = apps_of(practice).filter(public_id=public_id).first()
    if app is None:
        raise OutOfReach(actor=by, object_kind="fhir_app", object_ids=[public_id])
    return app


def open_connection_counts(practice: Practice) -> dict[int, int]:
    """Per app, how many patients have it connected now."""
    from django.db.models import Count

    rows = (
        Connection.objects.filter(practice=practice, revoked_at__isnull=True)
        .values("app_id")
        .annotate(n=Count("id"))
    )
    return {row["app_id"]: row["n"] for row in rows}


def _reachable_patients(user: User) -> Q:
    """Connections about the user themself, or about someone they act for today."""
    today = timezone.localdate()
    acting_for = [
        representation.patient_id
        for representation in Representation.objects.filter(
            representative=user, revoked_at__isnull=True
        ).select_related("patient")
        if representation.allows(today)
    ]
    return Q(patient__user=user) | Q(patient_id__in=acting_for)


def connections_of(user: User) -> QuerySet[Connection]:
    """The apps connected for this person and those they act for (the portal's list):
    open ones, and those ended in the last year."""
    year_ago = timezone.now() - timedelta(days=365)
    return (
        Connection.objects.filter(_reachable_patients(user))
        .filter(Q(revoked_at__isnull=True) | Q(revoked_at__gte=year_ago))
        .select_related("app", "patient", "user", "revoked_by")
        .order_by("revoked_at", "-created_at")
    )


def get_connection_for(user: User, public_id: UUID | str) -> Connection:
    connection = connections_of(user).filter(public_id=public_id).first()
    if connection is None:
        raise OutOfReach(actor=user, object_kind="fhir_connection", object_ids=[public_id])
    return connection


def patient_connections(patient: Patient) -> QuerySet[Connection]:
    return Connection.objects.filter(practice_id=patient.practice_id, patient=patient)
