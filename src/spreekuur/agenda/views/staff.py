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
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from spreekuur.accounts.capabilities import acting_user_in_practice
from spreekuur.accounts.models import Membership, User
from spreekuur.agenda import capabilities, figures, selectors, services
from spreekuur.agenda.forms import StaffBookingForm
from spreekuur.agenda.models import AppointmentStatus, AppointmentType
from spreekuur.agenda.video import video_link
from spreekuur.agenda.views.portal import by_day
from spreekuur.core.exceptions import BusinessRuleError
from spreekuur.core.models import Practice
from spreekuur.patients import selectors as patient_selectors
from spreekuur.patients import services as patient_services
from spreekuur.patients.forms import PatientSearchForm

SEARCH_LIMIT = 20
WHOLE_PRACTICE = "iedereen"


def _staff(request: HttpRequest) -> tuple[User, Practice]:
    return acting_user_in_practice(request, capabilities.can_use_agenda)


def date_param(request: HttpRequest, name: str) -> date | None:
    """A date from the query string; a malformed or impossible one (30 February) is None."""
    try:
        return parse_date(request.GET.get(name, "") or "")
    except ValueError:
        return None


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
    target = request.POST.get("terug", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


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
        # Counts only, no names: nothing of a patient is shown, so nothing to log.
        by_practitioner: dict[int, list[selectors.PractitionerDay]] = {}
        for column in columns:
            by_practitioner.setdefault(column.practitioner.pk, []).append(column)
        context["overview"] = [
            (m, by_practitioner.get(m.pk, []))
            for m in everyone
            if any(c.rows for c in by_practitioner.get(m.pk, []))
        ]
    else:
        shown = [r.appointment for c in columns for r in c.rows if r.appointment is not None]
        services.record_appointments_read(
            by=user, practice=practice, patient=None, appointments=shown
        )
        context["columns"] = [c for c in columns if c.rows]
    return render(request, "agenda/week.html", context)


@require_http_methods(["GET"])
def appointment_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    user, practice = _staff(request)
    appointment = selectors.get_practice_appointment(user, public_id)
    services.record_appointments_read(
        by=user, practice=practice, patient=appointment.patient, appointments=[appointment]
    )
    return render(
        request,
        "agenda/appointment_detail.html",
        {
            "appointment": appointment,
            "asked": appointment.triage_answers.get("asked", []),
            "practitioner_label": selectors.practitioner_label(appointment.practitioner),
            "back": request.GET.get("terug", "")
            if url_has_allowed_host_and_scheme(
                request.GET.get("terug", ""), allowed_hosts={request.get_host()}
            )
            else "",
            "statuses": AppointmentStatus,
            "now": timezone.now(),
            # Only the appointment's own practitioner gets the moderator's link.
            "video": video_link(
                appointment,
                practitioner=appointment.practitioner.user_id == user.pk,
                now=timezone.now(),
            ),
        },
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


@require_http_methods(["GET", "POST"])
def book_for_patient(request: HttpRequest, public_id: str) -> HttpResponse:
    """From a free slot in the agenda: find the patient, pick the type, book (phone or desk)."""
    user, practice = _staff(request)
    slot = selectors.get_practice_slot(practice, public_id)
    types = _staff_type_choices(practice, slot.practitioner)
    search = PatientSearchForm(request.POST if request.POST.get("stap") == "zoeken" else None)
    booking = StaffBookingForm(
        request.POST if request.POST.get("stap") == "boeken" else None, types=types
    )
    context: dict[str, Any] = {
        "slot": slot,
        "practitioner_label": selectors.practitioner_label(slot.practitioner),
        "search": search,
        "booking": booking,
        "results": None,
        "patient": None,
        "back": _back_to(request, reverse("agenda:day")),
    }
    if request.POST.get("stap") == "zoeken" and search.is_valid():
        found = list(
            patient_selectors.search_patients(
                by=user, query=search.cleaned_data["query"], born_on=search.cleaned_data["born_on"]
            )[:SEARCH_LIMIT]
        )
        patient_services.record_patient_search(by=user, shown=found)
        context["results"] = found
    elif request.POST.get("stap") in ("kiezen", "boeken"):
        patient = patient_selectors.get_patient_for(user, request.POST.get("patient", ""))
        context["patient"] = patient
        status = 200
        if request.POST.get("stap") == "boeken" and booking.is_valid():
            appointment_type = AppointmentType.objects.get(
                practice=practice, public_id=booking.cleaned_data["soort"]
            )
            try:
                appointment = services.book_appointment(
                    patient=patient,
                    slot=slot,
                    appointment_type=appointment_type,
                    reason=booking.cleaned_data["reason"],
                    by=user,
                    channel=booking.cleaned_data["kanaal"],
                )
            except BusinessRuleError as refused:
                context["error"] = str(refused)
                status = 409 if isinstance(refused, services.SlotTaken) else 422
            else:
                messages.success(request, _("De afspraak is gemaakt."))
                day = timezone.localtime(appointment.starts_at).date()
                return redirect(f"{reverse('agenda:day')}?dag={day.isoformat()}")
        # The page shows the patient's name and date of birth: that is a read.
        patient_services.record_patient_read(patient=patient, by=user)
        return render(request, "agenda/book_for_patient.html", context, status=status)
    return render(request, "agenda/book_for_patient.html", context)


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
            day = timezone.localtime(moved.starts_at).date()
            return redirect(f"{reverse('agenda:day')}?dag={day.isoformat()}")
    offering = selectors.practitioners_offering(practice, appointment.appointment_type)
    now = timezone.now()
    choices = selectors.free_slot_choices(
        practice=practice,
        appointment_type=appointment.appointment_type,
        practitioners=offering,
        online=False,
        earliest=now,
        latest=now + timedelta(days=selectors.STAFF_SEARCH_DAYS),
        limit=24,
    )
    services.record_appointments_read(
        by=user, practice=practice, patient=appointment.patient, appointments=[appointment]
    )
    return render(
        request,
        "agenda/staff_reschedule.html",
        {
            "appointment": appointment,
            "practitioner_label": selectors.practitioner_label(appointment.practitioner),
            "days": by_day(choices),
            "error": error,
        },
        status=status,
    )


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
