from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from spreekuur.accounts import capabilities
from spreekuur.accounts.models import User
from spreekuur.accounts.selectors import (
    patient_profile,
    practice_of,
    second_factor_done,
    staff_of,
)
from spreekuur.core import selectors, services
from spreekuur.core.audit import record_denied
from spreekuur.core.audit_labels import (
    CLINICAL_KINDS,
    object_kind_label,
    patient_object_kind_label,
)
from spreekuur.core.exceptions import BusinessRuleError, ChooseFirst
from spreekuur.core.forms import (
    AuditSearchForm,
    NewsItemForm,
    OpeningExceptionForm,
    PracticeDetailsForm,
)
from spreekuur.core.models import AuditEntry, Practice
from spreekuur.core.opening_hours import open_state, upcoming_deviations, week_ahead
from spreekuur.core.pagination import light_page
from spreekuur.core.roles import role_label
from spreekuur.core.weekly_hours import format_day

AUDIT_PAGE_SIZE = 50


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any database failure means "not healthy"
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok", "vendor": connection.vendor})


@login_not_required
@require_GET
def landing(request: HttpRequest) -> HttpResponse:
    if second_factor_done(request.user):
        return redirect("core:start")
    practices = Paginator(Practice.objects.only("slug", "name", "city"), 50).get_page(
        request.GET.get("pagina")
    )
    return render(request, "core/landing.html", {"practices": practices})


@require_GET
def start(request: HttpRequest) -> HttpResponse:
    """Each role's start page: what a patient can do, or today's work for staff."""
    user: User = request.user  # type: ignore[assignment]
    practice = practice_of(user)
    if practice is None:
        if capabilities.uses_portal(user):  # acts for others only: choose for whom
            return redirect("patients:acting_for")
        raise PermissionDenied
    schedule = selectors.schedule_for(practice)
    state = open_state(schedule, timezone.localtime())
    patient = patient_profile(user)
    if patient is not None:
        from spreekuur.patients.portal import SESSION_REPRESENTS, representations_of

        represents = representations_of(user)
        # Remembered for the menu, so other pages need no query to show "Namens wie".
        request.session[SESSION_REPRESENTS] = bool(represents)
        return render(
            request,
            "core/start_patient.html",
            {
                "patient": patient,
                "practice": practice,
                "state": state,
                "represents": represents,
            },
        )
    from spreekuur.patients.selectors import open_activations, patients_for_staff

    return render(
        request,
        "core/start_staff.html",
        {
            "practice": practice,
            "state": state,
            "deviations": upcoming_deviations(schedule, timezone.localdate(), days=14),
            "patient_count": patients_for_staff(by=user).count(),
            "portal_count": patients_for_staff(by=user).filter(user__isnull=False).count(),
            "open_activation_count": open_activations(by=user).count(),
            "news": selectors.published_news(practice, limit=3),
            "can_view_patients": capabilities.can_view_patient_list(user),
            "can_manage_staff": capabilities.can_manage_staff(user),
            "can_search_audit": capabilities.can_search_audit_log(user),
        },
    )


@login_not_required
@require_GET
def practice_page(request: HttpRequest, slug: str) -> HttpResponse:
    """The practice's public website page: hours, emergencies, news. No patient data."""
    practice = selectors.get_public_practice(slug)
    schedule = selectors.schedule_for(practice)
    today = timezone.localdate()
    return render(
        request,
        "core/practice_page.html",
        {
            "practice": practice,
            "state": open_state(schedule, timezone.localtime()),
            "week": week_ahead(schedule, today),
            "deviations": upcoming_deviations(schedule, today, days=60),
            "news": selectors.published_news(practice),
            "today": today,
        },
    )


def _with_labels(entries: list[AuditEntry], *, for_patient: bool = False) -> list[AuditEntry]:
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


@require_GET
def my_audit_log(request: HttpRequest) -> HttpResponse:
    """'Wie heeft mijn dossier bekeken': the patient's own access log (reading it is logged)."""
    from spreekuur.patients.portal import portal_subject

    subject = portal_subject(request)
    user, patient = subject.user, subject.patient
    page = light_page(
        selectors.audit_entries_about(patient), request.GET.get("pagina"), AUDIT_PAGE_SIZE
    )
    # Read before this visit is itself logged.
    entries = _with_labels(page.object_list, for_patient=True)
    services.record_audit_log_read(patient=patient, by=user, **subject.audit())
    return render(
        request,
        "core/my_audit_log.html",
        {"page": page, "entries": entries, "patient": patient, "subject": subject},
    )


