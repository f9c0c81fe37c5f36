"""Named permissions, one plain function each; services and templates use the same ones."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from spreekuur.accounts.models import User
from spreekuur.accounts.selectors import GEMACHTIGDE, PATIENT, practice_of, role_of
from spreekuur.core.models import Practice
from spreekuur.core.roles import StaffRole

CLINICAL_AND_DESK = {StaffRole.HUISARTS, StaffRole.ASSISTENT, StaffRole.POH}


def acting_user(request: HttpRequest, capability: Callable[[User], bool]) -> User:
    """The logged-in user if they have this capability; 403 otherwise (for views)."""
    user = request.user
    if not isinstance(user, User) or not capability(user):
        raise PermissionDenied
    return user


def acting_user_in_practice(
    request: HttpRequest, capability: Callable[[User], bool]
) -> tuple[User, Practice]:
    """The logged-in user with this capability and the practice they work in; 403 otherwise."""
    user = acting_user(request, capability)
    practice = practice_of(user)
    if practice is None:
        raise PermissionDenied
    return user, practice


def can_manage_staff(user: User | None) -> bool:
    return role_of(user) == StaffRole.PRAKTIJKMANAGER


def can_confirm_clinical_roles(user: User | None) -> bool:
    """Only a GP in force grants access to patient records (four eyes: the manager asks)."""
    return role_of(user) == StaffRole.HUISARTS


def can_manage_practice_page(user: User | None) -> bool:
    return role_of(user) == StaffRole.PRAKTIJKMANAGER


def can_search_audit_log(user: User | None) -> bool:
    return role_of(user) == StaffRole.PRAKTIJKMANAGER


def can_view_patient_list(user: User | None) -> bool:
    """Care and desk staff. The manager has no patient work (need to know): they see
    patients only as names in the audit log they supervise."""
    return role_of(user) in CLINICAL_AND_DESK


def can_issue_portal_activation(user: User | None) -> bool:
    return role_of(user) in CLINICAL_AND_DESK


def is_portal_user(user: User | None) -> bool:
    return role_of(user) == PATIENT


def can_record_representation(user: User | None) -> bool:
    """Parents and gemachtigden are recorded by the practice's care and desk staff."""
    return role_of(user) in CLINICAL_AND_DESK


def uses_portal(user: User | None) -> bool:
    """A patient, or someone who may act for a patient (the portal's own pages)."""
    return role_of(user) in (PATIENT, GEMACHTIGDE)


def can_follow_notifications(user: User | None) -> bool:
    """E-mail and SMS that did not leave: the desk and the manager follow them up."""
    return role_of(user) in {StaffRole.ASSISTENT, StaffRole.PRAKTIJKMANAGER}


def can_handle_address_changes(user: User | None) -> bool:
    """The desk checks the addresses patients give in the portal and applies them."""
    return role_of(user) == StaffRole.ASSISTENT
