"""Who may do what in the chronic-care programmes (plain functions for services, views
and templates alike)."""

from __future__ import annotations

from spreekuur.accounts.models import User
from spreekuur.accounts.selectors import role_of
from spreekuur.core.roles import StaffRole


def can_work_in_programmes(user: User | None) -> bool:
    """Enrol, record controls, set goals: the POH and the GP of the practice."""
    return role_of(user) in (StaffRole.POH, StaffRole.HUISARTS)


def can_see_due_lists(user: User | None) -> bool:
    """Who is due for a control: also the assistants, who invite them."""
    return role_of(user) in (StaffRole.POH, StaffRole.HUISARTS, StaffRole.ASSISTENT)


def can_see_indicators(user: User | None) -> bool:
    """The practice's own quality figures and their export for the care group: the GPs,
    the POH and the practice manager (counts only, no patient)."""
    return role_of(user) in (StaffRole.POH, StaffRole.HUISARTS, StaffRole.PRAKTIJKMANAGER)
