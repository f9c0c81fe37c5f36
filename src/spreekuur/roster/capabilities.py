"""Who may do what with the roster (plain functions for services, views and templates)."""

from __future__ import annotations

from spreekuur.accounts.models import User
from spreekuur.accounts.selectors import role_of
from spreekuur.core.roles import StaffRole


def can_view_roster(user: User | None) -> bool:
    """Who works when: every staff member of the practice (no patient data)."""
    return role_of(user) in set(StaffRole.values)


def can_manage_roster(user: User | None) -> bool:
    return role_of(user) == StaffRole.PRAKTIJKMANAGER
