"""The patient's side: book behind the triage gate, see, cancel and move appointments."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import groupby
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from spreekuur.accounts.capabilities import acting_user
from spreekuur.accounts.models import User
from spreekuur.agenda import capabilities, selectors, services
from spreekuur.agenda.forms import ANYONE, ChooseTypeForm, TriageForm
from spreekuur.agenda.ics import appointment_calendar
from spreekuur.agenda.models import (
    Appointment,
    AppointmentMode,
    AppointmentStatus,
    AppointmentType,
    BookingRules,
)
from spreekuur.agenda.selectors import SlotChoice
from spreekuur.agenda.video import video_link
from spreekuur.agenda.views.video import allows_joining_video
from spreekuur.core.exceptions import BusinessRuleError
from spreekuur.core.models import AuditAction
from spreekuur.patients.models import Patient
from spreekuur.patients.selectors import patient_profile
from spreekuur.triage.forms import first_raised_flag
from spreekuur.triage.handover import before_online_step
from spreekuur.triage.models import TriageUse
from spreekuur.triage.selectors import red_flags_for
from spreekuur.triage.services import RedFlagRaised, TriageIncomplete, TriageSaysCall

SESSION_DRAFT = "spreekuur_booking"
DRAFT_SECONDS = 30 * 60
SLOTS_SHOWN = 12


@dataclass
class Portal:
    user: User
    patient: Patient
    rules: BookingRules

    def log(self, appointments: list[Appointment], **entry: str) -> None:
        """One access-log entry for the appointments this page shows (or exports)."""
        services.record_appointments_read(
            by=self.user,
            practice=self.patient.practice,
            patient=self.patient,
            appointments=appointments,
            **entry,
        )


def _portal(request: HttpRequest) -> Portal:
    user = acting_user(request, capabilities.can_book_online)
    patient = patient_profile(user)
    if patient is None:
        raise PermissionDenied
    return Portal(user, patient, selectors.booking_rules_for(patient.practice))


def _draft(request: HttpRequest) -> dict[str, Any] | None:
    draft = request.session.get(SESSION_DRAFT)
    if not isinstance(draft, dict) or time.time() - draft.get("at", 0) > DRAFT_SECONDS:
        request.session.pop(SESSION_DRAFT, None)  # the reason does not linger in the session
        return None
    return draft


def by_day(choices: list[SlotChoice]) -> list[tuple[object, list[SlotChoice]]]:
    return [
        (day, list(group))
        for day, group in groupby(choices, key=lambda c: timezone.localtime(c.starts_at).date())
    ]


@require_http_methods(["GET"])
def my_appointments(request: HttpRequest) -> HttpResponse:
    portal = _portal(request)
    now = timezone.now()
    lists = selectors.patient_appointment_lists(portal.patient, now=now)
    portal.log(lists.upcoming + lists.cancelled + lists.past)
    return render(
        request,
        "agenda/my_appointments.html",
        {
            "lists": lists,
            "rules": portal.rules,
            "open_online": selectors.open_online_count(portal.patient, now=now),
        },
    )


@require_http_methods(["GET", "POST"])
def book_start(request: HttpRequest) -> HttpResponse:
    """Step 1: the reason and the red-flag questions. A 'yes' stops here, and so does a
    self-triage of the last hours that said to call. Opened from a self-triage
    (`?triage=`), its complaint is the reason to start from and its answers go along."""
    portal = _portal(request)
    practice = portal.patient.practice
    gate = before_online_step(request, portal.patient, use=TriageUse.BOOKING)
    if gate.stop is not None:
        return gate.stop
    handed = gate.handed
    now = timezone.now()
    flags = red_flags_for(practice)
    # An invitation (a chronic-care control) links here with the kind of appointment.
    wanted = request.GET.get("soort", "")
    invited_type = (
        next(
            (
                t
                for t in selectors.online_types_for(practice, portal.rules)
                if str(t.public_id) == wanted
            ),
            None,
        )
        if wanted
        else None
    )
    initial = {"reason": handed.flow.title} if handed else {}
    if invited_type is not None and not handed:
        initial = {"reason": invited_type.name}
    form = TriageForm(request.POST or None, flags=flags, initial=initial)
    context: dict[str, Any] = {
        "form": form,
        "rules": portal.rules,
        "practice": practice,
        "handed": handed,
    }
    if not portal.rules.online_booking_enabled:
        return render(request, "agenda/book_unavailable.html", context)
    full = selectors.open_online_count(portal.patient, now=now) >= portal.rules.max_open_online
    context["full"] = full
    if request.method == "POST":
        # A new answer replaces the old one: never book on an earlier, calmer draft.
        request.session.pop(SESSION_DRAFT, None)
        raised = first_raised_flag(flags, request.POST)
        if raised is not None:
            # A "yes" stops here, whatever else the form lacks.
            return render(
                request, "triage/red_flag_stop.html", {"flag": raised, "practice": practice}
            )
    if request.method == "POST" and not full and form.is_valid():
        request.session[SESSION_DRAFT] = {
            "reason": form.cleaned_data["reason"],
            "answers": form.answers(),
            "self_triage": str(handed.public_id) if handed else None,
            "type": str(invited_type.public_id) if invited_type else None,
            "at": time.time(),
        }
        return redirect("agenda:book_choose")
    return render(request, "agenda/book_start.html", context)


def _type_choices(types: list[AppointmentType]) -> list[tuple[str, str]]:
    return [(str(t.public_id), f"{t.name} ({t.duration_minutes} min)") for t in types]


def _after_param(request: HttpRequest) -> datetime | None:
    """`na`: where the next page of free times begins (the first time not yet shown)."""
    try:
        after = parse_datetime(request.GET.get("na", "") or "")
    except ValueError:
        return None
    return after if after is not None and timezone.is_aware(after) else None


def _slot_list_context(
    portal: Portal,
    type_id: str,
    practitioner_id: str,
    *,
    moving: Appointment | None = None,
    from_day: date | None = None,
    after: datetime | None = None,
) -> dict[str, Any]:
    """The free times to choose from: the first ones, from a chosen day, or the next page."""
    practice = portal.patient.practice
    appointment_type = selectors.get_online_type(practice, type_id, portal.rules)
    offering = selectors.practitioners_offering(
        practice, appointment_type, own_gp=portal.patient.gp
    )
    if practitioner_id and practitioner_id != ANYONE:
        offering = [m for m in offering if str(m.public_id) == practitioner_id]
    window = selectors.online_window(portal.rules, timezone.now())
    earliest = window.earliest
    if from_day is not None:
        earliest = max(
            earliest, timezone.make_aware(datetime.combine(from_day, datetime.min.time()))
        )
    if after is not None:
        earliest = max(earliest, after)
    page = selectors.free_slot_page(
        practice=practice,
        appointment_type=appointment_type,
        practitioners=offering,
        earliest=earliest,
        latest=window.latest,
        size=SLOTS_SHOWN,
    )
    more_url = ""
    if page.next_start is not None:
        query = {
            "soort": type_id,
            "zorgverlener": practitioner_id,
            "na": page.next_start.isoformat(),
        }
        base = (
            reverse("agenda:reschedule_my_appointment", args=[moving.public_id])
            if moving is not None
            else reverse("agenda:book_choose")
        )
        more_url = f"{base}?{urlencode(query)}"
    return {
        "appointment_type": appointment_type,
        "days": by_day(page.choices),
        "moving": moving,
        "horizon_days": portal.rules.horizon_days,
        "later_start": from_day is not None or after is not None,
        "more_url": more_url,
    }


def _choose_form(request: HttpRequest, portal: Portal) -> ChooseTypeForm:
    """Step 2's form: only the types someone has online times for, own GP first."""
    practice = portal.patient.practice
    window = selectors.online_window(portal.rules, timezone.now())
    online_types = selectors.online_types_with_times(
        practice, selectors.online_types_for(practice, portal.rules), window
    )
    offering = [
        m
        for m in selectors.practitioners_of(practice)
        if any(t.offered_by_role(m.role) for t in online_types)
    ]
    offering.sort(key=lambda m: m.user_id != portal.patient.gp_id)  # own GP first
    types = _type_choices(online_types)
    practitioners = [(str(m.public_id), selectors.practitioner_label(m)) for m in offering]
    invited = (_draft(request) or {}).get("type")
    initial = {
        "soort": invited if invited in dict(types) else (types[0][0] if types else ""),
        "zorgverlener": practitioners[0][0] if practitioners else "",
    }
    return ChooseTypeForm(
        request.GET or initial,
        types=types,
        practitioners=practitioners,
        first_day=timezone.localtime(window.earliest).date(),
        last_day=(window.latest - timedelta(days=1)).date(),
    )


