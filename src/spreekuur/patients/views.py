from __future__ import annotations

import time

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from spreekuur.accounts import capabilities
from spreekuur.accounts.authenticator import qr_code_svg
from spreekuur.accounts.backends import BACKEND
from spreekuur.accounts.models import User
from spreekuur.core.exceptions import BusinessRuleError, ValidationError
from spreekuur.core.middleware import client_ip
from spreekuur.patients import selectors, services
from spreekuur.patients.forms import (
    ActivationCodeForm,
    AddressChangeForm,
    EmailChangeForm,
    PatientSearchForm,
    PhoneForm,
    PortalAccountForm,
    RejectAddressChangeForm,
    RepresentationForm,
)
from spreekuur.patients.models import AddressChange, Patient, Representation
from spreekuur.patients.portal import SESSION_KEY, choose, representations_of
from spreekuur.patients.selectors import patient_profile

PAGE_SIZE = 50
SEARCH_LIMIT = 50
SESSION_ACTIVATION = "spreekuur_activation"
ACTIVATION_FAILURES_PER_HOUR = 20
ACTIVATION_STEP_SECONDS = 15 * 60  # from a correct code to choosing e-mail and password


@require_http_methods(["GET", "POST"])
def patient_list_view(request: HttpRequest) -> HttpResponse:
    """The practice's patient list. Search goes by POST, so no BSN or name lands in a URL."""
    user = capabilities.acting_user(request, capabilities.can_view_patient_list)
    form = PatientSearchForm(request.POST or None)
    context: dict[str, object] = {"form": form, "results": None}
    if request.method == "POST" and form.is_valid():
        found = list(
            selectors.search_patients(
                by=user, query=form.cleaned_data["query"], born_on=form.cleaned_data["born_on"]
            )[: SEARCH_LIMIT + 1]
        )
        context["results"] = found[:SEARCH_LIMIT]
        context["more_results"] = len(found) > SEARCH_LIMIT
        services.record_patient_search(by=user, shown=found[:SEARCH_LIMIT])
    else:
        page = Paginator(selectors.patients_for_staff(by=user), PAGE_SIZE).get_page(
            request.GET.get("pagina")
        )
        page.object_list = list(page.object_list)  # evaluated once, for the log and the page
        context["page"] = page
        services.record_patient_search(by=user, shown=page.object_list)
    template = "patients/_patient_rows.html" if request.htmx else "patients/patient_list.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@require_http_methods(["GET"])
def patient_detail_view(request: HttpRequest, public_id: str) -> HttpResponse:
    user = capabilities.acting_user(request, capabilities.can_view_patient_list)
    patient = selectors.get_patient_for(user, public_id)
    services.record_patient_read(patient=patient, by=user)
    activation = selectors.latest_open_activation(patient)
    representations = selectors.representations_for_staff(patient)
    today = timezone.localdate()
    for representation in representations:
        representation.refusal_today = representation.refusal(today)  # type: ignore[attr-defined]
        representation.asks_consent_today = representation.asks_child_consent(today)  # type: ignore[attr-defined]
    return render(
        request,
        "patients/patient_detail.html",
        {
            "patient": patient,
            "activation": activation,
            "can_issue": capabilities.can_issue_portal_activation(user),
            "representations": representations,
            "representation_form": RepresentationForm(initial={"valid_from": timezone.localdate()}),
            "address_change": selectors.open_address_change(patient),
            "can_handle_address": capabilities.can_handle_address_changes(user),
        },
    )


@require_POST
def representations_view(request: HttpRequest, public_id: str) -> HttpResponse:
    """Record a parent or gemachtigde, the child's consent, or a revocation (POST `actie`)."""
    user = capabilities.acting_user(request, capabilities.can_record_representation)
    patient = selectors.get_patient_for(user, public_id)
    action = request.POST.get("actie")
    try:
        if action == "toevoegen":
            _add_representation(request, user, patient)
        elif action in ("toestemming", "geen-toestemming", "intrekken"):
            representation = selectors.get_representation_for(
                user, patient, request.POST.get("vertegenwoordiging", "")
            )
            _change_representation(request, user, representation, action)
        else:
            raise Http404
    except BusinessRuleError as refused:
        messages.error(request, str(refused))
    return redirect("patients:detail", public_id=patient.public_id)


