"""Who may do what in triage (plain functions for services, views and templates)."""

from __future__ import annotations

from spreekuur.accounts.models import User
from spreekuur.accounts.selectors import role_of
from spreekuur.core.roles import StaffRole


def can_manage_triage(user: User | None) -> bool:
    """The practice's own red flags (and, later, its complaint flows): no patient data."""
    return role_of(user) == StaffRole.PRAKTIJKMANAGER
