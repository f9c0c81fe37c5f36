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


# Questionnaires: building one holds no patient data; sending one to a patient, and
# reading a patient's named answers, is care; the figures and anonymous results are not.
_CARE_ROLES = {StaffRole.HUISARTS, StaffRole.POH, StaffRole.ASSISTENT}


def can_build_questionnaires(user: User | None) -> bool:
    return role_of(user) in {StaffRole.PRAKTIJKMANAGER, StaffRole.HUISARTS, StaffRole.POH}


def can_send_questionnaire(user: User | None) -> bool:
    """To one patient (before an appointment, or on its own)."""
    return role_of(user) in _CARE_ROLES


def can_send_to_group(user: User | None) -> bool:
    return role_of(user) in {StaffRole.PRAKTIJKMANAGER, StaffRole.HUISARTS}


def can_read_named_answers(user: User | None) -> bool:
    return role_of(user) in _CARE_ROLES


def can_export_named_answers(user: User | None) -> bool:
    """Every patient's named answers at once (CSV, FHIR with BSN): the practitioners."""
    return role_of(user) in {StaffRole.HUISARTS, StaffRole.POH}


def can_see_questionnaires(user: User | None) -> bool:
    """The list and the questionnaires themselves (no patient data in them)."""
    return (
        can_build_questionnaires(user)
        or can_view_questionnaire_results(user)
        or can_read_named_answers(user)
    )


def can_view_questionnaire_results(user: User | None) -> bool:
    """Response rates and counted results (small groups hidden where anonymous)."""
    return role_of(user) in {StaffRole.PRAKTIJKMANAGER, StaffRole.HUISARTS, StaffRole.POH}
