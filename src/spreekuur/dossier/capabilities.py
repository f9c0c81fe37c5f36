"""Who may read and write the record (plain functions for services, views and templates)."""

from __future__ import annotations

from spreekuur.accounts.capabilities import CLINICAL_AND_DESK, is_portal_user
from spreekuur.accounts.models import User
from spreekuur.accounts.selectors import role_of
from spreekuur.core.roles import StaffRole


def can_read_record(user: User | None) -> bool:
    return role_of(user) in CLINICAL_AND_DESK


def can_write_journal(user: User | None) -> bool:
    """GP, POH and assistant each write about their own contacts."""
    return role_of(user) in CLINICAL_AND_DESK


def can_record_medication(user: User | None) -> bool:
    """Only a prescriber."""
    return role_of(user) == StaffRole.HUISARTS


def can_shield(user: User | None) -> bool:
    """Shielding (afscherming) is the GP's call."""
    return role_of(user) == StaffRole.HUISARTS


def can_view_own_record(user: User | None) -> bool:
    return is_portal_user(user)
