"""Passkeys (WebAuthn) as an optional second factor, through django-otp-webauthn.

The library does the cryptography and ships the browser script; Spreekuur decides who
may use which step: verifying with a passkey belongs to the login (allowed before the
second factor), adding one needs a completed second factor first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.utils.translation import gettext as _
from django.views.i18n import JavaScriptCatalog
from django_otp_webauthn import views as webauthn_views
from django_otp_webauthn.helpers import WebAuthnHelper
from django_otp_webauthn.models import WebAuthnCredential

from spreekuur.accounts import services
from spreekuur.accounts.freshness import mark_second_factor_fresh, second_factor_is_fresh
from spreekuur.accounts.middleware import second_factor_not_required
from spreekuur.accounts.models import User


def relying_party_id(request: HttpRequest) -> str:
    """The site's host name (checked against ALLOWED_HOSTS), without a port. WebAuthn
    wants a domain name: passkeys work on http://localhost:8000, not on 127.0.0.1."""
    return request.get_host().split(":")[0]


class PasskeyHelper(WebAuthnHelper):
    def get_allowed_origins(self) -> list[str]:
        configured: list[str] = list(settings.OTP_WEBAUTHN_ALLOWED_ORIGINS)
        if configured:
            return configured
        # Only a browser on this very origin signs this origin into its answer, so the
        # request's own (ALLOWED_HOSTS-checked) origin is a safe default.
        scheme = "https" if self.request.is_secure() else "http"
        return [f"{scheme}://{self.request.get_host()}"]


class CompletePasskeyVerificationView(webauthn_views.CompleteCredentialAuthenticationView):
    """The library's check, plus what every Spreekuur login does: a fresh session key and
    an audit entry; a refused passkey is logged like a wrong code."""

    def complete_auth(self, device: Any) -> Any:
        result = super().complete_auth(device)
        self.request.session.cycle_key()
        mark_second_factor_fresh(self.request)
        services.record_login(user=device.user, method="passkey")
        return result

    def handle_exception(self, exc: Exception) -> HttpResponse:
        user = self.request.user
        if isinstance(user, User):
            services.record_failed_login(email=user.email, stage="passkey")
        return super().handle_exception(exc)


def user_passkeys(user: User) -> list[WebAuthnCredential]:
    return list(WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("id"))


begin_verification = second_factor_not_required(
    webauthn_views.BeginCredentialAuthenticationView.as_view()
)
complete_verification = second_factor_not_required(CompletePasskeyVerificationView.as_view())


def _only_when_fresh(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Adding a passkey needs a second factor given in the last minutes."""

    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not second_factor_is_fresh(request):
            return JsonResponse(
                {"detail": _("Bevestig eerst opnieuw met een code uit uw app.")}, status=403
            )
        return view(request, *args, **kwargs)

    return guarded


begin_registration = _only_when_fresh(webauthn_views.BeginCredentialRegistrationView.as_view())
complete_registration = _only_when_fresh(
    webauthn_views.CompleteCredentialRegistrationView.as_view()
)
javascript_catalog = second_factor_not_required(
    JavaScriptCatalog.as_view(packages=["django_otp_webauthn"])
)
