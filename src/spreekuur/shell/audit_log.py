"""What the two audit-log pages show of each entry, and the manager's search form."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import HttpRequest

from spreekuur.accounts.models import User
from spreekuur.accounts.selectors import staff_of
from spreekuur.core.audit_labels import CLINICAL_KINDS, object_kind_label, patient_object_kind_label
from spreekuur.core.models import AuditEntry, Practice
from spreekuur.core.roles import role_label
from spreekuur.patients.models import Patient
from spreekuur.patients.selectors import get_patient_for
from spreekuur.shell import selectors
from spreekuur.shell.forms import AuditSearchForm


def with_labels(entries: list[AuditEntry], *, for_patient: bool = False) -> list[AuditEntry]:
    for entry in entries:
        hide = for_patient and entry.object_kind in CLINICAL_KINDS
        entry.object_label = (  # type: ignore[attr-defined]
            patient_object_kind_label(entry.object_kind)
            if for_patient
            else object_kind_label(entry.object_kind)
        )
        entry.detail_label = "" if hide else entry.detail  # type: ignore[attr-defined]
        entry.role_label = role_label(entry.actor_role)  # type: ignore[attr-defined]
    return entries


@dataclass(frozen=True)
class AuditSearch:
    form: AuditSearchForm
    entries: QuerySet[AuditEntry]
    patient: Patient | None


def search(request: HttpRequest, *, by: User, practice: Practice) -> AuditSearch:
    """The search as the form asks it: nothing for an invalid form, everything unasked."""
    staff = list(staff_of(practice))
    form = AuditSearchForm(
        request.GET or None,
        actor_choices=[(str(m.user.public_id), m.user.full_name) for m in staff],
    )
    if not form.is_bound:
        return AuditSearch(form, selectors.search_audit_log(practice=practice), None)
    if not form.is_valid():
        return AuditSearch(form, AuditEntry.objects.none(), None)
    data = form.cleaned_data
    actor = next((m.user for m in staff if str(m.user.public_id) == data["actor"]), None)
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
