from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import PasswordResetForm
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from spreekuur.accounts import (
    authenticator,
    capabilities,
    passkeys,
    selectors,
    services,
    throttle,
)
from spreekuur.accounts.forms import (
    ConfirmTotpForm,
    LoginForm,
    LoginWithCodeForm,
    RecheckCodeForm,
    RoleDecisionForm,
    StaffMemberChangeForm,
    StaffMemberForm,
    TokenForm,
)
from spreekuur.accounts.freshness import mark_second_factor_fresh, second_factor_is_fresh
from spreekuur.accounts.login_adapter import get_login_adapter
from spreekuur.accounts.middleware import second_factor_not_required
from spreekuur.accounts.models import Membership, User
from spreekuur.accounts.selectors import second_factor_done
from spreekuur.core.exceptions import BusinessRuleError
from spreekuur.core.redirects import local_path

SESSION_NEXT = "spreekuur_after_login"
SESSION_RECOVERY_CODES = "spreekuur_recovery_codes"
SESSION_SETUP_DEVICE = "spreekuur_totp_setup_device"
WRONG_CODE_MESSAGE = gettext_lazy("Deze code klopt niet of is verlopen. Probeer de nieuwe code.")
THROTTLED_MESSAGE = gettext_lazy("Wacht even: na een foute code moet u steeds iets langer wachten.")


def _after_second_factor(request: HttpRequest) -> HttpResponse:
    target = local_path(request.session.pop(SESSION_NEXT, None)) or None
    membership = selectors.any_membership(request.user)  # type: ignore[arg-type]
    if membership is not None and membership.active and not membership.role:
        # A new account whose clinical role waits for a GP: nothing to open yet.
        messages.info(
            request,
            _(
                "Uw account is klaar. Uw rol in de praktijk werkt zodra een huisarts van "
                "de praktijk die heeft bevestigd."
            ),
        )
        return redirect("accounts:security")
    return redirect(target or "shell:start")


WRONG_PASSWORD_MESSAGE = gettext_lazy("Dit e-mailadres en wachtwoord horen niet bij elkaar.")
WRONG_COMBINATION_MESSAGE = gettext_lazy(
    "Deze combinatie van e-mailadres, wachtwoord en code klopt niet."
)
CODE_NEEDED_MESSAGE = gettext_lazy(
    "Met dit e-mailadres is kort geleden vaak mislukt ingelogd. Vul daarom uw wachtwoord "
    "en de code uit uw authenticator-app (of een herstelcode) samen in."
)


@login_not_required
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    """The password step. After repeated failures on a name it asks for the password and
    the code together (accounts.throttle): a stranger's failures never lock the owner out."""
    if second_factor_done(request.user):
        return redirect("shell:start")
    with_code = "token" in request.POST
    form = (LoginWithCodeForm if with_code else LoginForm)(request.POST or None)
    context: dict[str, object] = {}
    if request.method == "POST" and form.is_valid():
        wait = throttle.network_wait(request)
        if wait > 0:
            return locked_out(request, wait)
        if with_code:
            response = _login_with_code(request, form)
        elif throttle.code_required(form.cleaned_data["username"]):
            # Not checked, not counted: the same answer for any password, any name.
            form = LoginWithCodeForm(initial={"username": form.cleaned_data["username"]})
            context["notice"] = CODE_NEEDED_MESSAGE
            response = None
        else:
            response = _login_with_password(request, form)
        if response is not None:
            return response
    return render(request, "accounts/login.html", {"form": form, **context})


def _login_with_password(request: HttpRequest, form: LoginForm) -> HttpResponse | None:
    """On to the second step, or None with the error on the form (the failure counted)."""
    name, password = form.cleaned_data["username"], form.cleaned_data["password"]
    user = get_login_adapter().authenticate(request, username=name, password=password)
    if user is None:
        throttle.record_failure(request, name)
        services.record_failed_login(email=name, stage="wachtwoord")
        # One message for an unknown address and a wrong password alike.
        form.add_error(None, WRONG_PASSWORD_MESSAGE)
        return None
    _password_accepted(request, user)
    if services.has_confirmed_second_factor(user):
        return redirect("accounts:verify")
    return redirect("accounts:setup_totp")


