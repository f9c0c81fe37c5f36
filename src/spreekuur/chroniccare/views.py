"""Chronic care over HTTP: the programmes and their participants, the decision about a
suggested patient, the due list with invitations, the POH's control consult, the letter,
and the patient's own view."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from spreekuur.accounts.capabilities import acting_user, acting_user_in_practice
from spreekuur.accounts.models import User
from spreekuur.agenda.models import AppointmentType
from spreekuur.chroniccare import reports, selectors, services
from spreekuur.chroniccare.capabilities import (
    can_see_due_lists,
    can_see_indicators,
    can_work_in_programmes,
)
from spreekuur.chroniccare.forms import (
    ControlForm,
    DeclineForm,
    EndForm,
    EnrolForm,
    GoalForm,
    InviteForm,
)
from spreekuur.chroniccare.indicators import SUPPRESS_BELOW
from spreekuur.chroniccare.models import GoalStatus, InvitationChannel
from spreekuur.chroniccare.planning import months_after
from spreekuur.chroniccare.programmes import Programme, programmes
from spreekuur.core.exceptions import BusinessRuleError
from spreekuur.core.spreadsheets import safe_cell
from spreekuur.dashboard.capabilities import can_view_region
from spreekuur.dashboard.forms import PeriodForm
from spreekuur.dashboard.periods import period_named
from spreekuur.dashboard.selectors import region_of
from spreekuur.patients.portal import portal_subject
from spreekuur.patients.selectors import get_patient_for

PAGE_SIZE = 50


def _scheme(code: str) -> Programme:
    found = programmes().get(code)
    if found is None:
        raise Http404
    return found


@require_http_methods(["GET"])
def overview(request: HttpRequest) -> HttpResponse:
    """The programmes with how many take part, wait for a decision, and are due."""
    user, practice = acting_user_in_practice(request, can_see_due_lists)
    today = timezone.localdate()
    due = selectors.due_counts(practice, today=today)
    rows = [
        {
            "scheme": scheme,
            "participants": selectors.enrolments_in(practice, scheme.code).count(),
            "suggested": selectors.suggested_patients(practice, scheme.code).count(),
            "due": due.get(scheme.code, 0),
        }
        for scheme in programmes().values()
    ]
    return render(
        request,
        "chroniccare/overview.html",
        {
            "rows": rows,
            "can_work": can_work_in_programmes(user),
            "can_see_indicators": can_see_indicators(user),
        },
    )


@require_http_methods(["GET"])
def programme_page(request: HttpRequest, code: str) -> HttpResponse:
    """One programme: who takes part, or (`?lijst=voorgesteld`) who is suggested from
    their episodes and waits for the POH's or GP's decision."""
    user, practice = acting_user_in_practice(request, can_work_in_programmes)
    scheme = _scheme(code)
    suggested = request.GET.get("lijst") == "voorgesteld"
    if suggested:
        rows: Any = selectors.suggested_patients(practice, code)
    else:
        rows = selectors.enrolments_in(practice, code)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("pagina"))
    if suggested:
        services.record_programme_read(
            by=user,
            object_kind="patient",
            object_ids=[patient.public_id for patient in page],
            detail=f"{code}: voorgesteld",
        )
    else:
        services.record_programme_read(
            by=user,
            object_kind="enrolment",
            object_ids=[
                *(e.public_id for e in page),
                *(e.patient.public_id for e in page),
            ],
            detail=code,
        )
    return render(
        request,
        "chroniccare/programme.html",
        {
            "scheme": scheme,
            "page": page,
            "suggested": suggested,
            "query": "lijst=voorgesteld" if suggested else "",
            "counts": {
                "participants": selectors.enrolments_in(practice, code).count(),
                "suggested": selectors.suggested_patients(practice, code).count(),
            },
        },
    )


@require_http_methods(["GET", "POST"])
def decide(request: HttpRequest, code: str, public_id: str) -> HttpResponse:
    """Take part, or not: the decision about a patient the programme suggests (or
    enrolling a patient by hand from the record)."""
    user, practice = acting_user_in_practice(request, can_work_in_programmes)
    scheme = _scheme(code)
    patient = get_patient_for(user, public_id)
    staff = selectors.care_staff(practice)
    choices = [(str(m.public_id), f"{m.user.full_name} ({m.get_role_display()})") for m in staff]
    own = next((str(m.public_id) for m in staff if m.user_id == user.pk), "")
    chosen = request.POST.get("besluit", "") if request.method == "POST" else ""
    enrol_form = EnrolForm(
        request.POST if chosen == "doet-mee" else None,
        practitioners=choices,
        initial={
            "started_on": timezone.localdate(),
            "main_practitioner": own,
            "financing_period": str(timezone.localdate().year),
        },
    )
    decline_form = DeclineForm(request.POST if chosen == "doet-niet-mee" else None)
    try:
        if chosen == "doet-mee" and enrol_form.is_valid():
            data = enrol_form.cleaned_data
            enrolment = services.enrol_patient(
                patient=patient,
                programme=code,
                started_on=data["started_on"],
                by=user,
                main_practitioner=next(
                    (m for m in staff if str(m.public_id) == data["main_practitioner"]), None
                ),
                care_group=data["care_group"],
                financing_period=data["financing_period"],
            )
            messages.success(
                request,
                _("%(name)s doet mee aan %(programme)s.")
                % {"name": patient.display_name, "programme": scheme.name},
            )
            return redirect("chroniccare:control", public_id=enrolment.public_id)
        if chosen == "doet-niet-mee" and decline_form.is_valid():
            services.decline_enrolment(
                patient=patient,
                programme=code,
                reason=decline_form.cleaned_data["reason"],
                by=user,
            )
            messages.success(
                request,
                _("Vastgelegd: %(name)s doet niet mee.") % {"name": patient.display_name},
            )
            return redirect(f"{reverse('chroniccare:programme', args=[code])}?lijst=voorgesteld")
    except BusinessRuleError as refused:
        messages.error(request, str(refused))
    services.record_programme_read(
        by=user, patient=patient, object_kind="patient", object_ids=[patient.public_id]
    )
    return render(
        request,
        "chroniccare/decide.html",
        {
            "scheme": scheme,
            "patient": patient,
            "enrol_form": enrol_form,
            "decline_form": decline_form,
            "episodes": selectors.programme_episodes(patient, scheme),
        },
    )


@require_http_methods(["GET", "POST"])
def due_list(request: HttpRequest) -> HttpResponse:
    """Who is due for a control or the annual check-up, per practitioner and programme,
    with one action per patient: invite them (portal or letter)."""
    user, practice = acting_user_in_practice(request, can_see_due_lists)
    staff = selectors.care_staff(practice)
    params = request.GET
    practitioner = next((m for m in staff if str(m.public_id) == params.get("wie")), None)
    code = params.get("programma", "")
    code = code if code in programmes() else ""
    types = selectors.invite_types(practice)
    preferred = [t for t in types if t.online_bookable] or types
    appointment_type = next(
        (t for t in types if str(t.public_id) == params.get("soort")),
        preferred[0] if preferred else None,
    )
    if request.method == "POST":
        return _invite(request, user, appointment_type)
    today = timezone.localdate()
    due = selectors.due_list(practice, today=today, practitioner=practitioner, programme_code=code)
    page = Paginator(due, PAGE_SIZE).get_page(params.get("pagina"))
    shown = [(d, d.enrolment) for d in selectors.due_rows(page.object_list, today=today)]
    services.record_programme_read(
        by=user,
        object_kind="enrolment",
        object_ids=[
            *(enrolment.public_id for _d, enrolment in shown if enrolment),
            *(enrolment.patient.public_id for _d, enrolment in shown if enrolment),
        ],
        detail="oproeplijst",
    )
    query = {
        key: value
        for key, value in (
            ("wie", practitioner and str(practitioner.public_id)),
            ("programma", code),
            ("soort", appointment_type and str(appointment_type.public_id)),
        )
        if value
    }
    return render(
        request,
        "chroniccare/due_list.html",
        {
            "page": page,
            "rows": [d for d, _enrolment in shown],
            "today": today,
            "staff": staff,
            "practitioner": practitioner,
            "code": code,
            "schemes": programmes(),
            "types": types,
            "appointment_type": appointment_type,
            "query": urlencode(query),
            "can_work": can_work_in_programmes(user),
        },
    )


def _invite(
    request: HttpRequest, user: User, appointment_type: AppointmentType | None
) -> HttpResponse:
    enrolment = selectors.get_enrolment_for(user, request.POST.get("deelname", ""))
    form = InviteForm(request.POST)
    back = f"{reverse('chroniccare:due_list')}?{request.GET.urlencode()}"
    if not form.is_valid():
        messages.error(request, _("Kies hoe u de patiënt uitnodigt."))
        return redirect(back)
    due = selectors.next_due_of(enrolment, today=timezone.localdate())
    channel = form.cleaned_data["channel"]
    try:
        invitation = services.invite(
            enrolment=enrolment,
            kind=due.kind,
            due_on=due.due_on,
            channel=channel,
            by=user,
            appointment_type=appointment_type,
        )
    except BusinessRuleError as refused:
        messages.error(request, str(refused))
        return redirect(back)
    if channel == InvitationChannel.LETTER:
        return redirect("chroniccare:letter", public_id=invitation.public_id)
    messages.success(
        request,
        _("%(name)s is uitgenodigd in het portaal.") % {"name": enrolment.patient.display_name},
    )
    return redirect(back)


CONTROL_FORMS = ("controle", "doel", "doel-afsluiten", "stoppen")


@require_http_methods(["GET", "POST"])
def control(request: HttpRequest, public_id: str) -> HttpResponse:
    """The control consult: what is due, every measurement's trend with its target, the
    care plan, and one form that records the control (POST `formulier`: controle, doel,
    doel-afsluiten, stoppen)."""
    user, _practice = acting_user_in_practice(request, can_work_in_programmes)
    enrolment = selectors.get_enrolment_for(user, public_id)
    today = timezone.localdate()
    page = selectors.control_page(enrolment, today=today)
    tests = {trend.test.nhg_code: trend.test for trend in page.trends}
    chosen = request.POST.get("formulier", "") if request.method == "POST" else ""
    if chosen and chosen not in CONTROL_FORMS:
        chosen = ""
    control_form = ControlForm(
        request.POST if chosen == "controle" else None,
        scheme=page.scheme,
        tests=tests,
        initial={
            "kind": page.due.kind,
            "held_on": today,
            "next_on": months_after(today, page.scheme.control_every_months),
        },
    )
    goal_form = GoalForm(request.POST if chosen == "doel" else None)
    end_form = EndForm(request.POST if chosen == "stoppen" else None)
    if chosen:
        done = _act_on_control(request, user, enrolment, chosen, control_form, goal_form, end_form)
        if done is not None:
            return done
    services.record_programme_read(
        by=user,
        patient=enrolment.patient,
        object_kind="enrolment",
        object_ids=page.object_ids(),
        detail=f"{enrolment.programme}: controle",
    )
    return render(
        request,
        "chroniccare/control.html",
        {
            "page": page,
            "enrolment": enrolment,
            "patient": enrolment.patient,
            "control_form": control_form,
            "goal_form": goal_form,
            "end_form": end_form,
            "today": today,
            "goal_statuses": [
                (GoalStatus.REACHED, _("Bereikt")),
                (GoalStatus.STOPPED, _("Gestopt")),
            ],
        },
    )


def _act_on_control(
    request: HttpRequest,
    user: User,
    enrolment: Any,
    chosen: str,
    control_form: ControlForm,
    goal_form: GoalForm,
    end_form: EndForm,
) -> HttpResponse | None:
    """The POST of the control page; a redirect when it was saved, None to show the page
    again with the form's errors or the refusal."""
    again = redirect("chroniccare:control", public_id=enrolment.public_id)
    try:
        if chosen == "controle" and control_form.is_valid():
            data = control_form.cleaned_data
            services.record_control(
                enrolment=enrolment,
                kind=data["kind"],
                held_on=data["held_on"],
                measurements=control_form.measurements(),
                by=user,
                advice=data["advice"],
                next_on=data["next_on"],
            )
            messages.success(request, _("De controle is vastgelegd."))
            return again
        if chosen == "doel" and goal_form.is_valid():
            data = goal_form.cleaned_data
            services.add_goal(
                enrolment=enrolment,
                text=data["text"],
                action=data["action"],
                review_on=data["review_on"],
                by=user,
            )
            messages.success(request, _("Het doel staat in het zorgplan."))
            return again
        if chosen == "doel-afsluiten":
            goal = selectors.get_goal_for(user, enrolment, request.POST.get("doel", ""))
            services.close_goal(goal=goal, status=request.POST.get("status", ""), by=user)
            messages.success(request, _("Het doel is afgesloten."))
            return again
        if chosen == "stoppen" and end_form.is_valid():
            data = end_form.cleaned_data
            services.end_enrolment(
                enrolment=enrolment, ended_on=data["ended_on"], reason=data["end_reason"], by=user
            )
            messages.success(request, _("De deelname is gestopt."))
            return redirect("chroniccare:programme", code=enrolment.programme)
    except BusinessRuleError as refused:
        messages.error(request, str(refused))
    return None