def _add_representation(request: HttpRequest, user: User, patient: Patient) -> None:
    form = RepresentationForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(str(error) for error in errors))
        return
    services.record_representation(
        patient=patient,
        representative_email=form.cleaned_data["email"],
        kind=form.cleaned_data["kind"],
        valid_from=form.cleaned_data["valid_from"],
        valid_until=form.cleaned_data["valid_until"],
        by=user,
    )
    messages.success(request, _("Vastgelegd. De vertegenwoordiger kiest in het portaal 'Namens'."))


def _change_representation(
    request: HttpRequest, user: User, representation: Representation, action: str
) -> None:
    if action == "intrekken":
        services.revoke_representation(representation=representation, by=user)
        messages.success(request, _("Ingetrokken: de toegang stopt direct."))
    else:
        services.set_child_consent(
            representation=representation, consent=action == "toestemming", by=user
        )
        messages.success(request, _("De toestemming van het kind is bijgewerkt."))


@require_http_methods(["GET", "POST"])
def acting_for_view(request: HttpRequest) -> HttpResponse:
    """'Namens': for whom this person uses the portal now (oneself, a child, or someone
    who authorised them), with the reason where the rules say no."""
    user = capabilities.acting_user(request, capabilities.uses_portal)
    if request.method == "POST":
        chosen = request.POST.get("patient", "")
        choose(request, user, None if chosen == "zelf" else chosen)
        return redirect("dossier:my_record")
    today = timezone.localdate()
    options = [(r, r.refusal(today)) for r in representations_of(user)]
    return render(
        request,
        "patients/acting_for.html",
        {
            "own": patient_profile(user),
            "options": options,
            "current": request.session.get(SESSION_KEY),
            "subject": True,  # this page is about the choice itself: no "about yourself" note
        },
    )


@require_http_methods(["GET", "POST"])
def issue_activation_view(request: HttpRequest, public_id: str) -> HttpResponse:
    """Issue a code and show the printable letter at once: the code is never stored readable.

    A GET (a reloaded or bookmarked letter) issues nothing and goes back to the patient."""
    if request.method == "GET":
        user = capabilities.acting_user(request, capabilities.can_view_patient_list)
        patient = selectors.get_patient_for(user, public_id)
        return redirect("patients:detail", public_id=patient.public_id)
    user = capabilities.acting_user(request, capabilities.can_view_patient_list)
    patient = selectors.get_patient_for(user, public_id)
    try:
        issued = services.issue_portal_activation(patient=patient, by=user)
    except BusinessRuleError as error:
        messages.error(request, str(error))
        return redirect("patients:detail", public_id=patient.public_id)
    return _activation_letter(request, patient, issued)


def _activation_letter(
    request: HttpRequest, patient: Patient, issued: services.IssuedActivation
) -> HttpResponse:
    # The code travels in the fragment, which browsers never send to a server or a log.
    page = request.build_absolute_uri("/activeren/")
    qr_svg = qr_code_svg(
        f"{page}#code={issued.code}",
        title=_("QR-code naar de activeringspagina, met de code al ingevuld"),
    )
    return render(
        request,
        "patients/activation_letter.html",
        {
            "patient": patient,
            "practice": patient.practice,
            "code": issued.code,
            "activation": issued.activation,
            "activation_url": page,
            "qr_svg": qr_svg,
        },
    )


def _activation_throttle_key(request: HttpRequest) -> str:
    return f"activation-failures:{client_ip(request)}"


def _activation_throttled(request: HttpRequest) -> bool:
    return bool(cache.get(_activation_throttle_key(request), 0) >= ACTIVATION_FAILURES_PER_HOUR)


def _count_activation_failure(request: HttpRequest) -> None:
    key = _activation_throttle_key(request)
    cache.add(key, 0, timeout=3600)
    cache.incr(key)


