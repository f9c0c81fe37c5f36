"""Who may do what with lab results (plain functions for services, views and templates)."""

from __future__ import annotations

from spreekuur.accounts.capabilities import CLINICAL_AND_DESK, is_portal_user
from spreekuur.accounts.models import User
from spreekuur.accounts.selectors import role_of
from spreekuur.core.roles import StaffRole


def can_review_results(user: User | None) -> bool:
    """Commenting on and releasing a result is the GP's (domain rule 1)."""
    return role_of(user) == StaffRole.HUISARTS


def can_read_results(user: User | None) -> bool:
    """Care and desk staff see results in the record."""
    return role_of(user) in CLINICAL_AND_DESK


def can_handle_lab_messages(user: User | None) -> bool:
    """The work list of unmatched and quarantined messages: the assistant's, and the GP's."""
    return role_of(user) in {StaffRole.ASSISTENT, StaffRole.HUISARTS}


def can_view_own_results(user: User | None) -> bool:
    return is_portal_user(user)
