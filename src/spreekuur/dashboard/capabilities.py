"""Who sees which figures (plain functions for services, views and templates)."""

from __future__ import annotations

from spreekuur.accounts.models import User
from spreekuur.accounts.selectors import NO_ROLE, role_of
from spreekuur.core.roles import StaffRole


def can_view_dashboard(user: User | None) -> bool:
    """The practice's management figures: the manager and the GPs (the maatschap)."""
    return role_of(user) in {StaffRole.PRAKTIJKMANAGER, StaffRole.HUISARTS}


def can_manage_tariffs(user: User | None) -> bool:
    return role_of(user) == StaffRole.PRAKTIJKMANAGER


def can_view_region(user: User | None) -> bool:
    """An analyst of a care group: the region's anonymised figures only."""
    if user is None or not user.is_authenticated or role_of(user) != NO_ROLE:
        return False  # a practice's staff member, a patient or a gemachtigde: never
    return hasattr(user, "region_analyst")
