"""Who may do what with e-consults (plain functions for services and templates)."""

from __future__ import annotations

from spreekuur.accounts.capabilities import CLINICAL_AND_DESK, uses_portal
from spreekuur.accounts.models import User
from spreekuur.accounts.selectors import role_of
from spreekuur.core.roles import StaffRole


def can_ask(user: User | None) -> bool:
    return uses_portal(user)


def can_work_inbox(user: User | None) -> bool:
    """GP, POH and assistant: assign, note, answer, close."""
    return role_of(user) in CLINICAL_AND_DESK


def can_manage_econsult(user: User | None) -> bool:
    return role_of(user) == StaffRole.PRAKTIJKMANAGER