@require_http_methods(["GET"])
def letter(request: HttpRequest, public_id: str) -> HttpResponse:
    """The invitation as a letter to print and post (name and address: paper only)."""
    user, practice = acting_user_in_practice(request, can_see_due_lists)
    invitation = selectors.get_invitation_for(user, practice, public_id)
    services.record_programme_read(
        by=user,
        patient=invitation.patient,
        object_kind="chronic_invitation",
        object_ids=[invitation.public_id],
        detail="brief",
    )
    return render(
        request,
        "chroniccare/letter.html",
        {
            "invitation": invitation,
            "patient": invitation.patient,
            "practice": practice,
            "scheme": _scheme(invitation.enrolment.programme),
            "today": timezone.localdate(),
        },
    )


@require_http_methods(["GET"])
def my_programmes(request: HttpRequest) -> HttpResponse:
    """The patient's programmes: since when, their own goals, the next control, an
    invitation to book it, and their own values with the targets."""
    subject = portal_subject(request)
    patient = subject.patient
    shown = selectors.my_programmes(patient, today=timezone.localdate())
    if shown:
        services.record_programme_read(
            by=subject.user,
            patient=patient,
            object_kind="enrolment",
            object_ids=[
                *(p.enrolment.public_id for p in shown),
                *(goal.public_id for p in shown for goal in p.goals),
            ],
            **subject.audit(),
        )
    return render(
        request,
        "chroniccare/my_programmes.html",
        {
            "programmes": shown,
            "subject": subject,
            "practice": patient.practice,
            "soon": timezone.localdate() + timedelta(days=selectors.DUE_WITHIN_DAYS),
        },
    )


