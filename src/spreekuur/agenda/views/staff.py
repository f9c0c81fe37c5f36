"""The practice's agenda: day and week, an appointment, booking for a patient, the figures."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from spreekuur.accounts.capabilities import acting_user_in_practice
from spreekuur.accounts.models import Membership, User
from spreekuur.agenda import capabilities, figures, selectors, services
from spreekuur.agenda.forms import StaffBookingForm
from spreekuur.agenda.models import AppointmentType
from spreekuur.agenda.video import offers_video, video_link
from spreekuur.agenda.views.portal import by_day
from spreekuur.agenda.views.video import allows_joining_video
from spreekuur.core.exceptions import BusinessRuleError
from spreekuur.core.models import Practice
from spreekuur.core.redirects import local_path
from spreekuur.patients import selectors as patient_selectors
from spreekuur.patients import services as patient_services
from spreekuur.patients.forms import PatientSearchForm
from spreekuur.triage.capabilities import can_read_named_answers, can_send_questionnaire
from spreekuur.triage.forms import PreparationForm
from spreekuur.triage.questionnaires import answered_items
from spreekuur.triage.selectors.questionnaires import document_of, named_response_of
from spreekuur.triage.services import record_answers_read

SEARCH_LIMIT = 20
WHOLE_PRACTICE = "iedereen"


def _staff(request: HttpRequest) -> tuple[User, Practice]:
    return acting_user_in_practice(request, capabilities.can_use_agenda)


# An agenda or a figures page far outside these years is a typo or a probe: the page
# would compute the day before 1 January of year 1 and fail.
SENSIBLE_YEARS = range(1900, 2201)


def date_param(request: HttpRequest, name: str) -> date | None:
    """A date from the query string; a malformed, impossible (30 February) or absurd
    (year 1, year 9999) one is None, so the page shows today."""
    try:
        day = parse_date(request.GET.get(name, "") or "")
    except ValueError:
        return None
    return day if day is not None and day.year in SENSIBLE_YEARS else None


def _day_from(request: HttpRequest, name: str = "dag") -> date:
    return date_param(request, name) or timezone.localdate()


def _chosen_practitioners(
    request: HttpRequest, practice: Practice, *, default_all: bool = True
) -> tuple[list[Membership], list[Membership], str]:
    everyone = list(selectors.practitioners_of(practice))
    chosen_id = request.GET.get("zorgverlener", "")
    chosen = [m for m in everyone if str(m.public_id) == chosen_id]
    if not chosen:
        chosen_id = ""
        chosen = everyone if default_all else everyone[:1]
    return everyone, chosen, chosen_id


def _back_to(request: HttpRequest, default: str) -> str:
    return local_path(request.POST.get("terug")) or default


@require_http_methods(["GET"])
def day_view(request: HttpRequest) -> HttpResponse:
    user, practice = _staff(request)
    day = _day_from(request)
    everyone, chosen, chosen_id = _chosen_practitioners(request, practice)
    columns = selectors.agenda_days(practice=practice, days=[day], practitioners=chosen)
    if not chosen_id:  # the whole practice: only who works that day
        columns = [column for column in columns if column.rows]
    shown = [row.appointment for c in columns for row in c.rows if row.appointment is not None]
    services.record_appointments_read(by=user, practice=practice, patient=None, appointments=shown)
    waiting = selectors.waiting_patients(practice, day=day)
    return render(
        request,
        "agenda/day.html",
        {
            "day": day,
            "previous_day": day - timedelta(days=1),
            "next_day": day + timedelta(days=1),
            "today": timezone.localdate(),
            "columns": columns,
            "waiting": [(m, waiting.get(m.pk, [])) for m in chosen if waiting.get(m.pk)],
            "practitioners": everyone,
            "chosen_id": chosen_id,
            "back": request.get_full_path(),
            "can_register_kiosk": capabilities.can_register_kiosk(user),
            "can_view_figures": capabilities.can_view_agenda_figures(user),
        },
    )


def _week_overview(
    everyone: list[Membership], columns: list[selectors.PractitionerDay]
) -> list[tuple[Membership, list[selectors.PractitionerDay]]]:
    """The whole practice's week as counts per practitioner per day: no names, so
    nothing of a patient is shown and nothing needs logging."""
    by_practitioner: dict[int, list[selectors.PractitionerDay]] = {}
    for column in columns:
        by_practitioner.setdefault(column.practitioner.pk, []).append(column)
    return [
        (m, by_practitioner.get(m.pk, []))
        for m in everyone
        if any(c.rows for c in by_practitioner.get(m.pk, []))
    ]


@require_http_methods(["GET"])
def week_view(request: HttpRequest) -> HttpResponse:
    """One practitioner's week with names, or the whole practice as counts per day."""
    user, practice = _staff(request)
    start = _day_from(request, "week")
    start -= timedelta(days=start.weekday())
    days = [start + timedelta(days=offset) for offset in range(7)]
    whole_practice = request.GET.get("zorgverlener") == WHOLE_PRACTICE
    everyone, chosen, chosen_id = _chosen_practitioners(request, practice, default_all=False)
    if whole_practice:
        chosen, chosen_id = everyone, WHOLE_PRACTICE
    columns = selectors.agenda_days(practice=practice, days=days, practitioners=chosen)
    context: dict[str, Any] = {
        "start": start,
        "days": days,
        "previous_week": start - timedelta(days=7),
        "next_week": start + timedelta(days=7),
        "practitioners": everyone,
        "whole_practice": whole_practice,
        "chosen": chosen[0] if chosen and not whole_practice else None,
        "chosen_id": chosen_id or (str(chosen[0].public_id) if chosen else ""),
        "back": request.get_full_path(),
    }
    if whole_practice:
        context["overview"] = _week_overview(everyone, columns)
    else:
        shown = [r.appointment for c in columns for r in c.rows if r.appointment is not None]
        services.record_appointments_read(
            by=user, practice=practice, patient=None, appointments=shown
        )
        context["columns"] = [c for c in columns if c.rows]
    return render(request, "agenda/week.html", context)


