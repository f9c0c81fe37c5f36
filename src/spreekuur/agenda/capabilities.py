"""Who may do what in the agenda (plain functions for services, views and templates)."""

from __future__ import annotations

from spreekuur.accounts.capabilities import CLINICAL_AND_DESK, is_portal_user
from spreekuur.accounts.models import User
from spreekuur.accounts.selectors import role_of
from spreekuur.core.roles import StaffRole


def can_use_agenda(user: User | None) -> bool:
    """See the practice's agenda with names and reasons, book for patients, mark arrivals."""
    return role_of(user) in CLINICAL_AND_DESK


def can_manage_agenda(user: User | None) -> bool:
    """Schedules, appointment types, release rules, red flags, kiosks: no patient data."""
    return role_of(user) == StaffRole.PRAKTIJKMANAGER


def can_register_kiosk(user: User | None) -> bool:
    return role_of(user) in {StaffRole.PRAKTIJKMANAGER, StaffRole.ASSISTENT}


def can_view_agenda_figures(user: User | None) -> bool:
    return role_of(user) in {StaffRole.PRAKTIJKMANAGER, StaffRole.HUISARTS}


def can_book_online(user: User | None) -> bool:
    return is_portal_user(user)