@require_GET
def audit_search(request: HttpRequest) -> HttpResponse:
    """The manager's search in the practice log; the search is itself logged."""
    user = capabilities.acting_user(request, capabilities.can_search_audit_log)
    practice = practice_of(user)
    if practice is None:
        raise PermissionDenied
    staff = list(staff_of(practice))
    form = AuditSearchForm(
        request.GET or None,
        actor_choices=[(str(m.user.public_id), m.user.full_name) for m in staff],
    )
    entries = AuditEntry.objects.none()
    patient = None
    if form.is_bound and form.is_valid():
        from spreekuur.patients.selectors import get_patient_for

        data = form.cleaned_data
        actor = next((m.user for m in staff if str(m.user.public_id) == data["actor"]), None)
        patient = get_patient_for(user, data["patient"]) if data["patient"] else None
        entries = selectors.search_audit_log(
            practice=practice,
            action=data["action"],
            actor=actor,
            patient=patient,
            date_from=data["date_from"],
            date_to=data["date_to"],
        )
    elif not form.is_bound:
        entries = selectors.search_audit_log(practice=practice)
    page = light_page(entries, request.GET.get("pagina"), AUDIT_PAGE_SIZE)
    found = _with_labels(page.object_list)
    services.record_audit_log_search(practice=practice, patient=patient, by=user)
    query = request.GET.copy()
    query.pop("pagina", None)
    return render(
        request,
        "core/audit_search.html",
        {
            "form": form,
            "page": page,
            "entries": found,
            "patient": patient,
            "query": query.urlencode(),
        },
    )


def _page_manager(request: HttpRequest) -> tuple[User, Practice]:
    return capabilities.acting_user_in_practice(request, capabilities.can_manage_practice_page)


@require_http_methods(["GET", "POST"])
def manage_page(request: HttpRequest) -> HttpResponse:
    """The manager keeps the public page current: news and days with other hours."""
    user, practice = _page_manager(request)
    news_form = NewsItemForm(
        request.POST if request.POST.get("form") == "news" else None,
        initial={"published_on": timezone.localdate()},
    )
    exception_form = OpeningExceptionForm(
        request.POST if request.POST.get("form") == "exception" else None
    )
    if news_form.is_bound and news_form.is_valid():
        services.publish_news_item(practice=practice, by=user, **news_form.cleaned_data)
        messages.success(request, _("Het nieuwsbericht is geplaatst."))
        return redirect("core:manage_page")
    if exception_form.is_bound and exception_form.is_valid():
        try:
            services.set_opening_exception(
                practice=practice, by=user, **exception_form.cleaned_data
            )
        except BusinessRuleError as error:
            exception_form.add_error(None, str(error))
        else:
            messages.success(request, _("De afwijkende openingstijd is opgeslagen."))
            return redirect("core:manage_page")
    schedule = selectors.schedule_for(practice)
    return render(
        request,
        "core/manage_page.html",
        {
            "practice": practice,
            "news_form": news_form,
            "exception_form": exception_form,
            "news": selectors.all_news(practice)[:20],
            "deviations": upcoming_deviations(schedule, timezone.localdate(), days=120),
        },
    )


@require_http_methods(["GET", "POST"])
def practice_details(request: HttpRequest) -> HttpResponse:
    """Contact details, the out-of-hours service, the house colour and weekly hours."""
    user, practice = _page_manager(request)
    initial: dict[str, object] = {
        field: getattr(practice, field) for field in services.EDITABLE_PRACTICE_FIELDS
    }
    schedule = selectors.schedule_for(practice)
    for weekday in range(7):
        initial[f"hours_{weekday}"] = format_day(list(schedule.weekly.get(weekday, [])))
    form = PracticeDetailsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.update_practice_details(
            practice=practice,
            details={
                field: form.cleaned_data[field] for field in services.EDITABLE_PRACTICE_FIELDS
            },
            weekly=form.cleaned_data["weekly"],
            by=user,
        )
        messages.success(request, _("De praktijkgegevens zijn opgeslagen."))
        return redirect("core:practice_details")
    return render(request, "core/practice_details.html", {"form": form, "practice": practice})


@require_POST
def remove_news(request: HttpRequest, public_id: str) -> HttpResponse:
    user, practice = _page_manager(request)
    item = selectors.get_news_item_for(practice, public_id)
    services.remove_news_item(item=item, by=user)
    messages.success(request, _("Het nieuwsbericht is verwijderd."))
    return redirect("core:manage_page")


@login_not_required
def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(
        request, "core/error.html", {"status": 404, "title": _("Pagina niet gevonden")}, status=404
    )


@login_not_required
def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if isinstance(exception, ChooseFirst):
        messages.info(request, exception.message)
        return redirect(exception.url)
    if request.user.is_authenticated:
        match = request.resolver_match
        # The ids asked for (a patient's, an object's) say whose data was refused; only
        # public ids, never another kind of URL part (a token, a slug).
        asked = [v for v in match.kwargs.values() if isinstance(v, UUID)] if match else []
        record_denied(
            actor=request.user,
            object_kind="page",
            object_ids=[str(value) for value in asked],
            detail=match.view_name if match is not None else "",
        )
    return render(
        request, "core/error.html", {"status": 403, "title": _("Geen toegang")}, status=403
    )