@login_not_required
@require_http_methods(["GET", "POST"])
def activate_view(request: HttpRequest) -> HttpResponse:
    """Step 1 of opening the portal: the code from the letter and the date of birth."""
    form = ActivationCodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        if _activation_throttled(request):
            form.add_error(None, _("Te veel pogingen. Probeer het over een uur opnieuw."))
            status = 429
        else:
            try:
                activation = services.check_activation_code(
                    code=form.cleaned_data["code"],
                    date_of_birth=form.cleaned_data["date_of_birth"],
                )
            except services.ActivationFailed as error:
                _count_activation_failure(request)
                form.add_error(None, str(error))
            else:
                request.session.cycle_key()
                request.session[SESSION_ACTIVATION] = {
                    "id": str(activation.public_id),
                    "at": time.time(),
                }
                return redirect("patients:activate_account")
    return render(request, "patients/activate.html", {"form": form}, status=status)


@login_not_required
@require_http_methods(["GET", "POST"])
def activate_account_view(request: HttpRequest) -> HttpResponse:
    """Step 2: e-mail address and password; then the second factor is set up."""
    approved = request.session.get(SESSION_ACTIVATION) or {}
    fresh = time.time() - approved.get("at", 0) < ACTIVATION_STEP_SECONDS
    activation = selectors.usable_activation(approved.get("id")) if fresh else None
    if activation is None or _activation_throttled(request):
        request.session.pop(SESSION_ACTIVATION, None)
        messages.error(request, _("Begin opnieuw met uw activeringscode."))
        return redirect("patients:activate")
    form = PortalAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.open_portal_account(
                activation=activation,
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
                base_url=request.build_absolute_uri("/"),
            )
        except ValidationError as error:
            form.add_error("password1", error)
        except BusinessRuleError as error:
            # Refused addresses count against the address's activation limit, so this
            # step cannot be used to test which addresses have an account.
            _count_activation_failure(request)
            form.add_error(None, str(error))
        else:
            request.session.pop(SESSION_ACTIVATION, None)
            auth_login(request, user, backend=BACKEND)
            messages.success(request, _("Uw account is aangemaakt. Stel nu de tweede stap in."))
            return redirect("accounts:setup_totp")
    return render(request, "patients/activate_account.html", {"form": form})


def _own_patient(request: HttpRequest) -> tuple[User, Patient]:
    """The logged-in patient and their own record. Contact details are the patient's own
    to change: a parent or gemachtigde acting for them gets 403 here, like "Mijn gegevens"."""
    user: User = request.user  # type: ignore[assignment]
    patient = patient_profile(user)
    if patient is None:
        raise PermissionDenied
    return user, patient


@require_http_methods(["GET"])
def my_details_view(request: HttpRequest) -> HttpResponse:
    user, patient = _own_patient(request)
    services.record_patient_read(patient=patient, by=user)
    return render(
        request,
        "patients/my_details.html",
        {
            "patient": patient,
            "email": user.email,
            "pending_email": selectors.pending_email_change(user),
            "address_change": selectors.latest_address_change(patient),
        },
    )


@require_http_methods(["GET", "POST"])
def change_phone_view(request: HttpRequest) -> HttpResponse:
    user, patient = _own_patient(request)
    form = PhoneForm(request.POST or None, initial={"phone": patient.phone})
    if request.method == "POST" and form.is_valid():
        try:
            services.change_phone(patient=patient, phone=form.cleaned_data["phone"], by=user)
        except BusinessRuleError as error:
            form.add_error("phone", str(error))
        else:
            messages.success(request, _("Uw telefoonnummer is opgeslagen."))
            return redirect("patients:my_details")
    elif request.method == "GET":
        services.record_patient_read(patient=patient, by=user)
    return render(request, "patients/change_phone.html", {"form": form})