@require_http_methods(["GET"])
def book_choose(request: HttpRequest) -> HttpResponse:
    """Step 2: the kind of appointment and with whom (own GP first), then free times."""
    portal = _portal(request)
    if _draft(request) is None:
        return redirect("agenda:book_start")
    form = _choose_form(request, portal)
    types = form.fields["soort"].choices  # type: ignore[attr-defined]
    context: dict[str, Any] = {"form": form, "types": types}
    if types and form.is_valid():
        context.update(
            _slot_list_context(
                portal,
                form.cleaned_data["soort"],
                form.cleaned_data["zorgverlener"],
                from_day=form.cleaned_data["vanaf"],
                after=_after_param(request),
            )
        )
    template = "agenda/_slot_list.html" if request.htmx else "agenda/book_choose.html"  # type: ignore[attr-defined]
    return render(request, template, context)


def _confirm_context(portal: Portal, data: QueryDict, draft: dict[str, Any]) -> dict[str, Any]:
    practice = portal.patient.practice
    slot = selectors.get_practice_slot(practice, data.get("tijd", ""))
    return {
        "slot": slot,
        "appointment_type": selectors.get_online_type(
            practice, data.get("soort", ""), portal.rules
        ),
        "practitioner_label": selectors.practitioner_label(slot.practitioner),
        "reason": draft["reason"],
    }


