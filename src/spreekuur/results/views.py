"""Results over HTTP: the GP's review list, a result with its history, the work list of
lab messages, a patient's results for staff, the patient's own results, and the lab door."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from spreekuur.accounts.capabilities import acting_user
from spreekuur.accounts.models import User
from spreekuur.core.exceptions import BusinessRuleError
from spreekuur.patients.models import Patient
from spreekuur.patients.portal import portal_subject
from spreekuur.patients.selectors import get_patient_for, search_patients
from spreekuur.patients.services import record_patient_search
from spreekuur.results import capabilities, selectors, services
from spreekuur.results.charts import trend_chart
from spreekuur.results.forms import (
    CloseMessageForm,
    FindPatientForm,
    PanelReviewForm,
    ReviewForm,
)
from spreekuur.results.models import OPEN_STATUSES, LabMessage, LabResult, MessageStatus

PAGE_SIZE = 50


def _log_read(
    user: User,
    kind: str,
    ids: Sequence[object],
    patient: Patient | None = None,
    *,
    actor_role: str | None = None,
    detail: str = "",
) -> None:
    services.record_results_read(
        by=user,
        object_kind=kind,
        object_ids=ids,
        patient=patient,
        actor_role=actor_role,
        detail=detail,
    )


def _everyone(request: HttpRequest) -> bool:
    """The whole practice's list (a locum), kept from the list through the review."""
    return (request.GET.get("iedereen") or request.POST.get("iedereen")) == "1"


@require_http_methods(["GET"])
def review_list(request: HttpRequest) -> HttpResponse:
    """'Uitslagen te beoordelen' per patient and lab order, the most urgent patient first."""
    user = acting_user(request, capabilities.can_review_results)
    everyone = _everyone(request)
    page = Paginator(selectors.review_queue(by=user, everyone=everyone), PAGE_SIZE).get_page(
        request.GET.get("pagina")
    )
    # The patients shown are named too, as in any list (their ids with the results').
    shown = [row.public_id for panel in page for row in panel.results]
    shown += list(dict.fromkeys(panel.patient.public_id for panel in page))
    _log_read(user, "labresult", shown)
    return render(
        request,
        "results/review_list.html",
        {
            "page": page,
            "everyone": everyone,
            "waiting": sum(len(panel.results) for panel in page.paginator.object_list),
            "query": "iedereen=1" if everyone else "",
        },
    )


@require_http_methods(["GET", "POST"])
def panel_review(request: HttpRequest, public_id: str) -> HttpResponse:
    """All results of one lab order together, the abnormal ones marked; the GP writes one
    comment and reviews (and releases) the chosen ones at once."""
    user = acting_user(request, capabilities.can_read_results)
    panel = selectors.get_panel_for_staff(user, public_id)
    awaiting = [str(result.public_id) for result in panel.awaiting]
    form = PanelReviewForm(request.POST or None, awaiting=awaiting)
    if request.method == "POST":
        if not capabilities.can_review_results(user):
            raise PermissionDenied
        chosen = [r for r in panel.awaiting if str(r.public_id) in request.POST.getlist("results")]
        reviewed = _review(request, user, chosen, form)
        if reviewed is not None:
            return reviewed
    _log_read(user, "labresult", [r.public_id for r in panel.results], panel.patient)
    return render(
        request,
        "results/panel_review.html",
        {
            "panel": panel,
            "form": form,
            "chosen": form["results"].value() or [],
            "everyone": _everyone(request),
            "can_review": capabilities.can_review_results(user) and bool(awaiting),
        },
    )


@require_http_methods(["GET", "POST"])
def result_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    """One result with the patient's earlier values; the GP comments and releases here."""
    user = acting_user(request, capabilities.can_read_results)
    result = selectors.get_result_for_staff(user, public_id)
    form = ReviewForm(request.POST or None)
    if request.method == "POST":
        if not capabilities.can_review_results(user):
            raise PermissionDenied
        reviewed = _review(request, user, [result], form)
        if reviewed is not None:
            return reviewed
    history = selectors.history_for_staff(result)
    _log_read(
        user, "labresult", [result.public_id, *(r.public_id for r in history)], result.patient
    )
    return render(
        request,
        "results/result_detail.html",
        {
            "result": result,
            "history": history,
            "chart": trend_chart([*reversed(history), result]),
            "form": form,
            "can_review": capabilities.can_review_results(user) and result.awaits_review,
        },
    )


def _review(
    request: HttpRequest, user: User, results: list[LabResult], form: ReviewForm
) -> HttpResponse | None:
    """The GP's one comment on these results, released or not; then the next in the queue:
    the same patient while anything of theirs waits, else the next patient. None shows the
    page again (the form's errors, or a refusal in the messages)."""
    if not form.is_valid() or not results:
        return None
    release = request.POST.get("vrijgeven") != "nee"
    try:
        services.review_results(
            results=results, comment=form.cleaned_data["text"], release=release, by=user
        )
    except BusinessRuleError as refused:
        messages.error(request, str(refused))
        return None
    messages.success(request, _reviewed_message(release, len(results)))
    everyone = _everyone(request)
    following = selectors.next_panel(by=user, patient=results[0].patient, everyone=everyone)
    query = "?iedereen=1" if everyone else ""
    if following is not None:
        return redirect(reverse("results:panel_review", args=[following.public_id]) + query)
    return redirect(reverse("results:review_list") + query)


