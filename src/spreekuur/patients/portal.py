"""Whose portal is this request about: the logged-in patient themself, or the patient they
chose to act for ("namens"), as a parent or gemachtigde the practice recorded.

The choice lives in the session and is checked again on every request against the rules
of the day (a birthday, an end date, a revocation, the child's consent), so access stops
the day it should. Every portal page that shows patient data takes its patient from here
(portal_subject), and every service that acts for a patient asks portal_capacity; both
find the one open representation and ask it the one capacity check,
Representation.refusal (the WGBO rules, in models.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from spreekuur.accounts.capabilities import acting_user, uses_portal
from spreekuur.accounts.models import User
from spreekuur.core.audit import record_denied
from spreekuur.core.exceptions import ChooseFirst
from spreekuur.patients.models import Patient, Representation
from spreekuur.patients.selectors import patient_profile

SESSION_KEY = "spreekuur_namens"
SESSION_NAME = "spreekuur_namens_naam"  # for the banner, without a query on every page
SESSION_REPRESENTS = "spreekuur_vertegenwoordiger"  # for the menu


@dataclass(frozen=True)
class PortalSubject:
    user: User
    patient: Patient
    representation: Representation | None = None

    @property
    def for_someone_else(self) -> bool:
        return self.representation is not None

    def audit(self) -> dict[str, Any]:
        """What an access-log entry adds when someone acts for the patient: their role
        (parent or gemachtigde) beside their own name."""
        if self.representation is None:
            return {}
        return {"actor_role": self.representation.kind, "detail": "namens de patiënt"}


def representations_of(user: User) -> list[Representation]:
    """Everyone this person was recorded to act for, valid today or not (with the reason)."""
    return list(
        Representation.objects.filter(representative=user, revoked_at__isnull=True)
        .select_related("patient__practice")
        .order_by("patient__given_name", "id")
    )


def choose(
    request: HttpRequest, user: User, patient_public_id: str | None
) -> Representation | None:
    """Act for this patient from now on (None: for oneself again)."""
    if patient_public_id is None:
        request.session.pop(SESSION_KEY, None)
        request.session.pop(SESSION_NAME, None)
        return None
    representation = _valid(user, patient_public_id)
    request.session[SESSION_KEY] = str(representation.patient.public_id)
    request.session[SESSION_NAME] = representation.patient.given_name
    return representation


def _open_representation(user: User, **patient: object) -> Representation | None:
    """This person's open representation of one patient (at most one: a unique
    constraint), valid today or not; the caller asks it `allows`."""
    return (
        Representation.objects.filter(representative=user, revoked_at__isnull=True, **patient)
        .select_related("patient__practice")
        .first()
    )


def _valid(user: User, patient_public_id: str) -> Representation:
    try:
        patient_uuid = UUID(patient_public_id)
    except ValueError:
        patient_uuid = None
    representation = (
        _open_representation(user, patient__public_id=patient_uuid)
        if patient_uuid is not None
        else None
    )
    if representation is None or not representation.allows(timezone.localdate()):
        record_denied(
            actor=user,
            object_kind="representation",
            object_ids=[patient_public_id],
            patient=representation.patient if representation is not None else None,
            detail="namens: niet (meer) toegestaan",
        )
        raise PermissionDenied
    return representation


def portal_subject(request: HttpRequest) -> PortalSubject:
    """The patient this portal request is about; 403 for anyone else."""
    user = acting_user(request, uses_portal)
    chosen = request.session.get(SESSION_KEY)
    if chosen:
        try:
            representation = _valid(user, str(chosen))
        except PermissionDenied:
            # The right ended (a birthday, an end date): back to oneself, refused this once.
            request.session.pop(SESSION_KEY, None)
            request.session.pop(SESSION_NAME, None)
            raise
        return PortalSubject(user, representation.patient, representation)
    patient = patient_profile(user)
    if patient is None:
        if Representation.objects.filter(representative=user, revoked_at__isnull=True).exists():
            # A gemachtigde without a record of their own who has not chosen anyone yet.
            raise ChooseFirst(
                reverse("patients:acting_for"),
                _("Kies eerst voor wie u het portaal wilt gebruiken."),
            )
        raise PermissionDenied
    return PortalSubject(user, patient)


def portal_capacity(by: User, patient: Patient) -> str | None:
    """For services: None when `by` is the patient themself, the capacity ("ouder",
    "gemachtigde") when they may act for the patient today; PermissionDenied otherwise."""
    if patient.user_id is not None and by.pk == patient.user_id:
        return None
    representation = _open_representation(by, patient=patient)
    if representation is not None and representation.allows(timezone.localdate()):
        return representation.kind
    raise PermissionDenied
