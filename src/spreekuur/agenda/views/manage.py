"""The manager's agenda settings: release rules, types, schedules and absences."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from spreekuur.accounts.capabilities import acting_user_in_practice
from spreekuur.accounts.models import Membership, User
from spreekuur.agenda import capabilities, selectors, services
from spreekuur.agenda.forms import (
    AbsenceForm,
    AppointmentTypeForm,
    BookingRulesForm,
    ScheduleBlockForm,
)
from spreekuur.agenda.models import AppointmentType, ScheduleBlock, ScheduleException
from spreekuur.core.exceptions import BusinessRuleError
from spreekuur.core.models import Practice


def _manager(request: HttpRequest) -> tuple[User, Practice]:
    return acting_user_in_practice(request, capabilities.can_manage_agenda)


# The settings page's two forms: (form class, the service that saves it, what to say).
SETTINGS_FORMS: dict[str, tuple[type[forms.BaseForm], Callable[..., object], Promise]] = {
    "regels": (
        BookingRulesForm,
        services.update_booking_rules,
        gettext_lazy("De regels voor online afspraken zijn opgeslagen."),
    ),
    "soort": (
        AppointmentTypeForm,
        services.save_appointment_type,
        gettext_lazy("De soort afspraak is toegevoegd."),
    ),
}


def _settings_forms(request: HttpRequest, practice: Practice) -> dict[str, forms.BaseForm]:
    """Each form, bound only when it is the one sent."""
    sent = request.POST.get("formulier", "")
    rules = selectors.booking_rules_for(practice)
    built: dict[str, forms.BaseForm] = {}
    for name, (form_class, _save, _done) in SETTINGS_FORMS.items():
        data = request.POST if sent == name else None
        extra: dict[str, Any] = (
            {"instance": rules}
            if form_class is BookingRulesForm
            else {"preparations": selectors.preparation_choices(practice)}
        )
        built[name] = form_class(data, **extra)
    return built


@require_http_methods(["GET", "POST"])
def settings_view(request: HttpRequest) -> HttpResponse:
    user, practice = _manager(request)
    built = _settings_forms(request, practice)
    sent = request.POST.get("formulier", "")
    if request.method == "POST" and sent in SETTINGS_FORMS and built[sent].is_valid():
        _form_class, save, done = SETTINGS_FORMS[sent]
        try:
            save(practice=practice, by=user, **built[sent].cleaned_data)
        except BusinessRuleError as refused:
            messages.error(request, str(refused))
        else:
            messages.success(request, str(done))
            return redirect("agenda:settings")
    context = {
        "rules_form": built["regels"],
        "type_form": built["soort"],
        "types": selectors.appointment_types_of(practice),
    }
    return render(request, "agenda/settings.html", context)


@require_http_methods(["GET", "POST"])
def edit_type(request: HttpRequest, public_id: str) -> HttpResponse:
    user, practice = _manager(request)
    appointment_type = get_object_or_404(AppointmentType, practice=practice, public_id=public_id)
    initial = {name: getattr(appointment_type, name) for name in AppointmentTypeForm.base_fields}
    form = AppointmentTypeForm(
        request.POST or None,
        initial=initial,
        preparations=selectors.preparation_choices(practice),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.save_appointment_type(
                practice=practice, by=user, appointment_type=appointment_type, **form.cleaned_data
            )
        except BusinessRuleError as refused:
            messages.error(request, str(refused))
        else:
            messages.success(request, _("De soort afspraak is opgeslagen."))
            return redirect("agenda:settings")
    return render(
        request, "agenda/edit_type.html", {"form": form, "appointment_type": appointment_type}
    )


def _practitioner_choices(practice: Practice) -> list[tuple[str, str]]:
    return [
        (str(m.public_id), f"{m.user.full_name} ({m.get_role_display()})")
        for m in selectors.practitioners_of(practice)
    ]


def _practitioner(practice: Practice, public_id: str) -> Membership:
    return selectors.get_practitioner(practice, public_id)


@require_http_methods(["GET", "POST"])
def schedule_view(request: HttpRequest) -> HttpResponse:
    """The week template (dagdelen) and the absences ahead; POST `formulier` adds one."""
    user, practice = _manager(request)
    choices = _practitioner_choices(practice)
    form_name = request.POST.get("formulier", "")
    block_form = ScheduleBlockForm(
        request.POST if form_name == "dagdeel" else None, practitioners=choices
    )
    absence_form = AbsenceForm(
        request.POST if form_name == "afwezig" else None, practitioners=choices
    )
    if request.method == "POST":
        try:
            if form_name == "dagdeel" and block_form.is_valid():
                return _add_block(request, user, practice, block_form.cleaned_data)
            if form_name == "afwezig" and absence_form.is_valid():
                return _add_absence(request, user, practice, absence_form.cleaned_data)
        except BusinessRuleError as refused:
            messages.error(request, str(refused))
    context: dict[str, Any] = {
        "block_form": block_form,
        "absence_form": absence_form,
        "blocks": selectors.schedule_blocks_of(practice),
        "absences": selectors.absences_ahead(practice, today=timezone.localdate()),
    }
    return render(request, "agenda/schedule.html", context)


def _add_block(
    request: HttpRequest, user: User, practice: Practice, data: dict[str, Any]
) -> HttpResponse:
    services.add_schedule_block(
        practitioner=_practitioner(practice, data["zorgverlener"]),
        weekday=data["weekday"],
        starts=data["starts"],
        ends=data["ends"],
        slot_minutes=data["slot_minutes"],
        online_per_hour=data["online_per_hour"],
        by=user,
    )
    messages.success(request, _("Het dagdeel is toegevoegd; de tijdsloten zijn gemaakt."))
    return redirect("agenda:schedule")


def _add_absence(
    request: HttpRequest, user: User, practice: Practice, data: dict[str, Any]
) -> HttpResponse:
    _absence, standing = services.add_absence(
        practitioner=_practitioner(practice, data["zorgverlener"]),
        starts_on=data["starts_on"],
        ends_on=data["ends_on"],
        kind=data["kind"],
        note=data["note"],
        by=user,
    )
    messages.success(request, _("De afwezigheid is vastgelegd."))
    if standing:
        messages.warning(
            request,
            _("Er staan nog %(count)s afspraken in deze periode; laat de balie ze verzetten.")
            % {"count": standing},
        )
    return redirect("agenda:schedule")


@require_POST
def remove_block(request: HttpRequest, public_id: str) -> HttpResponse:
    user, practice = _manager(request)
    block = get_object_or_404(ScheduleBlock, practice=practice, public_id=public_id)
    services.remove_schedule_block(block=block, by=user)
    messages.success(request, _("Het dagdeel is verwijderd; vrije tijdsloten zijn weggehaald."))
    return redirect("agenda:schedule")


@require_POST
def remove_absence(request: HttpRequest, public_id: str) -> HttpResponse:
    user, practice = _manager(request)
    absence = get_object_or_404(ScheduleException, practice=practice, public_id=public_id)
    services.remove_absence(absence=absence, by=user)
    messages.success(request, _("De afwezigheid is verwijderd."))
    return redirect("agenda:schedule")