def _book_from_draft(
    request: HttpRequest, portal: Portal, draft: dict[str, Any], context: dict[str, Any]
) -> HttpResponse:
    """Book what step 3 shows; the service re-checks every rule, the triage included."""
    try:
        appointment = services.book_appointment(
            patient=portal.patient,
            slot=context["slot"],
            appointment_type=context["appointment_type"],
            reason=draft["reason"],
            by=portal.user,
            triage_answers=draft["answers"],
            self_triage=draft.get("self_triage"),
        )
    except services.SlotTaken as taken:
        type_id = str(context["appointment_type"].public_id)
        context = {**_slot_list_context(portal, type_id, ""), "taken": str(taken)}
        return render(request, "agenda/book_taken.html", context, status=409)
    except TriageSaysCall:
        request.session.pop(SESSION_DRAFT, None)
        return render(
            request, "triage/call_advice_stop.html", {"practice": portal.patient.practice}
        )
    except (TriageIncomplete, RedFlagRaised):
        request.session.pop(SESSION_DRAFT, None)
        messages.info(request, _("Beantwoord de vragen over spoed opnieuw."))
        return redirect("agenda:book_start")
    except BusinessRuleError as refused:
        context["error"] = str(refused)
        return render(request, "agenda/book_confirm.html", context, status=422)
    request.session.pop(SESSION_DRAFT, None)
    messages.success(request, _("Uw afspraak is gemaakt."))
    return redirect("agenda:my_appointment", public_id=appointment.public_id)


@require_http_methods(["GET", "POST"])
def book_confirm(request: HttpRequest) -> HttpResponse:
    """Step 3: check and confirm."""
    portal = _portal(request)
    draft = _draft(request)
    if draft is None:
        messages.info(request, _("Begin opnieuw: de vragen over spoed zijn verlopen."))
        return redirect("agenda:book_start")
    data = request.POST if request.method == "POST" else request.GET
    context = _confirm_context(portal, data, draft)
    if request.method == "POST":
        return _book_from_draft(request, portal, draft, context)
    return render(request, "agenda/book_confirm.html", context)