@require_http_methods(["GET", "POST"])
def change_email_view(request: HttpRequest) -> HttpResponse:
    """Step 1 of a new e-mail address: the new address and the current password."""
    user, patient = _own_patient(request)
    form = EmailChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.request_email_change(
                patient=patient,
                by=user,
                base_url=request.build_absolute_uri("/"),
                **form.cleaned_data,
            )
        except BusinessRuleError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _(
                    "We hebben een e-mail gestuurd naar %(email)s. Open de link daarin om "
                    "de wijziging af te ronden."
                )
                % {"email": form.cleaned_data["new_email"]},
            )
            return redirect("patients:my_details")
    elif request.method == "GET":
        services.record_patient_read(patient=patient, by=user)
    return render(request, "patients/change_email.html", {"form": form, "email": user.email})


@require_http_methods(["GET", "POST"])
def confirm_email_change_view(request: HttpRequest, token: str) -> HttpResponse:
    """Step 2: the link from the mail. A GET only asks (mail scanners open links); the
    button's POST makes the change."""
    user, _patient = _own_patient(request)
    try:
        if request.method == "POST":
            services.confirm_email_change(token=token, by=user)
            messages.success(request, _("Uw nieuwe e-mailadres is opgeslagen en bevestigd."))
            return redirect("patients:my_details")
        change = selectors.email_change_for_token(token=token, by=user)
    except BusinessRuleError as error:
        messages.error(request, str(error))
        return redirect("patients:my_details")
    return render(request, "patients/confirm_email_change.html", {"change": change})


@require_http_methods(["GET", "POST"])
def change_address_view(request: HttpRequest) -> HttpResponse:
    """A move: the patient gives the new address, the desk checks and applies it."""
    user, patient = _own_patient(request)
    form = AddressChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.request_address_change(patient=patient, by=user, **form.cleaned_data)
        except BusinessRuleError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _(
                    "Doorgegeven. De doktersassistent verwerkt uw nieuwe adres; u ziet het "
                    "hier zodra dat is gebeurd."
                ),
            )
            return redirect("patients:my_details")
    elif request.method == "GET":
        services.record_patient_read(patient=patient, by=user)
    return render(request, "patients/change_address.html", {"form": form, "patient": patient})


# --- The desk: changes of address to handle -------------------------------------------------


@require_http_methods(["GET"])
def address_changes_view(request: HttpRequest) -> HttpResponse:
    user = capabilities.acting_user(request, capabilities.can_handle_address_changes)
    changes = list(selectors.address_changes_to_handle(by=user)[:PAGE_SIZE])
    services.record_address_changes_listed(by=user, shown=changes)
    return render(request, "patients/address_changes.html", {"changes": changes})


def _show_address_change(
    request: HttpRequest, user: User, change: AddressChange, form: RejectAddressChangeForm
) -> HttpResponse:
    services.record_address_change_read(change=change, by=user)
    return render(request, "patients/address_change.html", {"change": change, "form": form})


@require_http_methods(["GET"])
def address_change_view(request: HttpRequest, public_id: str) -> HttpResponse:
    user = capabilities.acting_user(request, capabilities.can_handle_address_changes)
    change = selectors.get_address_change_for(user, public_id)
    return _show_address_change(request, user, change, RejectAddressChangeForm())


@require_POST
def accept_address_change_view(request: HttpRequest, public_id: str) -> HttpResponse:
    user = capabilities.acting_user(request, capabilities.can_handle_address_changes)
    change = selectors.get_address_change_for(user, public_id)
    try:
        services.accept_address_change(change=change, by=user)
    except BusinessRuleError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Het nieuwe adres van %(name)s is opgeslagen.")
            % {"name": change.patient.display_name},
        )
    return redirect("patients:address_changes")


@require_POST
def reject_address_change_view(request: HttpRequest, public_id: str) -> HttpResponse:
    user = capabilities.acting_user(request, capabilities.can_handle_address_changes)
    change = selectors.get_address_change_for(user, public_id)
    form = RejectAddressChangeForm(request.POST)
    if not form.is_valid():
        return _show_address_change(request, user, change, form)
    try:
        services.reject_address_change(change=change, reason=form.cleaned_data["reason"], by=user)
    except BusinessRuleError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Afgewezen. De patiënt ziet de reden bij Mijn gegevens."))
    return redirect("patients:address_changes")
