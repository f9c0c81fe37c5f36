"""The record over HTTP: the staff record page with its forms, the patient's own record."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from spreekuur.accounts.capabilities import acting_user
from spreekuur.accounts.models import User
from spreekuur.core.exceptions import BusinessRuleError
from spreekuur.core.models import AuditAction
from spreekuur.dossier import capabilities, selectors, services
from spreekuur.dossier.forms import (
    AllergyForm,
    CorrectionForm,
    EpisodeForm,
    JournalEntryForm,
    MeasurementForm,
    MedicationForm,
    RepeatForm,
)
from spreekuur.dossier.models import (
    DIASTOLIC,
    SYSTOLIC,
    WEIGHT,
    Episode,
    JournalEntry,
    Medication,
)
from spreekuur.patients.models import Patient
from spreekuur.patients.portal import portal_subject
from spreekuur.patients.selectors import get_patient_for
from spreekuur.results import selectors as results_selectors
from spreekuur.results import services as results_services


def _page_number(request: HttpRequest) -> int:
    value = request.GET.get("pagina", "1")
    if not (value.isascii() and value.isdigit()):
        return 1
    return int(value) if 0 < int(value) < 10_000 else 1


@require_http_methods(["GET", "POST"])
def patient_record(request: HttpRequest, public_id: str) -> HttpResponse:
    """The whole record for care staff, with forms to add to it (one form per POST,
    named by `formulier`)."""
    user = acting_user(request, capabilities.can_read_record)
    patient = get_patient_for(user, public_id)
    chosen = request.POST.get("formulier", "") if request.method == "POST" else ""
    if chosen == "verbeteren":
        return _correct(request, user, patient)
    episodes = list(Episode.objects.filter(practice_id=patient.practice_id, patient=patient))
    forms = _record_forms(request, chosen, episodes)
    form = forms.get(chosen)
    if form is not None and form.is_valid():
        try:
            _ADD_TO_RECORD[chosen](patient, user, dict(form.cleaned_data), episodes)
        except BusinessRuleError as refused:
            messages.error(request, str(refused))
        else:
            messages.success(request, _("Vastgelegd in het dossier."))
            return redirect("dossier:patient_record", public_id=patient.public_id)
    record = selectors.record_for_staff(patient, page=_page_number(request))
    services.record_read(by=user, patient=patient, object_ids=selectors.object_ids(record))
    return render(
        request,
        "dossier/patient_record.html",
        {
            "patient": patient,
            "record": record,
            "forms": forms,
            "page": _page_number(request),
            "can_shield": capabilities.can_shield(user),
            "can_prescribe": capabilities.can_record_medication(user),
            "repeat_form": RepeatForm(),
        },
    )


def _record_forms(request: HttpRequest, chosen: str, episodes: list[Episode]) -> dict[str, Any]:
    """The page's forms; only the one posted is bound."""

    def data(name: str) -> Any:
        return request.POST if chosen == name else None

    choices = [(str(e.public_id), f"{e.icpc_code} {e.title}") for e in episodes]
    return {
        "journaal": JournalEntryForm(data("journaal"), episodes=choices),
        "episode": EpisodeForm(data("episode")),
        "medicatie": MedicationForm(data("medicatie")),
        "allergie": AllergyForm(data("allergie")),
        "meting": MeasurementForm(data("meting")),
    }


def _add_journal_entry(
    patient: Patient, user: User, data: dict[str, Any], episodes: list[Episode]
) -> None:
    episode_id = data.pop("episode")
    episode = next((e for e in episodes if str(e.public_id) == episode_id), None)
    services.record_journal_entry(patient=patient, episode=episode, by=user, **data)


def _add_episode(patient: Patient, user: User, data: dict[str, Any], _e: list[Episode]) -> None:
    services.record_episode(patient=patient, by=user, **data)


def _add_medication(patient: Patient, user: User, data: dict[str, Any], _e: list[Episode]) -> None:
    services.record_medication(patient=patient, by=user, **data)


def _add_allergy(patient: Patient, user: User, data: dict[str, Any], _e: list[Episode]) -> None:
    services.record_allergy(patient=patient, by=user, **data)


def _add_measurements(
    patient: Patient, user: User, data: dict[str, Any], _e: list[Episode]
) -> None:
    services.record_measurements(
        patient=patient,
        measured_on=data["measured_on"],
        values={SYSTOLIC: data["systolic"], DIASTOLIC: data["diastolic"], WEIGHT: data["weight"]},
        by=user,
    )


# What each of the record page's forms adds (the key is the form's `formulier`).
_ADD_TO_RECORD: dict[str, Callable[[Patient, User, dict[str, Any], list[Episode]], None]] = {
    "journaal": _add_journal_entry,
    "episode": _add_episode,
    "medicatie": _add_medication,
    "allergie": _add_allergy,
    "meting": _add_measurements,
}