def _login_with_code(request: HttpRequest, form: LoginForm) -> HttpResponse | None:
    """Password and code in one step; the code is only tried after a right password, so
    wrong passwords never start django-otp's back-off on the owner's device. A wrong
    password and a wrong code get the same answer."""
    name, password = form.cleaned_data["username"], form.cleaned_data["password"]
    user = get_login_adapter().authenticate(request, username=name, password=password)
    device = None
    if user is not None and not services.second_factor_throttled(user):
        device = match_token(user, form.cleaned_data["token"].strip().replace(" ", "").lower())
    if user is None or device is None:
        throttle.record_failure(request, name)
        stage = "wachtwoord" if user is None else "tweede factor"
        services.record_failed_login(email=name, stage=stage)
        form.add_error(None, WRONG_COMBINATION_MESSAGE)
        return None
    _password_accepted(request, user)
    _second_factor_given(request, user, device)
    return _after_second_factor(request)


def _password_accepted(request: HttpRequest, user: User) -> None:
    next_url = local_path(request.GET.get("next")) or None
    auth_login(request, user)  # rotates the session key
    if not selectors.is_staff_member(user):
        # A patient's session (a phone, a shared computer at home) ends this long after
        # logging in, whatever they do; staff keep theirs for a working day.
        request.session.set_expiry(timezone.now() + settings.PATIENT_SESSION_MAX_AGE)
    if next_url:
        request.session[SESSION_NEXT] = next_url
    services.record_login(user=user, method="wachtwoord")


def locked_out(request: HttpRequest, wait_seconds: int) -> HttpResponse:
    """Too many failures from this client's network: the same for every name, known or not.
    Nothing is checked (no password hashed) until the wait is over."""
    form = LoginForm(request.POST or None)
    form.add_error(
        None,
        _(
            "Te veel mislukte pogingen vanaf dit netwerk. Wacht even en probeer het dan "
            "opnieuw; na veel pogingen is dat tot een kwartier."
        ),
    )
    response = render(request, "accounts/login.html", {"form": form}, status=429)
    response["Retry-After"] = str(wait_seconds)
    return response


def _device_for_code(form: TokenForm, user: User, *, stage: str) -> Any:
    """The device this app or recovery code belongs to, or None with the error on the form
    (and a failed attempt logged). Respects django-otp's back-off after wrong codes."""
    token = form.cleaned_data["token"].strip().replace(" ", "").lower()
    if services.second_factor_throttled(user):
        form.add_error("token", THROTTLED_MESSAGE)
        return None
    device = match_token(user, token)
    if device is None:
        services.record_failed_login(email=user.email, stage=stage)
        form.add_error("token", WRONG_CODE_MESSAGE)
    return device


def _second_factor_given(request: HttpRequest, user: User, device: Any) -> None:
    """Fully logged in: the device on the session, a new session key, logged."""
    otp_login(request, device)
    request.session.cycle_key()  # a new key once fully logged in
    mark_second_factor_fresh(request)
    services.record_login(user=user, method="tweede factor")
    throttle.forget_name(user.email)


@second_factor_not_required
@require_http_methods(["GET", "POST"])
def verify_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if second_factor_done(user):
        return _after_second_factor(request)
    if not services.has_confirmed_second_factor(user):
        return redirect("accounts:setup_totp")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = _device_for_code(form, user, stage="tweede factor")
        if device is not None:
            _second_factor_given(request, user, device)
            return _after_second_factor(request)
    return render(
        request,
        "accounts/verify.html",
        {"form": form, "has_passkey": bool(passkeys.user_passkeys(user))},
    )


def _setup_totp_refusal(request: HttpRequest, user: User) -> HttpResponse | None:
    """Where to go instead, when this person may not link an app now: someone with a
    second factor proves it first (and again, just now, before replacing their phone)."""
    if not services.has_confirmed_second_factor(user):
        return None
    if not second_factor_done(user):
        return redirect("accounts:verify")
    if not second_factor_is_fresh(request):
        return redirect(f"{reverse('accounts:reverify')}?next={reverse('accounts:setup_totp')}")
    return None


def _device_being_set_up(request: HttpRequest, user: User) -> TOTPDevice:
    """The unconfirmed app of this setup (kept across a wrong code), or a new one."""
    device = selectors.unconfirmed_totp_device(user, request.session.get(SESSION_SETUP_DEVICE))
    if device is None:
        device = services.start_totp_setup(user=user)
        request.session[SESSION_SETUP_DEVICE] = device.pk
    return device


def _confirm_totp(
    request: HttpRequest, form: ConfirmTotpForm, user: User, device: TOTPDevice
) -> HttpResponse | None:
    """Link the app when the code fits: logged in fully, recovery codes shown next.
    None, with the error on the form, when it does not."""
    allowed, _details = device.verify_is_allowed()
    if not allowed:
        form.add_error("token", THROTTLED_MESSAGE)
        return None
    codes = services.confirm_totp_device(user=user, device=device, token=form.cleaned_data["token"])
    if codes is None:
        form.add_error(
            "token", _("Deze code klopt niet. Controleer of de tijd op uw telefoon goed staat.")
        )
        return None
    request.session.pop(SESSION_SETUP_DEVICE, None)
    _second_factor_given(request, user, device)
    request.session[SESSION_RECOVERY_CODES] = codes
    return redirect("accounts:recovery_codes")


