"""Repeat prescriptions over HTTP: the patient's request, the assistant's filter list, the
GP's accorderingslijst, deliveries, settings and figures."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from spreekuur.accounts.capabilities import acting_user, acting_user_in_practice
from spreekuur.accounts.models import User
from spreekuur.core.exceptions import BusinessRuleError, OutOfReach
from spreekuur.patients.portal import PortalSubject, portal_subject
from spreekuur.prescriptions import capabilities, selectors, services
from spreekuur.prescriptions.forms import PharmacyForm, RejectForm, RequestForm, RouteForm
from spreekuur.prescriptions.models import Pharmacy, RepeatRequestItem, RepeatSettings, Route

PAGE_SIZE = 50


@require_http_methods(["GET", "POST"])
def my_repeats(request: HttpRequest) -> HttpResponse:
    """Ask for repeat medication (for oneself, or for whom one acts) and follow it."""
    subject = portal_subject(request)
    patient = subject.patient
    choices = selectors.repeat_list(patient)
    _refuse_what_is_not_on_the_list(request, subject.user, choices)
    pharmacies, preferred = selectors.pharmacies_for(patient)
    form = _request_form(request, choices, pharmacies, preferred)
    if request.method == "POST" and form.is_valid() and _ask(request, subject, form, pharmacies):
        return redirect("prescriptions:my_repeats")
    items = selectors.items_of(patient)
    services.record_own_repeats_read(
        by=subject.user,
        patient=patient,
        medications=[c.medication for c in choices],
        items=items,
        **subject.audit(),
    )
    return render(
        request,
        "prescriptions/my_repeats.html",
        {
            "choices": choices,
            "form": form,
            "items": items,
            "subject": subject,
            "pharmacies": pharmacies,
        },
    )


def _refuse_what_is_not_on_the_list(
    request: HttpRequest, user: User, choices: list[selectors.RepeatChoice]
) -> None:
    """Not on this patient's repeat list: a tampered or stale id is a 404, and logged."""
    offered = {str(c.medication.public_id) for c in choices}
    posted = request.POST.getlist("medications")
    if any(value not in offered for value in posted):
        raise OutOfReach(
            actor=user,
            object_kind="repeatrequest",
            object_ids=[value[:36] for value in posted[:5]],
            detail=f"{len(posted)} kenmerk(en) buiten de herhaallijst",
        )


def _request_form(
    request: HttpRequest,
    choices: list[selectors.RepeatChoice],
    pharmacies: list[Pharmacy],
    preferred: Pharmacy | None,
) -> RequestForm:
    return RequestForm(
        request.POST or None,
        medications=[
            (str(c.medication.public_id), c.medication.name) for c in choices if not c.open_status
        ],
        pharmacies=[
            (str(p.public_id), f"{p.name}, {p.city}" if p.city else p.name) for p in pharmacies
        ],
        initial={"pharmacy": str(preferred.public_id) if preferred else ""},
    )


def _ask(
    request: HttpRequest, subject: PortalSubject, form: RequestForm, pharmacies: list[Pharmacy]
) -> bool:
    """Send the request; False (with the reason in the messages) when it is refused."""
    pharmacy = next(p for p in pharmacies if str(p.public_id) == form.cleaned_data["pharmacy"])
    try:
        services.request_repeat(
            patient=subject.patient,
            medication_ids=form.cleaned_data["medications"],
            pharmacy=pharmacy,
            note=form.cleaned_data["note"],
            by=subject.user,
        )
    except BusinessRuleError as refused:
        messages.error(request, str(refused))
        return False
    messages.success(
        request, _("Verstuurd. U ziet hieronder wanneer het klaar is bij de apotheek.")
    )
    return True


def _chosen_items(request: HttpRequest, user: User) -> list[RepeatRequestItem]:
    return selectors.items_by_ids(by=user, public_ids=request.POST.getlist("aanvraag"))


@require_http_methods(["GET", "POST"])
def filter_list(request: HttpRequest) -> HttpResponse:
    """The assistant's check: forward to the GP, or refuse with a reason."""
    user = acting_user(request, capabilities.can_filter_requests)
    if request.method == "POST":
        _decide(request, user, allowed=("doorsturen", "afwijzen"))
        return redirect("prescriptions:filter_list")
    page = Paginator(selectors.filter_list(by=user), PAGE_SIZE).get_page(request.GET.get("pagina"))
    reviews = selectors.with_context(list(page))
    services.record_repeat_list_read(by=user, items=[r.item for r in reviews])
    return render(
        request,
        "prescriptions/filter_list.html",
        {"page": page, "reviews": reviews, "reject_form": RejectForm()},
    )


