"""What the two audit-log pages show of each entry, and the manager's searches: the
filters of the log (GET, no patient data in them) and finding a patient (POST)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

from spreekuur.accounts.models import User
from spreekuur.accounts.selectors import staff_of
from spreekuur.core.models import AuditEntry, Practice
from spreekuur.patients.models import Patient
from spreekuur.patients.selectors import get_patient_for
from spreekuur.shell import selectors
from spreekuur.shell.forms import AuditSearchForm, PatientFinderForm
from spreekuur.shell.selectors import PatientQuery

FOUND_PAGE_SIZE = 20


@dataclass(frozen=True)
class AuditSearch:
    form: AuditSearchForm
    entries: QuerySet[AuditEntry]
    patient: Patient | None


def _actor_choices(practice: Practice) -> tuple[list[User], list[tuple[str, str]]]:
    staff = [membership.user for membership in staff_of(practice)]
    return staff, [(str(user.public_id), user.full_name) for user in staff]


def search(request: HttpRequest, *, by: User, practice: Practice) -> AuditSearch:
    """The search as the form asks it: nothing for an invalid form, everything unasked."""
    staff, choices = _actor_choices(practice)
    form = AuditSearchForm(request.GET or None, actor_choices=choices)
    if not form.is_bound:
        return AuditSearch(form, selectors.search_audit_log(practice=practice), None)
    if not form.is_valid():
        return AuditSearch(form, AuditEntry.objects.none(), None)
    data = form.cleaned_data
    actor = next((user for user in staff if str(user.public_id) == data["actor"]), None)
    patient = get_patient_for(by, data["patient"]) if data["patient"] else None
    entries = selectors.search_audit_log(
        practice=practice,
        action=data["action"],
        actor=actor,
        patient=patient,
        date_from=data["date_from"],
        date_to=data["date_to"],
    )
    return AuditSearch(form, entries, patient)


def empty_filters(practice: Practice) -> AuditSearchForm:
    return AuditSearchForm(actor_choices=_actor_choices(practice)[1])


@dataclass(frozen=True)
class PatientFinding:
    form: PatientFinderForm
    page: Page[Patient] | None  # None until a valid question was asked


def find_patients(request: HttpRequest, *, by: User) -> PatientFinding:
    """The patients of the manager's practice that match (a POST; a page of 20)."""
    form = PatientFinderForm(request.POST)
    if not form.is_valid():
        return PatientFinding(form, None)
    query: PatientQuery = form.cleaned_data["zoek"]
    found = selectors.patients_matching(by=by, query=query)
    return PatientFinding(
        form, Paginator(found, FOUND_PAGE_SIZE).get_page(request.POST.get("pagina"))
    )
