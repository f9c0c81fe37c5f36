"""Who a user is in Spreekuur: role, practice, and the staff list of a practice."""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import QuerySet
from django.http import Http404
from django_otp.plugins.otp_totp.models import TOTPDevice

from spreekuur.accounts.models import Membership, User
from spreekuur.core.models import Practice
from spreekuur.core.roles import StaffRole

PATIENT = "patient"
GEMACHTIGDE = "gemachtigde"  # acts for a patient (parent or authorised), has no record here
ANONYMOUS = "anoniem"
NO_ROLE = "geen"


def any_membership(user: User | None) -> Membership | None:
    """The user's membership in whatever state (inactive, awaiting its first role)."""
    if user is None or not user.is_authenticated:
        return None
    try:
        return user.membership
    except Membership.DoesNotExist:
        return None


def active_membership(user: User | None) -> Membership | None:
    """The membership that gives access: active, with a role in force. A new account whose
    clinical role still waits for a GP's confirmation is no place in the practice yet."""
    membership = any_membership(user)
    if membership is None or not membership.active or not membership.role:
        return None
    return membership


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


def account_practice(user: User | None) -> Practice | None:
    """Where the user's account mail and login entries belong: their practice, also while a
    new staff account has no role in force yet (so the practice sees its mail and log)."""
    practice = practice_of(user)
    if practice is None:
        membership = any_membership(user)
        if membership is not None:
            practice = membership.practice
    return practice


def role_requests_of(practice: Practice) -> QuerySet[Membership]:
    """The practice's active members whose clinical role waits for a GP, oldest first."""
    return (
        Membership.objects.filter(practice=practice, active=True)
        .exclude(requested_role="")
        .select_related("user", "requested_by")
        .order_by("requested_at", "pk")
    )


def get_role_request_for(user: User, public_id: object) -> Membership:
    """A waiting role request in the user's own practice, or 404."""
    from django.shortcuts import get_object_or_404

    practice = practice_of(user)
    if practice is None:
        raise Http404
    return get_object_or_404(role_requests_of(practice), public_id=public_id)


def gps_of(practice: Practice) -> QuerySet[Membership]:
    """The practice's GPs in force (active, role confirmed): who confirms clinical roles."""
    return Membership.objects.filter(
        practice=practice, role=StaffRole.HUISARTS, active=True, user__is_active=True
    ).select_related("user")


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