@second_factor_not_required
@require_http_methods(["GET", "POST"])
def setup_totp_view(request: HttpRequest) -> HttpResponse:
    """Link an authenticator app (scan the QR code, type one code): at the first login,
    or later, once logged in with a recovery code, for a new phone."""
    user: User = request.user  # type: ignore[assignment]
    refusal = _setup_totp_refusal(request, user)
    if refusal is not None:
        return refusal
    device = _device_being_set_up(request, user)
    form = ConfirmTotpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        linked = _confirm_totp(request, form, user, device)
        if linked is not None:
            return linked
    return render(
        request,
        "accounts/setup_totp.html",
        {"form": form, "setup": authenticator.setup_for(device)},
    )


@require_http_methods(["GET"])
def recovery_codes_view(request: HttpRequest) -> HttpResponse:
    codes = request.session.pop(SESSION_RECOVERY_CODES, None)
    if not codes:
        return redirect("accounts:security")
    return render(request, "accounts/recovery_codes.html", {"codes": codes})


@require_http_methods(["GET", "POST"])
def security_view(request: HttpRequest) -> HttpResponse:
    """New recovery codes, after a fresh code from the authenticator app: an unattended
    logged-in screen is not enough to take over the account's second factor."""
    user: User = request.user  # type: ignore[assignment]
    form = RecheckCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.second_factor_throttled(user):
            form.add_error("token", THROTTLED_MESSAGE)
        elif services.verify_authenticator_code(user=user, token=form.cleaned_data["token"]):
            request.session[SESSION_RECOVERY_CODES] = services.regenerate_recovery_codes(user=user)
            return redirect("accounts:recovery_codes")
        else:
            form.add_error("token", WRONG_CODE_MESSAGE)
    return render(
        request,
        "accounts/security.html",
        {
            "form": form,
            "passkeys": passkeys.user_passkeys(user),
            "fresh": second_factor_is_fresh(request),
        },
    )


@require_http_methods(["GET", "POST"])
def reverify_view(request: HttpRequest) -> HttpResponse:
    """Give the second factor again before changing how one logs in."""
    user: User = request.user  # type: ignore[assignment]
    target = local_path(request.GET.get("next")) or None or reverse("accounts:security")
    form = TokenForm(request.POST or None)
    proved = request.method == "POST" and form.is_valid()
    if proved and _device_for_code(form, user, stage="tweede factor opnieuw") is not None:
        mark_second_factor_fresh(request)
        return redirect(target)
    return render(request, "accounts/reverify.html", {"form": form})


@require_POST
def remove_passkey_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if not second_factor_is_fresh(request):
        return redirect(f"{reverse('accounts:reverify')}?next={reverse('accounts:security')}")
    try:
        passkey_id = int(request.POST.get("passkey", ""))
    except ValueError:
        passkey_id = 0
    services.remove_passkey(user=user, passkey_id=passkey_id)
    messages.success(request, _("De passkey is verwijderd."))
    return redirect("accounts:security")


@login_not_required
@require_http_methods(["GET"])
def confirm_email_view(request: HttpRequest, token: str) -> HttpResponse:
    user = services.confirm_email(token=token)
    if user is None:
        messages.error(request, _("Deze bevestigingslink werkt niet meer. Vraag een nieuwe aan."))
    else:
        messages.success(request, _("Uw e-mailadres is bevestigd. Dank u wel."))
    return redirect("shell:start" if request.user.is_authenticated else "accounts:login")


@require_POST
def resend_email_confirmation_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if user.email_confirmed_at is None:
        services.send_email_confirmation(user=user, base_url=request.build_absolute_uri("/"))
    messages.success(request, _("We hebben de bevestigingsmail opnieuw gestuurd."))
    return redirect("shell:start")


@second_factor_not_required
@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        services.record_logout(user=request.user)
    auth_logout(request)  # flushes the session
    messages.success(request, _("U bent uitgelogd."))
    return redirect("accounts:login")


class ConfirmedAddressResetForm(PasswordResetForm):
    """Reset links only to addresses the person has confirmed: a mistyped address at
    activation must not receive the key to someone's account."""

    def get_users(self, email: str) -> Iterator[User]:
        return (user for user in super().get_users(email) if user.email_confirmed_at is not None)

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        """Through the outbox, like every mail: retried when the mail server is away."""
        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        body = render_to_string(email_template_name, context)
        services.queue_account_mail(user=context["user"], subject=subject, body=body)