def _reviewed_message(release: bool, count: int) -> str:
    if release:
        return ngettext(
            "Vrijgegeven: de patiënt ziet de uitslag met uw commentaar.",
            "Vrijgegeven: de patiënt ziet de %(count)d uitslagen met uw commentaar.",
            count,
        ) % {"count": count}
    return ngettext(
        "Beoordeeld; de uitslag blijft uit het portaal.",
        "Beoordeeld; de %(count)d uitslagen blijven uit het portaal.",
        count,
    ) % {"count": count}


@require_http_methods(["GET"])
def patient_results(request: HttpRequest, public_id: str) -> HttpResponse:
    """All of one patient's results, with their review state (care and desk staff)."""
    user = acting_user(request, capabilities.can_read_results)
    patient = get_patient_for(user, public_id)
    results = selectors.results_for_staff(patient)
    _log_read(user, "labresult", [r.public_id for r in results], patient)
    return render(request, "results/patient_results.html", {"patient": patient, "results": results})


@require_http_methods(["GET"])
def worklist(request: HttpRequest) -> HttpResponse:
    user = acting_user(request, capabilities.can_handle_lab_messages)
    status = request.GET.get("status", "")
    status = status if status in OPEN_STATUSES else ""
    page = Paginator(selectors.lab_worklist(by=user, status=status), PAGE_SIZE).get_page(
        request.GET.get("pagina")
    )
    shown = [m.public_id for m in page] + list({m.patient.public_id for m in page if m.patient})
    _log_read(user, "labmessage", shown)
    return render(
        request,
        "results/worklist.html",
        {
            "page": page,
            "status": status,
            "statuses": [(s, MessageStatus(s).label) for s in OPEN_STATUSES],
            "query": f"status={status}" if status else "",
        },
    )


@require_http_methods(["GET", "POST"])
def lab_message(request: HttpRequest, public_id: str) -> HttpResponse:
    """One message: what the lab sent, why it waits, and what can be done with it (POST
    `actie`: search a patient, link, read again, close)."""
    user = acting_user(request, capabilities.can_handle_lab_messages)
    message = selectors.get_lab_message(user, public_id)
    action = request.POST.get("actie", "")
    close_form = CloseMessageForm(request.POST if action == "afhandelen" else None)
    # A search is a POST, so a typed name or BSN never lands in a URL or a log of URLs.
    if request.method == "GET" or action == "zoeken":
        return _message_page(request, user, message, close_form)
    if action == "afhandelen" and not close_form.is_valid():
        return _message_page(request, user, message, close_form)
    try:
        done = _act_on_message(request, action, user, message, close_form)
    except BusinessRuleError as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, done)
    return redirect("results:lab_message", public_id=message.public_id)


def _act_on_message(
    request: HttpRequest,
    action: str,
    user: User,
    message: LabMessage,
    close_form: CloseMessageForm,
) -> str:
    """Do what the POST asks; the message that says it was done."""
    if action == "koppelen":
        patient = get_patient_for(user, request.POST.get("patient", ""))
        stored = services.link_lab_message(message=message, patient=patient, by=user)
        return _("Gekoppeld: %(count)s uitslagen opgeslagen.") % {"count": stored}
    if action == "opnieuw":
        stored = services.retry_lab_message(message=message, by=user)
        return _("Opnieuw verwerkt: %(count)s uitslagen erbij.") % {"count": stored}
    if action == "afhandelen":
        services.close_lab_message(message=message, note=close_form.cleaned_data["note"], by=user)
        return _("Het bericht is afgehandeld.")
    raise Http404


def _message_page(
    request: HttpRequest, user: User, message: LabMessage, close_form: CloseMessageForm
) -> HttpResponse:
    searching = request.POST.get("actie") == "zoeken"
    find = FindPatientForm(request.POST if searching else None)
    candidates: list[Patient] = []
    if message.is_unmatched:
        query = find.cleaned_data["query"] if find.is_valid() else ""
        born = parse_date(message.identity.get("geboortedatum") or "")
        if query or born:
            candidates = list(
                search_patients(by=user, query=query, born_on=None if query else born)[:20]
            )
            record_patient_search(by=user, shown=candidates)
    _log_read(user, "labmessage", [message.public_id], message.patient)
    return render(
        request,
        "results/lab_message.html",
        {
            "message": message,
            "candidates": candidates,
            "find": find,
            "close_form": close_form,
            "identity_born": parse_date(message.identity.get("geboortedatum") or ""),
        },
    )


def _page_number(request: HttpRequest) -> int:
    """?pagina=N of a patient's test history; anything else is the first page."""
    value = request.GET.get("pagina", "1")
    if not (value.isascii() and value.isdigit()):
        return 1
    return int(value) if 0 < int(value) < 10_000 else 1


@require_http_methods(["GET"])
def my_test_results(request: HttpRequest, public_id: str) -> HttpResponse:
    """One test over time, a page of values at a time (newest first): a chart and the
    same numbers in a table. The access log lists exactly the values on the page."""
    subject = portal_subject(request)
    history = selectors.test_online(subject.patient, public_id, page=_page_number(request))
    results = history.results
    shown = [r.public_id for r in results]
    _log_read(subject.user, "labresult", shown, subject.patient, **subject.audit())
    return render(
        request,
        "results/my_test_results.html",
        {
            "test": history.test,
            "history": history,
            "results": list(reversed(results)),
            "latest": results[-1],
            "chart": trend_chart(results),
            "subject": subject,
        },
    )
