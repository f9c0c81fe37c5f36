"""Who may do what with apps and the API (plain functions for services, views and templates)."""

from __future__ import annotations

from spreekuur.accounts.capabilities import uses_portal
from spreekuur.accounts.models import User
from spreekuur.accounts.selectors import role_of
from spreekuur.core.roles import StaffRole


def can_manage_apps(user: User | None) -> bool:
    """Registering apps and practice systems, their scopes and secrets: the manager."""
    return role_of(user) == StaffRole.PRAKTIJKMANAGER


def can_connect_apps(user: User | None) -> bool:
    """A patient, or a parent or gemachtigde for the patient they act for."""
    return uses_portal(user)