def _correct(request: HttpRequest, user: User, patient: Patient) -> HttpResponse:
    original = selectors.get_record_item(user, "journaal", request.POST.get("regel", ""))
    if not isinstance(original, JournalEntry) or original.patient_id != patient.pk:
        raise Http404
    form = CorrectionForm(request.POST)
    if form.is_valid():
        try:
            services.correct_journal_entry(original=original, by=user, **form.cleaned_data)
        except BusinessRuleError as refused:
            messages.error(request, str(refused))
        else:
            messages.success(request, _("De verbeterde regel staat in het dossier."))
    return redirect("dossier:patient_record", public_id=patient.public_id)


@require_POST
def repeat(request: HttpRequest, public_id: str) -> HttpResponse:
    """The GP puts a medicine on the repeat list, or takes it off."""
    user = acting_user(request, capabilities.can_record_medication)
    medication = selectors.get_record_item(user, "medicatie", public_id)
    if not isinstance(medication, Medication):  # pragma: no cover - the kind is fixed
        raise Http404
    if request.POST.get("herhaalbaar") == "nee":
        services.set_repeat(medication=medication, repeatable=False, by=user)
        messages.success(request, _("Van de herhaallijst gehaald."))
        return redirect("dossier:patient_record", public_id=medication.patient.public_id)
    form = RepeatForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(str(error) for error in errors))
    else:
        try:
            services.set_repeat(
                medication=medication, repeatable=True, by=user, **form.cleaned_data
            )
        except BusinessRuleError as refused:
            messages.error(request, str(refused))
        else:
            messages.success(request, _("Op de herhaallijst: de patiënt kan het online aanvragen."))
    return redirect("dossier:patient_record", public_id=medication.patient.public_id)


def _uuids(request: HttpRequest, name: str) -> list[UUID]:
    """The POSTed identifiers under `name` (at most one: a blood pressure's partner)."""
    try:
        return [UUID(value) for value in request.POST.getlist(name)[:1]]
    except ValueError:
        raise Http404 from None


@require_POST
def shield(request: HttpRequest, kind: str, public_id: str) -> HttpResponse:
    user = acting_user(request, capabilities.can_shield)
    item = selectors.get_record_item(user, kind, public_id)
    choice = request.POST.get("afschermen")
    if choice not in ("ja", "nee"):  # lifting a shield must be asked for, never a default
        return HttpResponseBadRequest()
    # A blood pressure is one value on the page: its diastolic row goes along ("ook").
    together = [selectors.get_record_item(user, kind, other) for other in _uuids(request, "ook")]
    services.set_shielded(item=item, shielded=choice == "ja", by=user, together=together)
    messages.success(
        request,
        _("Afgeschermd: niet meer zichtbaar in het portaal.")
        if item.shielded
        else _("Afscherming opgeheven."),
    )
    return redirect("dossier:patient_record", public_id=item.patient.public_id)


@require_http_methods(["GET"])
def my_record(request: HttpRequest) -> HttpResponse:
    """The patient's own record (or of whom they act for), as the practice opened it."""
    subject = portal_subject(request)
    patient = subject.patient
    record = selectors.record_online(patient, page=_page_number(request))
    services.record_read(
        by=subject.user, patient=patient, object_ids=selectors.object_ids(record), **subject.audit()
    )
    return render(
        request,
        "dossier/my_record.html",
        {
            "record": record,
            "practice": patient.practice,
            "page": _page_number(request),
            "subject": subject,
        },
    )


@require_http_methods(["GET"])
def my_results(request: HttpRequest) -> HttpResponse:
    """The patient's results: per test the latest, with the GP's comment, and the
    measurements taken at the practice."""
    subject = portal_subject(request)
    summaries = results_selectors.results_online(subject.patient)
    measurements = selectors.measurements_online(subject.patient)
    shown = [s.latest.public_id for s in summaries] + [m.public_id for m in measurements]
    results_services.record_results_read(
        by=subject.user,
        object_kind="labresult",
        object_ids=shown,
        patient=subject.patient,
        **subject.audit(),
    )
    return render(
        request,
        "dossier/my_results.html",
        {
            "summaries": summaries,
            "measurements": selectors.measurement_lines(measurements),
            "practice": subject.patient.practice,
            "subject": subject,
        },
    )


@require_http_methods(["GET"])
def my_record_pdf(request: HttpRequest) -> HttpResponse:
    """The same online record as a PDF to keep or print (an export in the access log)."""
    subject = portal_subject(request)
    user, patient = subject.user, subject.patient
    record = selectors.record_online(patient, page=None)
    if record.online_from is None:
        return redirect("dossier:my_record")
    results = results_selectors.all_results_online(patient)
    # Imported here, not at the top: reportlab (with Pillow) would sit in every web
    # worker's memory for a download few patients make.
    from spreekuur.dossier.pdf import record_pdf

    content = record_pdf(patient, record, today=timezone.localdate(), results=results)
    # Logged once the PDF exists: the log never names an export that did not happen.
    services.record_read(
        by=user,
        patient=patient,
        object_ids=selectors.object_ids(record) + [str(r.public_id) for r in results],
        action=AuditAction.EXPORT,
        detail="pdf, namens de patiënt" if subject.for_someone_else else "pdf",
        actor_role=subject.audit().get("actor_role"),
    )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="dossier.pdf"'
    return response
