"""The consent screen of the OAuth2 authorization endpoint (`/oauth/authorize/`): the
patient, logged in with their second factor, sees which app asks for what, chooses for
whom (themself, or a child or someone they act for at this practice), and says yes or no.

django-oauth-toolkit checks the request (client, redirect URI, PKCE, scopes); this view
adds SMART's `aud` check, the choice of patient, and records the connection (one
transaction with the authorization code, fhir.services.consent_to_app)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from oauth2_provider.exceptions import OAuthToolkitError
from oauth2_provider.models import Application
from oauth2_provider.views import AuthorizationView
from oauthlib.oauth2.rfc6749.errors import InvalidRequestError

from spreekuur.fhir import services
from spreekuur.fhir.capabilities import can_connect_apps
from spreekuur.fhir.forms import ConsentForm
from spreekuur.fhir.models import FhirApp
from spreekuur.fhir.scopes import describe
from spreekuur.patients.models import Patient
from spreekuur.patients.portal import representations_of
from spreekuur.patients.selectors import patient_profile


def _patients_for(user: Any, app: FhirApp) -> list[Patient]:
    """Whom this person may connect the app for: themself, and those they act for today,
    at the app's practice."""
    found: list[Patient] = []
    own = patient_profile(user)
    if own is not None and own.practice_id == app.practice_id:
        found.append(own)
    today = timezone.localdate()
    for representation in representations_of(user):
        patient = representation.patient
        if patient.practice_id == app.practice_id and representation.allows(today):
            found.append(patient)
    return found


def _answering_to(app: FhirApp, response: HttpResponse) -> HttpResponse:
    """The consent form's answer is a redirect to the app: the page's security policy
    lets the form go to the app's own registered addresses (a browser applies
    `form-action` to the redirect that follows the POST), and nowhere else."""
    origins = sorted(
        {
            f"{parts.scheme}://{parts.netloc}"
            for uri in app.application.redirect_uris.split()
            if (parts := urlsplit(uri)).scheme in ("https", "http") and parts.netloc
        }
    )
    if origins:
        response._csp_update = {"form-action": origins}  # type: ignore[attr-defined]
    return response


class ConsentView(AuthorizationView):
    template_name = "fhir/authorize.html"
    form_class = ConsentForm

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not can_connect_apps(request.user):
            return render(request, "fhir/authorize_refused.html", status=403)
        return super().dispatch(request, *args, **kwargs)

    def _app(self, client_id: str) -> FhirApp:
        application = Application.objects.select_related("fhir_app__practice").get(
            client_id=client_id
        )
        return application.fhir_app

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        client_id = (self.request.POST or self.request.GET).get("client_id", "")
        try:
            app = self._app(client_id)
        except (Application.DoesNotExist, FhirApp.DoesNotExist):
            kwargs["patients"] = []
            return kwargs
        kwargs["patients"] = [
            (str(patient.public_id), self._label(patient))
            for patient in _patients_for(self.request.user, app)
        ]
        return kwargs

    def _label(self, patient: Patient) -> str:
        from django.utils.translation import gettext as _

        if patient.user_id == self.request.user.pk:
            return _("Mijzelf (%(name)s)") % {"name": patient.display_name}
        return patient.display_name

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Always the question: no silent approval (approval_prompt=auto is not honoured),
        # because every code must belong to a connection the patient chose.
        try:
            scopes, credentials = self.validate_authorization_request(request)
        except OAuthToolkitError as error:
            return self.error_response(error, application=None)
        app = self._app(credentials["client_id"])
        # SMART App Launch 2: `aud` names this FHIR server (so a token is never asked for
        # one server and sent to another), and PKCE is S256; refused before the question.
        problem = ""
        if (request.GET.get("aud") or "").rstrip("/") != settings.FHIR_BASE_URL:
            problem = "aud must be this server's FHIR base URL"
        elif credentials.get("code_challenge_method") != "S256":
            problem = "code_challenge_method must be S256"
        if problem:
            refusal = OAuthToolkitError(
                error=InvalidRequestError(description=problem, state=credentials.get("state")),
                redirect_uri=credentials["redirect_uri"],
            )
            return self.error_response(refusal, app.application)
        self.oauth2_data = {
            "client_id": credentials["client_id"],
            "redirect_uri": credentials["redirect_uri"],
            "response_type": credentials["response_type"],
            "state": credentials.get("state"),
            "scope": scopes,
            "code_challenge": credentials.get("code_challenge"),
            "code_challenge_method": credentials.get("code_challenge_method"),
            "nonce": credentials.get("nonce"),
        }
        form = self.get_form(self.get_form_class())
        return _answering_to(
            app, render(request, self.template_name, self._context(app, scopes, form))
        )

    def _context(self, app: FhirApp, scopes: list[str], form: ConsentForm) -> dict[str, Any]:
        return {
            "app": app,
            "form": form,
            "scopes": sorted({describe(scope) for scope in scopes}),
            "no_patients": not getattr(form.fields["patient"], "choices", []),
        }

    def form_invalid(self, form: ConsentForm) -> HttpResponse:
        try:
            app = self._app(form.data.get("client_id", ""))
        except (Application.DoesNotExist, FhirApp.DoesNotExist):
            raise PermissionDenied from None
        scopes = str(form.data.get("scope", "")).split()
        return _answering_to(
            app,
            render(self.request, self.template_name, self._context(app, scopes, form), status=400),
        )

    def form_valid(self, form: ConsentForm) -> HttpResponse:
        data = form.cleaned_data
        try:
            app = self._app(data["client_id"])
        except (Application.DoesNotExist, FhirApp.DoesNotExist):
            raise PermissionDenied from None
        credentials = {
            "client_id": data["client_id"],
            "redirect_uri": data["redirect_uri"],
            "response_type": data["response_type"],
            "state": data.get("state") or None,
        }
        for optional in ("code_challenge", "code_challenge_method", "nonce"):
            if data.get(optional):
                credentials[optional] = data[optional]
        scopes = data["scope"]
        if not data.get("allow"):
            return self._respond(app, scopes, credentials, allow=False)
        patients = {str(p.public_id): p for p in _patients_for(self.request.user, app)}
        patient = patients.get(data["patient"])
        if patient is None:
            raise PermissionDenied

        def issue(connection: Any) -> str:
            uri, _headers, _body, _status = self.create_authorization_response(
                request=self.request,
                scopes=scopes,
                credentials={**credentials, "spreekuur_connection": connection},
                allow=True,
            )
            return str(uri)

        try:
            # A refusal by oauthlib raises inside the transaction: no connection is left.
            uri = services.consent_to_app(
                app=app, patient=patient, scope=scopes.split(), by=self.request.user, issue=issue
            )
        except OAuthToolkitError as error:
            return self.error_response(error, app.application)
        return self.redirect(uri, app.application)

    def _respond(
        self, app: FhirApp, scopes: str, credentials: dict[str, Any], *, allow: bool
    ) -> HttpResponse:
        try:
            uri, _headers, _body, _status = self.create_authorization_response(
                request=self.request, scopes=scopes, credentials=credentials, allow=allow
            )
        except OAuthToolkitError as error:
            return self.error_response(error, app.application)
        return self.redirect(uri, app.application)
