"""The app pages: a patient's connected apps (and disconnecting one), and the practice
manager's register of apps and systems."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from spreekuur.accounts.capabilities import acting_user, acting_user_in_practice
from spreekuur.core.exceptions import BusinessRuleError
from spreekuur.fhir import selectors, services
from spreekuur.fhir.api.capability import oauth_url
from spreekuur.fhir.capabilities import can_connect_apps, can_manage_apps
from spreekuur.fhir.forms import AppChangeForm, AppForm
from spreekuur.fhir.models import AppKind, FhirApp
from spreekuur.fhir.scopes import describe

# ---- the patient's connected apps --------------------------------------------------------


def connections(request: HttpRequest) -> HttpResponse:
    user = acting_user(request, can_connect_apps)
    rows = list(selectors.connections_of(user))
    for row in rows:
        row.described = sorted({describe(scope) for scope in row.scope.split()})  # type: ignore[attr-defined]
        row.may_end = services.may_disconnect(user, row)  # type: ignore[attr-defined]
    return render(
        request,
        "fhir/connections.html",
        {
            "open": [row for row in rows if row.open],
            "ended": [row for row in rows if not row.open],
        },
    )


@require_POST
def disconnect(request: HttpRequest, public_id: str) -> HttpResponse:
    user = acting_user(request, can_connect_apps)
    connection = selectors.get_connection_for(user, public_id)
    services.disconnect_app(connection=connection, by=user)
    messages.success(
        request,
        _("%(app)s is ontkoppeld: de app kan uw gegevens niet meer ophalen.")
        % {"app": connection.app.name},
    )
    return redirect("fhir:connections")


# ---- the practice manager's apps -----------------------------------------------------------


@require_http_methods(["GET", "POST"])
def apps(request: HttpRequest) -> HttpResponse:
    user, practice = acting_user_in_practice(request, can_manage_apps)
    form = AppForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            app, secret = services.register_app(
                practice=practice,
                kind=data["kind"],
                name=data["name"],
                vendor=data["vendor"],
                homepage=data["homepage"],
                redirect_uris=data["redirect_uris"],
                confidential=data["confidential"],
                allowed_scopes=data["allowed_scopes"],
                by=user,
            )
        except BusinessRuleError as error:
            form.add_error(None, str(error))
        else:
            return _credentials_once(request, app, secret)
    counts = selectors.open_connection_counts(practice)
    rows = list(selectors.apps_of(practice))
    for row in rows:
        row.connected = counts.get(row.pk, 0)  # type: ignore[attr-defined]
    return render(
        request,
        "fhir/apps.html",
        {"apps": rows, "form": form, "endpoints": _endpoints()},
        status=400 if form.errors else 200,
    )


def _endpoints() -> dict[str, str]:
    from django.conf import settings

    return {
        "fhir": settings.FHIR_BASE_URL,
        "smart": f"{settings.FHIR_BASE_URL}/.well-known/smart-configuration",
        "authorize": oauth_url("oauth2_provider:authorize"),
        "token": oauth_url("oauth2_provider:token"),
    }


SESSION_NEW_SECRET = "fhir_new_secret"  # noqa: S105 - a session key, not a secret


def _credentials_once(request: HttpRequest, app: FhirApp, secret: str | None) -> HttpResponse:
    """After registering or a new secret: redirect, so that a reload cannot post again
    (and make yet another secret). The secret waits in the server-side session for the
    one page that shows it, and is gone from there once shown."""
    request.session[SESSION_NEW_SECRET] = {"app": str(app.public_id), "secret": secret or ""}
    return redirect("fhir:app_detail", public_id=app.public_id)


def _show_credentials(request: HttpRequest, app: FhirApp, secret: str | None) -> HttpResponse:
    """The client id, and a secret once; never stored in plain (only in the session,
    until this page, which no cache keeps)."""
    response = render(
        request,
        "fhir/app_credentials.html",
        {"app": app, "secret": secret, "endpoints": _endpoints()},
    )
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
def app_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    user, practice = acting_user_in_practice(request, can_manage_apps)
    app = selectors.get_app_for(practice, public_id, by=user)
    initial: dict[str, Any] = {
        "vendor": app.vendor,
        "homepage": app.homepage,
        "redirect_uris": "\n".join(app.application.redirect_uris.split()),
        "allowed_scopes": app.allowed_scopes,
    }
    fresh = request.session.get(SESSION_NEW_SECRET)
    if request.method == "GET" and fresh and fresh.get("app") == str(app.public_id):
        del request.session[SESSION_NEW_SECRET]
        return _show_credentials(request, app, fresh["secret"] or None)
    form = AppChangeForm(request.POST or None, initial=initial)
    if app.kind == AppKind.SYSTEM:
        del form.fields["redirect_uris"]
    if request.method == "POST":
        action = request.POST.get("actie", "opslaan")
        if action == "nieuw-geheim":
            try:
                secret = services.renew_client_secret(app=app, by=user)
            except BusinessRuleError as error:
                messages.error(request, str(error))
                return redirect("fhir:app_detail", public_id=app.public_id)
            return _credentials_once(request, app, secret)
        if action in ("aan", "uit"):
            services.set_app_active(app=app, active=action == "aan", by=user)
            messages.success(request, _("De app is bijgewerkt."))
            return redirect("fhir:app_detail", public_id=app.public_id)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.update_app(
                    app=app,
                    allowed_scopes=data["allowed_scopes"],
                    redirect_uris=data.get("redirect_uris", []),
                    vendor=data["vendor"],
                    homepage=data["homepage"],
                    by=user,
                )
            except BusinessRuleError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("De app is bijgewerkt."))
                return redirect("fhir:app_detail", public_id=app.public_id)
    return render(
        request,
        "fhir/app_detail.html",
        {"app": app, "form": form, "endpoints": _endpoints()},
        status=400 if form.errors else 200,
    )
