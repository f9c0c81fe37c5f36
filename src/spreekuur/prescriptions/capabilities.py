"""Who may do what with repeat prescriptions (plain functions for services and templates)."""

from __future__ import annotations

from spreekuur.accounts.capabilities import uses_portal
from spreekuur.accounts.models import User
from spreekuur.accounts.selectors import role_of
from spreekuur.core.roles import StaffRole


def can_request_online(user: User | None) -> bool:
    """A patient, or a parent or gemachtigde acting for one."""
    return uses_portal(user)


def can_take_request(user: User | None) -> bool:
    """A request by phone or at the desk, entered by staff."""
    return role_of(user) in {StaffRole.ASSISTENT, StaffRole.HUISARTS, StaffRole.POH}


def can_filter_requests(user: User | None) -> bool:
    """The assistant's check against the practice's protocol (the GP may do it too)."""
    return role_of(user) in {StaffRole.ASSISTENT, StaffRole.HUISARTS}


def can_approve(user: User | None) -> bool:
    """Only a prescriber: the GP."""
    return role_of(user) == StaffRole.HUISARTS


def can_follow_deliveries(user: User | None) -> bool:
    return role_of(user) in {StaffRole.ASSISTENT, StaffRole.HUISARTS}


def can_manage_repeat_settings(user: User | None) -> bool:
    return role_of(user) == StaffRole.PRAKTIJKMANAGER


def can_view_repeat_figures(user: User | None) -> bool:
    return role_of(user) in {StaffRole.PRAKTIJKMANAGER, StaffRole.HUISARTS}
