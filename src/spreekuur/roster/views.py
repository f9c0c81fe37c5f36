"""The roster over HTTP: the week with the phone line's staffing, the shifts, leave and
the meeting planner."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from spreekuur.accounts.capabilities import acting_user_in_practice
from spreekuur.agenda.models import Dagdeel
from spreekuur.agenda.selectors import absences_ahead
from spreekuur.core.exceptions import BusinessRuleError
from spreekuur.roster import capabilities, selectors, services
from spreekuur.roster.forms import LeaveForm, MeetingForm, ShiftForm, WeekForm
from spreekuur.roster.models import DAGDEEL_HOURS


def _monday(request: HttpRequest) -> tuple[WeekForm, date]:
    form = WeekForm(request.GET or None)
    chosen = form.cleaned_data.get("week") if form.is_valid() else None
    # Next week by default: a roster is made ahead.
    day = chosen or timezone.localdate() + timedelta(days=7)
    return form, selectors.monday_of(day)


@require_GET
def week(request: HttpRequest) -> HttpResponse:
    user, practice = acting_user_in_practice(request, capabilities.can_view_roster)
    form, monday = _monday(request)
    plan = selectors.phone_plan(practice, monday)
    return render(
        request,
        "roster/week.html",
        {
            "form": form,
            "monday": monday,
            "previous": monday - timedelta(days=7),
            "next": monday + timedelta(days=7),
            "days": selectors.week_roster(practice, monday),
            "plan": plan,
            "production": selectors.production_per_dagdeel(
                practice, until=monday - timedelta(days=1)
            ),
            "can_manage": capabilities.can_manage_roster(user),
        },
    )


@require_http_methods(["GET", "POST"])
def shifts(request: HttpRequest) -> HttpResponse:
    user, practice = acting_user_in_practice(request, capabilities.can_manage_roster)
    members = selectors.staff_to_roster(practice)
    morning = DAGDEEL_HOURS[Dagdeel.OCHTEND]
    initial = {"starts": morning[0], "ends": morning[1]}
    form = ShiftForm(request.POST or None, members=members, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.add_shift(
                member=data["member"],
                weekday=data["weekday"],
                task=data["task"],
                starts=data["starts"],
                ends=data["ends"],
                valid_from=data["valid_from"],
                valid_until=data["valid_until"],
                by=user,
            )
        except BusinessRuleError as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, _("De dienst is toegevoegd."))
            return redirect("roster:shifts")
    return render(
        request,
        "roster/shifts.html",
        {
            "form": form,
            "shifts": selectors.shifts_of(practice).order_by(
                "member__user__full_name", "weekday", "starts"
            ),
        },
    )


@require_POST
def remove_shift(request: HttpRequest, public_id: str) -> HttpResponse:
    user, _practice = acting_user_in_practice(request, capabilities.can_manage_roster)
    services.remove_shift(shift=selectors.get_shift_for(user, public_id), by=user)
    messages.success(request, _("De dienst is verwijderd."))
    return redirect("roster:shifts")


@require_http_methods(["GET", "POST"])
def leave(request: HttpRequest) -> HttpResponse:
    user, practice = acting_user_in_practice(request, capabilities.can_manage_roster)
    form = LeaveForm(request.POST or None, members=selectors.staff_to_roster(practice))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            _absence, standing = services.add_leave(
                member=data["member"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                kind=data["kind"],
                note=data["note"],
                by=user,
            )
        except BusinessRuleError as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, _("De afwezigheid is vastgelegd."))
            if standing:
                messages.warning(
                    request,
                    ngettext(
                        "Er staat nog %(n)d afspraak in deze periode: verzet die in de agenda.",
                        "Er staan nog %(n)d afspraken in deze periode: verzet ze in de agenda.",
                        standing,
                    )
                    % {"n": standing},
                )
            return redirect("roster:leave")
    return render(
        request,
        "roster/leave.html",
        {"form": form, "leave": absences_ahead(practice, today=timezone.localdate())},
    )


@require_POST
def remove_leave(request: HttpRequest, public_id: str) -> HttpResponse:
    user, _practice = acting_user_in_practice(request, capabilities.can_manage_roster)
    services.remove_leave(leave=selectors.get_leave_for(user, public_id), by=user)
    messages.success(request, _("De afwezigheid is verwijderd."))
    return redirect("roster:leave")


@require_GET
def meeting_planner(request: HttpRequest) -> HttpResponse:
    _user, practice = acting_user_in_practice(request, capabilities.can_view_roster)
    form = MeetingForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    day = data.get("week") or timezone.localdate() + timedelta(days=7)
    monday = selectors.monday_of(day)
    minutes = data.get("minutes") or 60
    return render(
        request,
        "roster/meeting.html",
        {
            "form": form if form.is_bound else MeetingForm(initial={"minutes": 60}),
            "monday": monday,
            "minutes": minutes,
            "blocks": selectors.quiet_blocks(practice, monday, minutes=minutes),
        },
    )