# --- Quality indicators: the practice's own, its export, and the care group's region -----------


def _indicator_period(request: HttpRequest) -> tuple[PeriodForm, date, date]:
    """The period asked for (a named one, or from and to), or the 12 months up to today,
    as care groups look back."""
    form = PeriodForm(request.GET or None)
    today = timezone.localdate()
    if form.is_bound and form.is_valid():
        first, last = form.cleaned_data.get("van"), form.cleaned_data.get("tot")
        if first and last:
            return form, first, last
        named = form.cleaned_data.get("periode")
        if named:
            period = period_named(named, today)
            return form, period.first, period.last
    return form, today - timedelta(days=364), today


@require_http_methods(["GET"])
def indicators(request: HttpRequest) -> HttpResponse:
    """The practice's indicators per programme for a period (counts, no patient)."""
    _user, practice = acting_user_in_practice(request, can_see_indicators)
    form, first, last = _indicator_period(request)
    return render(
        request,
        "chroniccare/indicators.html",
        {
            "form": form,
            "first": first,
            "last": last,
            "figures": reports.practice_figures(practice, first, last),
            "query": urlencode({"van": first.isoformat(), "tot": last.isoformat()}),
            "threshold": SUPPRESS_BELOW,
        },
    )


def _download(content: str, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_http_methods(["GET"])
def indicators_csv(request: HttpRequest) -> HttpResponse:
    """The export for the care group: anonymised, small counts suppressed."""
    _user, practice = acting_user_in_practice(request, can_see_indicators)
    _form, first, last = _indicator_period(request)
    return _download(
        "\ufeff" + reports.indicators_csv(practice, first, last),  # Excel reads UTF-8 by the BOM
        "text/csv; charset=utf-8",
        f"ketenzorg-{practice.agb_code}-{first}-{last}.csv",
    )


@require_http_methods(["GET"])
def indicators_fhir(request: HttpRequest) -> HttpResponse:
    """The same export as FHIR R4 MeasureReports in a collection Bundle."""
    _user, practice = acting_user_in_practice(request, can_see_indicators)
    _form, first, last = _indicator_period(request)
    return _download(
        json.dumps(reports.indicators_bundle(practice, first, last), ensure_ascii=False),
        "application/fhir+json; charset=utf-8",
        f"ketenzorg-{practice.agb_code}-{first}-{last}.json",
    )


def _region_request(request: HttpRequest) -> tuple[Any, Programme, date, date, PeriodForm]:
    user = acting_user(request, can_view_region)
    region = region_of(user)
    code = request.GET.get("programma", "")
    scheme = programmes().get(code) or next(iter(programmes().values()))
    form, first, last = _indicator_period(request)
    return region, scheme, first, last, form


@require_http_methods(["GET"])
def region_indicators(request: HttpRequest) -> HttpResponse:
    """The care group's view: per programme, every practice's indicators side by side
    and the region's, anonymised and suppressed."""
    region, scheme, first, last, form = _region_request(request)
    view = reports.region_programme(selectors.region_practices(region), scheme, first, last)
    query = {"programma": scheme.code, "van": first.isoformat(), "tot": last.isoformat()}
    return render(
        request,
        "chroniccare/region.html",
        {
            "region": region,
            "view": view,
            "form": form,
            "first": first,
            "last": last,
            "schemes": programmes(),
            "period_query": urlencode({"van": first.isoformat(), "tot": last.isoformat()}),
            "query": urlencode(query),
            "threshold": SUPPRESS_BELOW,
        },
    )


@require_http_methods(["GET"])
def region_indicators_csv(request: HttpRequest) -> HttpResponse:
    region, scheme, first, last, _form = _region_request(request)
    view = reports.region_programme(selectors.region_practices(region), scheme, first, last)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow([_("Praktijk"), *view.labels])
    for name, cells in [*view.rows, (f"{region.name} (regio)", view.total)]:
        writer.writerow([safe_cell(name), *(cell.text for cell in cells)])
    return _download(
        "\ufeff" + out.getvalue(),
        "text/csv; charset=utf-8",
        f"ketenzorg-{scheme.code}-{first}-{last}.csv",
    )
