"""The top floor's pages: the landing page, each role's start page, the audit-log pages,
health, and the error pages. What a start page offers comes from the apps (registry)."""

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
from django.views.decorators.http import require_GET, require_POST

from spreekuur.accounts import capabilities
from spreekuur.accounts.models import User
from spreekuur.accounts.selectors import practice_of, role_of, second_factor_done
from spreekuur.core import selectors as practice_selectors
from spreekuur.core.audit import record_denied
from spreekuur.core.audit_labels import with_labels
from spreekuur.core.current_hours import current_schedule
from spreekuur.core.exceptions import ChooseFirst
from spreekuur.core.models import Practice
from spreekuur.core.opening_hours import open_state, upcoming_deviations
from spreekuur.core.pagination import light_page
from spreekuur.patients.access_log import audit_entries_about
from spreekuur.patients.models import Patient
from spreekuur.patients.portal import SESSION_REPRESENTS, portal_subject, representations_of
from spreekuur.patients.selectors import patient_profile
from spreekuur.shell import audit_log, selectors, services
from spreekuur.shell.forms import PatientFinderForm
from spreekuur.shell.start import greeting, part_of_day, start_tiles, updates_for, work_queues

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
    # Nothing about the software or database behind it: a prober learns up or down only.
    return JsonResponse({"status": "ok", "database": "ok"})


@login_not_required
@require_GET
def landing(request: HttpRequest) -> HttpResponse:
    if second_factor_done(request.user):
        return redirect("shell:start")
    practices = Paginator(Practice.objects.only("slug", "name", "city"), 50).get_page(
        request.GET.get("pagina")
    )
    return render(request, "shell/landing.html", {"practices": practices})


@require_GET
def start(request: HttpRequest) -> HttpResponse:
    """Each role's start page: what is new for a patient, or today's work for staff."""
    user: User = request.user  # type: ignore[assignment]
    practice = practice_of(user)
    if practice is None:
        if capabilities.uses_portal(user):  # acts for others only: choose for whom
            return redirect("patients:acting_for")
        # Someone of no practice whom an app gives work (a care group's analyst): the
        # tasks those apps offer; anyone else has no business here.
        tiles = start_tiles(request)
        if not tiles:
            raise PermissionDenied
        return render(
            request,
            "shell/start_other.html",
            {"greeting": greeting(user, role_of(user)), "tiles": tiles},
        )
    schedule = current_schedule(practice)  # the footer's read of the hours, cached
    state = open_state(schedule, timezone.localtime())
    patient = patient_profile(user)
    if patient is not None:
        return _patient_start(request, user, patient, practice, state)
    return render(
        request,
        "shell/start_staff.html",
        {
            "practice": practice,
            "state": state,
            "greeting": greeting(user, role_of(user)),
            "deviations": upcoming_deviations(schedule, timezone.localdate(), days=14),
            "news": practice_selectors.published_news(practice, limit=3),
            "tiles": start_tiles(request),
            **work_queues(user),
        },
    )


def _patient_start(
    request: HttpRequest, user: User, patient: Patient, practice: Practice, state: object
) -> HttpResponse:
    represents = representations_of(user)
    # Remembered for the menu, so other pages need no query to show "Namens wie"; written
    # only when it changed, as every write of the session is a transaction of its own.
    if request.session.get(SESSION_REPRESENTS) != bool(represents):
        request.session[SESSION_REPRESENTS] = bool(represents)
    context = {"patient": patient, "practice": practice, "state": state}
    context |= {"represents": represents, "tiles": start_tiles(request)}
    context |= {"part_of_day": part_of_day(timezone.now()), "updates": updates_for(user, patient)}
    return render(request, "shell/start_patient.html", context)


@require_GET
def my_audit_log(request: HttpRequest) -> HttpResponse:
    """'Wie heeft mijn dossier bekeken': the patient's own access log (reading it is logged)."""
    subject = portal_subject(request)
    user, patient = subject.user, subject.patient
    page = light_page(audit_entries_about(patient), request.GET.get("pagina"), AUDIT_PAGE_SIZE)
    # Read before this visit is itself logged.
    entries = with_labels(page.object_list, for_patient=True)
    services.record_audit_log_read(patient=patient, by=user, **subject.audit())
    return render(
        request,
        "shell/my_audit_log.html",
        {"page": page, "entries": entries, "patient": patient, "subject": subject},
    )


@require_GET
def audit_search(request: HttpRequest) -> HttpResponse:
    """The manager's search in the practice log; the search is itself logged."""
    user, practice = capabilities.acting_user_in_practice(
        request, capabilities.can_search_audit_log
    )
    search = audit_log.search(request, by=user, practice=practice)
    page = light_page(search.entries, request.GET.get("pagina"), AUDIT_PAGE_SIZE)
    found = with_labels(page.object_list)
    services.record_audit_log_search(practice=practice, patient=search.patient, by=user)
    query = request.GET.copy()
    query.pop("pagina", None)
    return render(
        request,
        "shell/audit_search.html",
        {
            "form": search.form,
            "finder": PatientFinderForm(),
            "page": page,
            "entries": found,
            "patient": search.patient,
            "query": query.urlencode(),
        },
    )


@require_POST
def audit_find_patient(request: HttpRequest) -> HttpResponse:
    """Find the patient whose log lines to show, by name, BSN or date of birth: by POST,
    so the question never stands in a URL; the patients shown are logged."""
    user, practice = capabilities.acting_user_in_practice(
        request, capabilities.can_search_audit_log
    )
    finding = audit_log.find_patients(request, by=user)
    shown = list(finding.page) if finding.page is not None else []
    if finding.page is not None:
        services.record_audit_log_patient_search(practice=practice, shown=shown, by=user)
    return render(
        request,
        "shell/audit_search.html",
        {
            "form": audit_log.empty_filters(practice),
            "finder": finding.form,
            "found": finding.page,
            "searched": True,
        },
    )


@require_GET
def failed_notifications(request: HttpRequest) -> HttpResponse:
    """E-mail and SMS that did not leave after every attempt, for the desk to follow up."""
    user = capabilities.acting_user(request, capabilities.can_follow_notifications)
    page = light_page(
        selectors.failed_notifications(by=user), request.GET.get("pagina"), AUDIT_PAGE_SIZE
    )
    return render(request, "shell/failed_notifications.html", {"page": page})


@require_POST
def retry_notification(request: HttpRequest, public_id: str) -> HttpResponse:
    user = capabilities.acting_user(request, capabilities.can_follow_notifications)
    notification = selectors.get_failed_notification_for(user, public_id)
    services.retry_notification(notification=notification, by=user)
    messages.success(request, _("Het bericht wordt opnieuw verzonden."))
    return redirect("shell:failed_notifications")


@login_not_required
def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(
        request, "shell/error.html", {"status": 404, "title": _("Pagina niet gevonden")}, status=404
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
        request, "shell/error.html", {"status": 403, "title": _("Geen toegang")}, status=403
    )
