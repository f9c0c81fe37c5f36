"""Reads of patients, always scoped to the acting user's practice (or the patient self)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from django.core import signing
from django.core.exceptions import ValidationError
from django.db.models import CharField, QuerySet, Value
from django.db.models.functions import Concat
from django.utils.translation import gettext as _

from spreekuur.accounts.models import User
from spreekuur.accounts.selectors import active_membership
from spreekuur.core.exceptions import BusinessRuleError, OutOfReach
from spreekuur.patients.bsn import normalise_bsn
from spreekuur.patients.models import (
    EMAIL_CHANGE_VALID_HOURS,
    AddressChange,
    EmailChange,
    Patient,
    PortalActivation,
    Representation,
)


def patient_profile(user: User | None) -> Patient | None:
    """The patient this user is, or None (staff, a gemachtigde, anonymous)."""
    if user is None or not user.is_authenticated:
        return None
    try:
        return user.patient_profile
    except Patient.DoesNotExist:
        return None


def patients_for_staff(*, by: User) -> QuerySet[Patient]:
    membership = active_membership(by)
    if membership is None:
        return Patient.objects.none()
    return Patient.objects.filter(practice_id=membership.practice_id).select_related("gp")


def get_patient_for(user: User, public_id: UUID | str) -> Patient:
    """The patient with this public id if the user may see them, else 404 (a refused
    attempt, OutOfReach).

    Staff reach the patients of their own practice; a patient reaches only themself.
    """
    membership = active_membership(user)
    if membership is not None:
        queryset = Patient.objects.filter(practice_id=membership.practice_id)
    else:
        own = patient_profile(user)
        queryset = Patient.objects.filter(pk=own.pk) if own is not None else Patient.objects.none()
    try:
        return queryset.select_related("practice", "gp", "user").get(public_id=public_id)
    except (Patient.DoesNotExist, ValueError, ValidationError) as exc:
        # NEN 7513 wants refused attempts logged too: the requested id, nothing more.
        raise OutOfReach(
            actor=user, object_kind="patient_record", object_ids=[public_id], detail="buiten bereik"
        ) from exc


def search_patients(*, by: User, query: str, born_on: date | None = None) -> QuerySet[Patient]:
    """Search as the phone is answered: an exact BSN, or any name in any order
    ("Kate van der Heijden", "van der Heijden", "heijden, kate", "'t Erve"), optionally
    narrowed by date of birth. Every typed word must occur in the full name."""
    queryset = patients_for_staff(by=by)
    query = query.strip()
    bsn = normalise_bsn(query)
    if bsn.isdigit() and len(bsn) == 9:
        queryset = queryset.filter(bsn=bsn)
    elif query:
        queryset = queryset.annotate(
            full_name=Concat(
                "given_name",
                Value(" "),
                "name_prefix",
                Value(" "),
                "family_name",
                output_field=CharField(),
            )
        )
        for word in query.replace(",", " ").split()[:5]:
            queryset = queryset.filter(full_name__icontains=word)
    if born_on is not None:
        queryset = queryset.filter(date_of_birth=born_on)
    return queryset


def usable_activation(public_id: str | None) -> PortalActivation | None:
    """An activation that may still open an account (step 2 of activating the portal)."""
    if not public_id:
        return None
    try:
        return (
            PortalActivation.objects.usable()
            .select_related("patient")
            .filter(public_id=public_id)
            .first()
        )
    except (ValueError, ValidationError):
        return None


def latest_open_activation(patient: Patient) -> PortalActivation | None:
    return PortalActivation.objects.open().filter(patient=patient).order_by("-issued_at").first()


def open_activations(*, by: User) -> QuerySet[PortalActivation]:
    membership = active_membership(by)
    if membership is None:
        return PortalActivation.objects.none()
    return PortalActivation.objects.open().filter(practice_id=membership.practice_id)


def representations_for_staff(patient: Patient) -> list[Representation]:
    """Everyone recorded for this patient, revoked ones too (for the history)."""
    return list(
        Representation.objects.filter(practice_id=patient.practice_id, patient=patient)
        .select_related("representative", "recorded_by", "revoked_by")
        .order_by("revoked_at", "-recorded_at")
    )


def get_representation_for(user: User, patient: Patient, public_id: str) -> Representation:
    """A representation of this patient (already in the user's practice), or 404 (a
    refused attempt)."""
    try:
        return Representation.objects.select_related("patient__practice").get(
            practice_id=patient.practice_id, patient=patient, public_id=public_id
        )
    except (Representation.DoesNotExist, ValidationError, ValueError):
        raise OutOfReach(actor=user, object_kind="representation", object_ids=[public_id]) from None


def address_changes_to_handle(*, by: User) -> QuerySet[AddressChange]:
    """The changes of address the desk of the user's practice has yet to handle, oldest first."""
    membership = active_membership(by)
    if membership is None:
        return AddressChange.objects.none()
    return (
        AddressChange.objects.open()
        .filter(practice_id=membership.practice_id)
        .select_related("patient", "practice")
        .order_by("requested_at", "id")
    )


def get_address_change_for(user: User, public_id: UUID | str) -> AddressChange:
    """A change of address in the user's own practice (any status), or 404 (a refused
    attempt, OutOfReach)."""
    membership = active_membership(user)
    try:
        if membership is None:
            raise AddressChange.DoesNotExist
        return AddressChange.objects.select_related(
            "patient__practice", "practice", "requested_by", "decided_by"
        ).get(practice_id=membership.practice_id, public_id=public_id)
    except (AddressChange.DoesNotExist, ValueError, ValidationError) as exc:
        raise OutOfReach(
            actor=user, object_kind="personal_data", object_ids=[public_id], detail="buiten bereik"
        ) from exc


def latest_address_change(patient: Patient) -> AddressChange | None:
    """The patient's most recent change of address (open, or how the desk decided)."""
    return (
        AddressChange.objects.filter(practice_id=patient.practice_id, patient=patient)
        .order_by("-requested_at", "-id")
        .first()
    )


def open_address_change(patient: Patient) -> AddressChange | None:
    """The new address this patient gave that the desk has not handled yet."""
    return (
        AddressChange.objects.open()
        .filter(practice_id=patient.practice_id, patient=patient)
        .first()
    )


def pending_email_change(user: User) -> EmailChange | None:
    """A new login address that waits for the link mailed to it."""
    return EmailChange.objects.open().filter(user=user).first()


EMAIL_CHANGE_SALT = "spreekuur.patients.email-change"


def email_change_for_token(*, token: str, by: User) -> EmailChange:
    """The open change a confirmation link belongs to, for the logged-in patient who asked
    for it; BusinessRuleError (one message) for an old, used, replaced or someone else's
    link. The link holds the change's random id only, never the address."""
    failure = BusinessRuleError(
        _("Deze link werkt niet meer. Vraag opnieuw een nieuw e-mailadres aan.")
    )
    try:
        data = signing.loads(token, salt=EMAIL_CHANGE_SALT, max_age=EMAIL_CHANGE_VALID_HOURS * 3600)
    except signing.BadSignature:
        raise failure from None
    try:
        change = (
            EmailChange.objects.open()
            .select_related("patient__practice", "user")
            .filter(public_id=str(data.get("change", "")), user=by)
            .first()
            if isinstance(data, dict)
            else None
        )
    except (ValueError, ValidationError):
        change = None
    if change is None:
        raise failure
    return change
