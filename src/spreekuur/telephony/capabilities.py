"""Who may do what with the phone line (plain functions for services, views and templates)."""

from __future__ import annotations

from spreekuur.accounts.models import User
from spreekuur.accounts.selectors import role_of
from spreekuur.core.roles import StaffRole


def can_work_callbacks(user: User | None) -> bool:
    """The callback queue names the patients it recognises: the roles with access to
    patient records (need to know), of whom the assistants do the calling."""
    return role_of(user) in {StaffRole.ASSISTENT, StaffRole.HUISARTS, StaffRole.POH}


def can_manage_telephony(user: User | None) -> bool:
    """The phone menu, the platform's link and the call report: no patient data."""
    return role_of(user) == StaffRole.PRAKTIJKMANAGER


def can_view_call_load(user: User | None) -> bool:
    """The heat map of calls per weekday and hour: counts only."""
    return role_of(user) in {StaffRole.PRAKTIJKMANAGER, StaffRole.HUISARTS, StaffRole.ASSISTENT}