@require_http_methods(["GET"])
@allows_joining_video
def appointment_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    user, practice = _staff(request)
    appointment = selectors.get_practice_appointment(user, public_id)
    services.record_appointments_read(
        by=user, practice=practice, patient=appointment.patient, appointments=[appointment]
    )
    now = timezone.now()
    return render(
        request,
        "agenda/appointment_detail.html",
        {
            **_preparation_context(appointment, user, now),
            "appointment": appointment,
            "asked": appointment.triage_answers.get("asked", []),
            "practitioner_label": selectors.practitioner_label(appointment.practitioner),
            "back": local_path(request.GET.get("terug")),
            "now": now,
            "arrival_open": appointment.arrival_open(now),
            "call_open": appointment.call_open(now),
            # Only the appointment's own practitioner joins (as moderator); others see why not.
            "video": video_link(appointment, by=user, now=now),
            "video_offered": offers_video(appointment),
        },
    )


def _preparation_context(appointment: Any, user: User, now: Any) -> dict[str, Any]:
    """The consult-preparation questionnaire: its answers for the care roles (in the
    patient's access log), or a form to put one ready."""
    invitation = appointment.preparation
    if invitation is not None:
        response = named_response_of(invitation)
        rows = None
        if response is not None and can_read_named_answers(user):
            record_answers_read(responses=[response], by=user)
            rows = answered_items(document_of(invitation.questionnaire), response.answers)
        return {"preparation": invitation, "preparation_rows": rows}
    choices = selectors.preparation_choices(appointment.practice)
    if (
        choices
        and appointment.is_booked
        and appointment.starts_at > now
        and can_send_questionnaire(user)
    ):
        return {"preparation_form": PreparationForm(choices=choices)}
    return {}


