"""Who a user is in Spreekuur: role, practice, and the staff list of a practice."""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import QuerySet
from django_otp.plugins.otp_totp.models import TOTPDevice

from spreekuur.accounts.models import Membership, User
from spreekuur.core.models import Practice

PATIENT = "patient"
GEMACHTIGDE = "gemachtigde"  # acts for a patient (parent or authorised), has no record here
ANONYMOUS = "anoniem"
NO_ROLE = "geen"


def active_membership(user: User | None) -> Membership | None:
    if user is None or not user.is_authenticated:
        return None
    try:
        membership = user.membership
    except Membership.DoesNotExist:
        return None
    return membership if membership.active else None


def own_patient_practice(user: User | None) -> Practice | None:
    """The practice where this user is a patient, if they are one. Read through the
    reverse relation of patients.Patient, so accounts need not import the floor above;
    patients.selectors.patient_profile gives the patient itself."""
    if user is None or not user.is_authenticated:
        return None
    try:
        patient = user.patient_profile
    except ObjectDoesNotExist:
        return None
    practice: Practice = patient.practice
    return practice


def second_factor_done(user: object) -> bool:
    """True once django-otp's middleware has seen a verified device in this session."""
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified()) if callable(is_verified) else False


def role_of(user: User | None) -> str:
    if user is None or not user.is_authenticated:
        return ANONYMOUS
    membership = active_membership(user)
    if membership is not None:
        return membership.role
    if own_patient_practice(user) is not None:
        return PATIENT
    if user.representations.filter(revoked_at__isnull=True).exists():
        return GEMACHTIGDE
    return NO_ROLE


def practice_of(user: User | None) -> Practice | None:
    membership = active_membership(user)
    if membership is not None:
        return membership.practice
    return own_patient_practice(user)


def is_staff_member(user: User | None) -> bool:
    return active_membership(user) is not None


def staff_of(practice: Practice) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(practice=practice)
        .select_related("user")
        .order_by("-active", "user__full_name")
    )


def get_membership_for(user: User, public_id: object) -> Membership:
    """A staff membership of the acting manager's own practice, or 404."""
    from django.shortcuts import get_object_or_404

    practice = practice_of(user)
    return get_object_or_404(
        Membership.objects.select_related("user"), public_id=public_id, practice=practice
    )


def unconfirmed_totp_device(user: User, device_id: object) -> TOTPDevice | None:
    """The app this user started to link (its id kept in their session), while still
    unconfirmed; None for no id, another user's device or one already confirmed."""
    if not isinstance(device_id, int):
        return None
    return TOTPDevice.objects.filter(pk=device_id, user=user, confirmed=False).first()


def staff_roles(practice_id: int, user_ids: set[int]) -> dict[int, str]:
    """Each of these users' role in the practice (one query), to sign their messages."""
    return dict(
        Membership.objects.filter(practice_id=practice_id, user_id__in=user_ids).values_list(
            "user_id", "role"
        )
    )