class PasswordResetView(auth_views.PasswordResetView):
    form_class = ConfirmedAddressResetForm
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        services.mark_email_confirmed(user=form.user)
        return response

    def get_form(self, form_class: Any = None) -> Any:
        form = super().get_form(form_class)
        for field in form.fields.values():
            field.widget.attrs["class"] = "utrecht-textbox utrecht-textbox--html-input"
        return form


# --- Staff management (praktijkmanager) ---------------------------------------------------


@require_http_methods(["GET", "POST"])
def staff_list_view(request: HttpRequest) -> HttpResponse:
    user = capabilities.acting_user(request, capabilities.can_manage_staff)
    practice = selectors.practice_of(user)
    if practice is None:
        raise PermissionDenied
    form = StaffMemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.add_staff_member(
                practice=practice,
                by=user,
                base_url=request.build_absolute_uri("/"),
                **form.cleaned_data,
            )
        except BusinessRuleError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _added_message(membership))
            return redirect("accounts:staff_list")
    return render(
        request,
        "accounts/staff_list.html",
        {"memberships": selectors.staff_of(practice), "form": form},
    )


def _added_message(membership: Membership) -> str:
    name = {"name": membership.user.full_name}
    if membership.awaits_confirmation:
        return (
            _(
                "%(name)s is toegevoegd en krijgt een e-mail om een wachtwoord te kiezen. "
                "De rol werkt pas als een huisarts van de praktijk hem bevestigt; de "
                "huisartsen hebben daarover een e-mail gekregen."
            )
            % name
        )
    return _("%(name)s is toegevoegd en krijgt een e-mail om een wachtwoord te kiezen.") % name


@require_POST
def reset_second_factor_view(request: HttpRequest, public_id: str) -> HttpResponse:
    user = capabilities.acting_user(request, capabilities.can_manage_staff)
    membership = selectors.get_membership_for(user, public_id)
    try:
        services.reset_second_factor(
            membership=membership, by=user, base_url=request.build_absolute_uri("/")
        )
    except BusinessRuleError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _(
                "De tweede stap van %(name)s is gewist. Er gaat een e-mail om een nieuw "
                "wachtwoord te kiezen; daarna koppelt deze een nieuwe app."
            )
            % {"name": membership.user.full_name},
        )
    return redirect("accounts:staff_change", public_id=membership.public_id)


@require_http_methods(["GET", "POST"])
def staff_change_view(request: HttpRequest, public_id: str) -> HttpResponse:
    user = capabilities.acting_user(request, capabilities.can_manage_staff)
    membership = selectors.get_membership_for(user, public_id)
    initial = {
        "role": membership.requested_role or membership.role,
        "agb_code": membership.agb_code,
        "active": membership.active,
    }
    form = StaffMemberChangeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_staff_member(
                membership=membership,
                by=user,
                base_url=request.build_absolute_uri("/"),
                **form.cleaned_data,
            )
        except BusinessRuleError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("De wijziging is opgeslagen."))
            return redirect(reverse("accounts:staff_list"))
    return render(request, "accounts/staff_change.html", {"membership": membership, "form": form})


@require_http_methods(["GET", "POST"])
def role_requests_view(request: HttpRequest) -> HttpResponse:
    """A GP confirms or refuses the clinical roles the practice manager asked for."""
    user, practice = capabilities.acting_user_in_practice(
        request, capabilities.can_confirm_clinical_roles
    )
    form = RoleDecisionForm(request.POST or None)
    if request.method == "POST":
        if not form.is_valid():
            messages.error(request, _("Kies bevestigen of weigeren bij een aanvraag."))
            return redirect("accounts:role_requests")
        membership = selectors.get_role_request_for(user, form.cleaned_data["member"])
        confirm = form.cleaned_data["decision"] == "bevestigen"
        decide = services.confirm_clinical_role if confirm else services.refuse_clinical_role
        try:
            decide(membership=membership, role=form.cleaned_data["role"], by=user)
        except BusinessRuleError as error:
            messages.error(request, str(error))
        else:
            done = (
                _("%(name)s heeft de rol nu.")
                if confirm
                else _("De aanvraag voor %(name)s is geweigerd.")
            )
            messages.success(request, done % {"name": membership.user.full_name})
        return redirect("accounts:role_requests")
    requests = selectors.role_requests_of(practice)
    return render(request, "accounts/role_requests.html", {"requests": requests})