@require_POST
def attach_preparation(request: HttpRequest, public_id: str) -> HttpResponse:
    user, practice = _staff(request)
    appointment = selectors.get_practice_appointment(user, public_id)
    form = PreparationForm(request.POST, choices=selectors.preparation_choices(practice))
    if form.is_valid():
        try:
            services.attach_preparation(
                appointment=appointment, code=form.cleaned_data["questionnaire"], by=user
            )
        except BusinessRuleError as refused:
            messages.error(request, str(refused))
        else:
            messages.success(
                request, _("De vragenlijst staat klaar in het portaal van de patiënt.")
            )
    else:
        messages.error(request, _("Kies een vragenlijst."))
    return redirect("agenda:appointment", appointment.public_id)


@require_http_methods(["GET"])
def out_of_hours_view(request: HttpRequest) -> HttpResponse:
    """Booked appointments that closed hours or an absence no longer allow: to move."""
    user, practice = _staff(request)
    found = selectors.appointments_out_of_hours(practice, now=timezone.now())
    services.record_appointments_read(
        by=user, practice=practice, patient=None, appointments=[f.appointment for f in found]
    )
    return render(
        request,
        "agenda/out_of_hours.html",
        {"found": found, "back": request.get_full_path()},
    )


STATUS_ACTIONS: dict[str, tuple[Callable[..., object], Promise]] = {
    "aangemeld": (services.mark_arrived, gettext_lazy("Aangemeld.")),
    "niet-verschenen": (services.mark_no_show, gettext_lazy("Op niet verschenen gezet.")),
    "afgerond": (services.mark_completed, gettext_lazy("Afgerond.")),
    "oproepen": (
        services.call_in,
        gettext_lazy("Opgeroepen: het nummer staat op het wachtkamerscherm."),
    ),
    "annuleren": (services.cancel_appointment, gettext_lazy("De afspraak is geannuleerd.")),
    "aanmelding-terugdraaien": (
        services.undo_arrival,
        gettext_lazy("De aanmelding is teruggedraaid: de afspraak staat weer gepland."),
    ),
    "oproep-terugdraaien": (
        services.undo_call_in,
        gettext_lazy("De oproep is teruggedraaid: het nummer staat niet meer op het scherm."),
    ),
}


@require_POST
def change_status(request: HttpRequest, public_id: str, action: str) -> HttpResponse:
    user, _practice = _staff(request)
    appointment = selectors.get_practice_appointment(user, public_id)
    if action not in STATUS_ACTIONS:
        return HttpResponse(status=404)
    service, done = STATUS_ACTIONS[action]
    try:
        service(appointment=appointment, by=user)
    except BusinessRuleError as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, str(done))
    return redirect(_back_to(request, reverse("agenda:day")))


def _staff_type_choices(practice: Practice, practitioner: Membership) -> list[tuple[str, str]]:
    return [
        (str(t.public_id), f"{t.name} ({t.duration_minutes} min)")
        for t in AppointmentType.objects.filter(practice=practice, active=True)
        if t.offered_by_role(practitioner.role)
    ]


def _search_step(request: HttpRequest, user: User, context: dict[str, Any]) -> HttpResponse:
    """Find the patient (by name, BSN or date of birth); the list shown is logged."""
    search = context["search"]
    if search.is_valid():
        found = list(
            patient_selectors.search_patients(
                by=user, query=search.cleaned_data["query"], born_on=search.cleaned_data["born_on"]
            )[:SEARCH_LIMIT]
        )
        patient_services.record_patient_search(by=user, shown=found)
        context["results"] = found
    return render(request, "agenda/book_for_patient.html", context)


def _book_step(
    request: HttpRequest, user: User, practice: Practice, context: dict[str, Any]
) -> HttpResponse:
    """The patient is chosen: show the booking form, or book when it is sent."""
    patient = patient_selectors.get_patient_for(user, request.POST.get("patient", ""))
    context["patient"] = patient
    booking, status = context["booking"], 200
    if request.POST.get("stap") == "boeken" and booking.is_valid():
        try:
            appointment = services.book_appointment(
                patient=patient,
                slot=context["slot"],
                appointment_type=AppointmentType.objects.get(
                    practice=practice, public_id=booking.cleaned_data["soort"]
                ),
                reason="",
                desk_note=booking.cleaned_data["desk_note"],
                by=user,
                channel=booking.cleaned_data["kanaal"],
            )
        except BusinessRuleError as refused:
            context["error"] = str(refused)
            status = 409 if isinstance(refused, services.SlotTaken) else 422
        else:
            messages.success(request, _("De afspraak is gemaakt."))
            return _to_day_of(appointment.starts_at)
    # The page shows the patient's name and date of birth: that is a read.
    patient_services.record_patient_read(patient=patient, by=user)
    return render(request, "agenda/book_for_patient.html", context, status=status)