@require_http_methods(["GET"])
@allows_joining_video
def my_appointment(request: HttpRequest, public_id: str) -> HttpResponse:
    portal = _portal(request)
    appointment = selectors.get_own_appointment(portal.user, public_id)
    portal.log([appointment])
    now = timezone.now()
    upcoming = appointment.status == AppointmentStatus.BOOKED and appointment.ends_at >= now
    qr_svg = ""
    if upcoming and appointment.appointment_type.mode == AppointmentMode.IN_PERSON:
        import segno

        qr_svg = segno.make(f"SPREEKUUR:{appointment.checkin_code}", error="m").svg_inline(
            scale=5,
            light="white",
            title=_("QR-code om u aan te melden bij de aanmeldzuil"),
            omitsize=True,  # a viewBox, so the CSS size scales the code instead of cropping
        )
    return render(
        request,
        "agenda/my_appointment.html",
        {
            "appointment": appointment,
            "practice": portal.patient.practice,
            "practitioner_label": selectors.practitioner_label(appointment.practitioner),
            "upcoming": upcoming,
            "cancelled_ahead": appointment.is_cancelled and appointment.starts_at >= now,
            "can_change": services.can_change_online(appointment, rules=portal.rules, now=now),
            "video": video_link(appointment, by=portal.user, now=now),
            "rules": portal.rules,
            "qr_svg": qr_svg,
        },
    )


@require_http_methods(["GET"])
def my_appointment_ics(request: HttpRequest, public_id: str) -> HttpResponse:
    portal = _portal(request)
    appointment = selectors.get_own_appointment(portal.user, public_id)
    portal.log([appointment], action=AuditAction.EXPORT, detail="ics")
    response = HttpResponse(
        appointment_calendar(
            appointment, label=selectors.practitioner_label(appointment.practitioner)
        ),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="afspraak.ics"'
    return response


@require_http_methods(["GET", "POST"])
def cancel_my_appointment(request: HttpRequest, public_id: str) -> HttpResponse:
    portal = _portal(request)
    appointment = selectors.get_own_appointment(portal.user, public_id)
    if request.method == "POST":
        try:
            services.cancel_appointment(appointment=appointment, by=portal.user)
        except BusinessRuleError as refused:
            messages.error(request, str(refused))
            return redirect("agenda:my_appointment", public_id=appointment.public_id)
        messages.success(request, _("Uw afspraak is geannuleerd."))
        return redirect("agenda:my_appointments")
    portal.log([appointment])
    return render(
        request,
        "agenda/cancel_confirm.html",
        {
            "appointment": appointment,
            "practitioner_label": selectors.practitioner_label(appointment.practitioner),
        },
    )


def _move_to_chosen(
    request: HttpRequest, portal: Portal, appointment: Appointment
) -> HttpResponse | tuple[str, int]:
    """The move itself: the new appointment's page, or the refusal and its status."""
    slot = selectors.get_practice_slot(portal.patient.practice, request.POST.get("tijd", ""))
    try:
        moved = services.reschedule_appointment(appointment=appointment, slot=slot, by=portal.user)
    except services.SlotTaken as taken:
        return str(taken), 409
    except BusinessRuleError as refused:
        return str(refused), 422
    messages.success(request, _("Uw afspraak is verzet."))
    return redirect("agenda:my_appointment", public_id=moved.public_id)


def _move_choices(portal: Portal, appointment: Appointment, request: HttpRequest) -> dict[str, Any]:
    type_id = str(appointment.appointment_type.public_id)
    try:
        return _slot_list_context(
            portal, type_id, "", moving=appointment, after=_after_param(request)
        )
    except Http404:  # the type is no longer bookable online: the practice moves it
        return {
            "days": [],
            "moving": appointment,
            "appointment_type": appointment.appointment_type,
            "horizon_days": portal.rules.horizon_days,
        }


@require_http_methods(["GET", "POST"])
def reschedule_my_appointment(request: HttpRequest, public_id: str) -> HttpResponse:
    portal = _portal(request)
    appointment = selectors.get_own_appointment(portal.user, public_id)
    if not services.can_change_online(appointment, rules=portal.rules, now=timezone.now()):
        messages.error(
            request, _("Deze afspraak kunt u niet meer online verzetten. Bel de praktijk.")
        )
        return redirect("agenda:my_appointment", public_id=appointment.public_id)
    error, status = "", 200
    if request.method == "POST":
        outcome = _move_to_chosen(request, portal, appointment)
        if isinstance(outcome, HttpResponse):
            return outcome
        error, status = outcome
    context = _move_choices(portal, appointment, request)
    context.update(
        {
            "appointment": appointment,
            "practitioner_label": selectors.practitioner_label(appointment.practitioner),
            "error": error,
        }
    )
    portal.log([appointment])
    return render(request, "agenda/reschedule.html", context, status=status)
