"""django-oauth-toolkit, taught SMART on FHIR and Spreekuur's rules.

- Scopes are checked by their grammar (fhir.scopes) against what the practice allowed
  the app, not against a fixed list: `patient/Observation.rs` and friends.
- Only an active app of a practice can sign in (a switched-off app is refused at once,
  also with tokens it holds: api.auth checks that at every call).
- Every authorization code, access and refresh token is tied to the patient's
  connection (a system's token to its app), so the token response can name the patient
  (`patient`, SMART's launch context) and an API call knows whose data it may open.
- The ID token (`openid fhirUser`) names the user by their public id, never by a row
  number, and gives fhirUser when the person who signed in is the patient."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.scopes import BaseScopes

from spreekuur.fhir.models import (
    AccessTokenLink,
    AppKind,
    Connection,
    FhirApp,
    GrantLink,
    RefreshLink,
)
from spreekuur.fhir.scopes import (
    LAUNCH_PATIENT,
    OFFERED_SCOPES,
    unknown_scopes,
    within,
)


class SmartScopes(BaseScopes):
    def get_all_scopes(self) -> dict[str, str]:
        return {scope: scope for scope in OFFERED_SCOPES}

    def get_available_scopes(
        self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any
    ) -> list[str]:
        app = _fhir_app(application)
        return app.allowed_scopes.split() if app is not None else []

    def get_default_scopes(
        self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any
    ) -> list[str]:
        return []  # an app says what it wants; nothing is granted by default


def _fhir_app(application: Any) -> FhirApp | None:
    if application is None:
        return None
    try:
        return application.fhir_app
    except FhirApp.DoesNotExist:
        return None


def scope_contexts(app: FhirApp) -> tuple[str, ...]:
    return ("patient",) if app.kind == AppKind.PATIENT_APP else ("system",)


class SpreekuurValidator(OAuth2Validator):
    oidc_claim_scope = {**OAuth2Validator.oidc_claim_scope, "fhirUser": "fhirUser"}

    def _load_application(self, client_id: str, request: Any) -> Any:
        client = super()._load_application(client_id, request)
        app = _fhir_app(client)
        if app is None or not app.active:
            request.client = None
            return None
        return client

    def validate_scopes(
        self, client_id: str, scopes: list[str], client: Any, request: Any, *args: Any, **kw: Any
    ) -> bool:
        from spreekuur.fhir.api.resources import RESOURCE_TYPES

        app = _fhir_app(client)
        if app is None or not scopes:
            return False
        if unknown_scopes(scopes, contexts=scope_contexts(app), resource_types=RESOURCE_TYPES):
            return False
        return within(scopes, app.allowed_scopes.split())

    def validate_code(
        self, client_id: str, code: str, client: Any, request: Any, *args: Any, **kw: Any
    ) -> bool:
        if not super().validate_code(client_id, code, client, request, *args, **kw):
            return False
        link = (
            GrantLink.objects.select_related("connection__patient")
            .filter(grant__code=code, grant__application=client)
            .first()
        )
        if link is None or not link.connection.open:
            return False
        request.spreekuur_connection = link.connection
        return True

    def validate_refresh_token(
        self, refresh_token: str, client: Any, request: Any, *args: Any, **kw: Any
    ) -> bool:
        if not super().validate_refresh_token(refresh_token, client, request, *args, **kw):
            return False
        link = (
            RefreshLink.objects.select_related("connection__patient")
            .filter(refresh_token=request.refresh_token_instance)
            .first()
        )
        if link is None or not link.connection.open:
            return False
        request.spreekuur_connection = link.connection
        return True

    def _create_authorization_code(self, request: Any, code: Any, expires: Any = None) -> Any:
        grant = super()._create_authorization_code(request, code, expires)
        connection: Connection = request.spreekuur_connection
        GrantLink.objects.create(
            grant=grant, practice_id=connection.practice_id, connection=connection
        )
        return grant

    def _create_access_token(
        self, expires: Any, request: Any, token: Any, source_refresh_token: Any = None
    ) -> Any:
        access_token = super()._create_access_token(expires, request, token, source_refresh_token)
        app: FhirApp = request.client.fhir_app
        connection = getattr(request, "spreekuur_connection", None)
        AccessTokenLink.objects.create(
            access_token=access_token, practice_id=app.practice_id, app=app, connection=connection
        )
        return access_token

    def _create_refresh_token(
        self, request: Any, refresh_token_code: Any, access_token: Any, previous: Any
    ) -> Any:
        refresh_token = super()._create_refresh_token(
            request, refresh_token_code, access_token, previous
        )
        connection: Connection | None = getattr(request, "spreekuur_connection", None)
        if connection is not None:
            RefreshLink.objects.create(
                refresh_token=refresh_token,
                practice_id=connection.practice_id,
                connection=connection,
            )
        return refresh_token

    def save_bearer_token(self, token: dict[str, Any], request: Any, *args: Any, **kw: Any) -> Any:
        result = super().save_bearer_token(token, request, *args, **kw)
        connection: Connection | None = getattr(request, "spreekuur_connection", None)
        if connection is not None and LAUNCH_PATIENT in token.get("scope", "").split():
            # SMART's launch context: which patient this token is for.
            token["patient"] = str(connection.patient.public_id)
            token["need_patient_banner"] = True
        return result

    def get_claim_dict(self, request: Any) -> dict[str, Any]:
        claims = super().get_claim_dict(request)
        claims["sub"] = str(request.user.public_id)
        return claims

    def get_additional_claims(self, request: Any) -> dict[str, Any]:
        claims: dict[str, Any] = {"name": request.user.full_name}
        connection: Connection | None = getattr(request, "spreekuur_connection", None)
        if connection is not None and connection.patient.user_id == request.user.pk:
            claims["fhirUser"] = f"{settings.FHIR_BASE_URL}/Patient/{connection.patient.public_id}"
        return claims