def _to_day_of(moment: Any) -> HttpResponse:
    day = timezone.localtime(moment).date()
    return redirect(f"{reverse('agenda:day')}?dag={day.isoformat()}")


@require_http_methods(["GET", "POST"])
def book_for_patient(request: HttpRequest, public_id: str) -> HttpResponse:
    """From a free slot in the agenda: find the patient, pick the type, book (phone or desk)."""
    user, practice = _staff(request)
    slot = selectors.get_practice_slot(practice, public_id)
    step = request.POST.get("stap", "")
    context: dict[str, Any] = {
        "slot": slot,
        "practitioner_label": selectors.practitioner_label(slot.practitioner),
        "search": PatientSearchForm(request.POST if step == "zoeken" else None),
        "booking": StaffBookingForm(
            request.POST if step == "boeken" else None,
            types=_staff_type_choices(practice, slot.practitioner),
        ),
        "results": None,
        "patient": None,
        "back": _back_to(request, reverse("agenda:day")),
    }
    if step == "zoeken":
        return _search_step(request, user, context)
    if step in ("kiezen", "boeken"):
        return _book_step(request, user, practice, context)
    return render(request, "agenda/book_for_patient.html", context)


def _move_choices(practice: Practice, appointment: Any) -> list[tuple[object, list[Any]]]:
    """The desk's choice of new times: any free slot (also those not released online)."""
    now = timezone.now()
    return by_day(
        selectors.free_slot_choices(
            practice=practice,
            appointment_type=appointment.appointment_type,
            practitioners=selectors.practitioners_offering(practice, appointment.appointment_type),
            online=False,
            earliest=now,
            latest=now + timedelta(days=selectors.STAFF_SEARCH_DAYS),
            limit=24,
        )
    )


@require_http_methods(["GET", "POST"])
def reschedule(request: HttpRequest, public_id: str) -> HttpResponse:
    user, practice = _staff(request)
    appointment = selectors.get_practice_appointment(user, public_id)
    status, error = 200, ""
    if request.method == "POST":
        slot = selectors.get_practice_slot(practice, request.POST.get("tijd", ""))
        try:
            moved = services.reschedule_appointment(appointment=appointment, slot=slot, by=user)
        except BusinessRuleError as refused:
            error = str(refused)
            status = 409 if isinstance(refused, services.SlotTaken) else 422
        else:
            messages.success(request, _("De afspraak is verzet."))
            return _to_day_of(moved.starts_at)
    services.record_appointments_read(
        by=user, practice=practice, patient=appointment.patient, appointments=[appointment]
    )
    context = {
        "appointment": appointment,
        "practitioner_label": selectors.practitioner_label(appointment.practitioner),
        "days": _move_choices(practice, appointment),
        "error": error,
    }
    return render(request, "agenda/staff_reschedule.html", context, status=status)


@require_http_methods(["GET"])
def figures_view(request: HttpRequest) -> HttpResponse:
    _user, practice = acting_user_in_practice(request, capabilities.can_view_agenda_figures)
    until = date_param(request, "tot") or timezone.localdate()
    since = date_param(request, "van") or until - timedelta(days=29)
    if since > until:
        since, until = until, since
    since = max(since, until - timedelta(days=366))  # one year at most per view
    return render(
        request,
        "agenda/figures.html",
        {
            "figures": figures.agenda_figures(practice, since=since, until=until),
            "since": since,
            "until": until,
        },
    )