@require_http_methods(["GET", "POST"])
def accorderingslijst(request: HttpRequest) -> HttpResponse:
    """The GP approves or refuses, one by one or several at once."""
    user = acting_user(request, capabilities.can_approve)
    if request.method == "POST":
        _decide(request, user, allowed=("goedkeuren", "afwijzen"))
        return redirect("prescriptions:accorderingslijst")
    page = Paginator(selectors.accorderingslijst(by=user), PAGE_SIZE).get_page(
        request.GET.get("pagina")
    )
    reviews = selectors.with_context(list(page))
    services.record_repeat_list_read(by=user, items=[r.item for r in reviews])
    return render(
        request,
        "prescriptions/accorderingslijst.html",
        {"page": page, "reviews": reviews, "reject_form": RejectForm()},
    )


def _decide(request: HttpRequest, user: User, *, allowed: tuple[str, ...]) -> None:
    action = request.POST.get("actie", "")
    if action not in allowed:
        raise Http404
    items = _chosen_items(request, user)
    try:
        if action == "goedkeuren":
            count = services.approve_items(items=items, by=user)
            messages.success(
                request, _("%(count)s goedgekeurd: op weg naar de apotheek.") % {"count": count}
            )
        elif action == "doorsturen":
            count = services.forward_to_gp(items=items, by=user)
            messages.success(
                request, _("%(count)s doorgestuurd naar de huisarts.") % {"count": count}
            )
        else:
            form = RejectForm(request.POST)
            if not form.is_valid():
                raise BusinessRuleError(_("Kies een reden."))
            count = services.reject_items(items=items, by=user, **form.cleaned_data)
            messages.success(request, _("%(count)s afgewezen.") % {"count": count})
    except BusinessRuleError as refused:
        messages.error(request, str(refused))


@require_http_methods(["GET"])
def deliveries(request: HttpRequest) -> HttpResponse:
    user = acting_user(request, capabilities.can_follow_deliveries)
    page = Paginator(selectors.deliveries(by=user), PAGE_SIZE).get_page(request.GET.get("pagina"))
    services.record_repeat_list_read(by=user, items=[message.item for message in page])
    return render(request, "prescriptions/deliveries.html", {"page": page})


@require_POST
def delivery_action(request: HttpRequest, public_id: str) -> HttpResponse:
    user = acting_user(request, capabilities.can_follow_deliveries)
    message = selectors.get_delivery(user, public_id)
    action = request.POST.get("actie")
    try:
        if action == "opnieuw":
            services.retry_delivery(message=message, by=user)
            messages.success(request, _("Wordt opnieuw verstuurd."))
        elif action == "afgedrukt":
            services.mark_printed(message=message, by=user)
            messages.success(request, _("Gemarkeerd als afgedrukt en meegegeven."))
        else:
            raise Http404
    except BusinessRuleError as refused:
        messages.error(request, str(refused))
    return redirect("prescriptions:deliveries")


@require_http_methods(["GET"])
def print_prescription(request: HttpRequest, public_id: str) -> HttpResponse:
    """A printable prescription for a pharmacy without a link (an export in the log)."""
    user = acting_user(request, capabilities.can_follow_deliveries)
    message = selectors.get_printable(user, public_id)
    services.record_prescription_printed(by=user, message=message)
    return render(
        request,
        "prescriptions/print.html",
        {"message": message, "patient": message.item.request.patient},
    )


@require_http_methods(["GET", "POST"])
def settings_view(request: HttpRequest) -> HttpResponse:
    """The manager: the route of a request, and the practice's pharmacies."""
    user, practice = acting_user_in_practice(request, capabilities.can_manage_repeat_settings)
    current = RepeatSettings.objects.filter(practice=practice).first()
    route_form = RouteForm(
        request.POST if request.POST.get("formulier") == "route" else None,
        initial={"route": current.route if current else Route.ASSISTANT_FIRST},
    )
    pharmacy_form = PharmacyForm(
        request.POST if request.POST.get("formulier") == "apotheek" else None
    )
    if request.method == "POST":
        try:
            if request.POST.get("formulier") == "route" and route_form.is_valid():
                services.set_route(practice=practice, by=user, **route_form.cleaned_data)
                messages.success(request, _("De route is opgeslagen."))
                return redirect("prescriptions:settings")
            if request.POST.get("formulier") == "apotheek" and pharmacy_form.is_valid():
                services.add_pharmacy(practice=practice, by=user, **pharmacy_form.cleaned_data)
                messages.success(request, _("De apotheek is toegevoegd."))
                return redirect("prescriptions:settings")
        except BusinessRuleError as refused:
            messages.error(request, str(refused))
    return render(
        request,
        "prescriptions/settings.html",
        {
            "route_form": route_form,
            "pharmacy_form": pharmacy_form,
            "pharmacies": Pharmacy.objects.filter(practice=practice),
        },
    )


@require_http_methods(["GET"])
def figures(request: HttpRequest) -> HttpResponse:
    """Counts without patient data: channels, handled within one working day, reasons."""
    _user, practice = acting_user_in_practice(request, capabilities.can_view_repeat_figures)
    return render(request, "prescriptions/figures.html", {"figures": selectors.figures(practice)})
