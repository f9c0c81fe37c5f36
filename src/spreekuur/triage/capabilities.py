"""Who may do what in triage (plain functions for services, views and templates)."""

from __future__ import annotations

from spreekuur.accounts.models import User
from spreekuur.accounts.selectors import role_of
from spreekuur.core.roles import StaffRole


def can_manage_triage(user: User | None) -> bool:
    """The practice's own red flags (and, later, its complaint flows): no patient data."""
    return role_of(user) == StaffRole.PRAKTIJKMANAGER


def can_edit_flows(user: User | None) -> bool:
    """The practice's own complaint flows and advice texts: the manager, and the GPs who
    answer for the medical content."""
    return role_of(user) in {StaffRole.PRAKTIJKMANAGER, StaffRole.HUISARTS}


def can_view_triage_figures(user: User | None) -> bool:
    return role_of(user) in {StaffRole.PRAKTIJKMANAGER, StaffRole.HUISARTS}
