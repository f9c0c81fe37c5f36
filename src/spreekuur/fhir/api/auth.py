"""Who is calling the FHIR API: the access token in the Authorization header (never in
the URL), checked at every call against its app, its patient's connection and the
representation it rests on, so that disconnecting, switching an app off or a child's
16th birthday stops access at once."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from spreekuur.accounts.models import User
from spreekuur.core.models import Practice
from spreekuur.fhir.api.errors import FhirError
from spreekuur.fhir.models import AccessTokenLink, Connection, FhirApp
from spreekuur.fhir.scopes import GrantedScopes
from spreekuur.patients.models import Patient
from spreekuur.patients.portal import portal_capacity

MAX_TOKEN_LENGTH = 512


@dataclass(frozen=True)
class ApiCaller:
    app: FhirApp
    practice: Practice
    scopes: GrantedScopes
    user: User | None  # the person who connected the app; None for a practice system
    patient: Patient | None  # the patient a patient app was connected for
    capacity: str | None  # "ouder" or "gemachtigde" when the user acts for the patient
    connection: Connection | None

    @property
    def context(self) -> str:
        return "patient" if self.patient is not None else "system"

    def require(self, resource_type: str, interaction: str) -> None:
        if not self.scopes.allows(self.context, resource_type, interaction):
            raise FhirError(
                403,
                "forbidden",
                f"Deze app heeft geen toestemming voor {interaction} op {resource_type}.",
                f"The token's scopes do not allow {interaction} on {resource_type}.",
                headers={
                    "WWW-Authenticate": 'Bearer realm="spreekuur", error="insufficient_scope"'
                },
            )


def _unauthenticated(english: str, dutch: str, error: str = "invalid_token") -> FhirError:
    challenge = 'Bearer realm="spreekuur"'
    if error:
        challenge += f', error="{error}"'
    return FhirError(401, "login", dutch, english, headers={"WWW-Authenticate": challenge})


def authenticate(request: HttpRequest) -> ApiCaller:
    header = request.headers.get("Authorization", "")
    if not header:
        raise _unauthenticated(
            "An access token is required (Authorization: Bearer).",
            "Aanmelden is nodig: stuur een toegangstoken (Authorization: Bearer).",
            error="",
        )
    scheme, _sep, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > MAX_TOKEN_LENGTH:
        raise _unauthenticated(
            "The access token is missing or malformed.", "Het toegangstoken klopt niet."
        )
    checksum = hashlib.sha256(token.encode()).hexdigest()
    # Two small queries rather than one join of nine tables, whose planning alone cost
    # more than running it (bench/fhir_api.py): the token with its app, then the
    # connection with its patient (a practice system's token has none).
    link = (
        AccessTokenLink.objects.select_related("access_token", "app__practice")
        .filter(access_token__token_checksum=checksum)
        .first()
    )
    if link is None or link.access_token.is_expired() or not link.app.active:
        raise _unauthenticated(
            "The access token is unknown, expired or revoked.",
            "Het toegangstoken is onbekend, verlopen of ingetrokken.",
        )
    connection = (
        Connection.objects.select_related("user", "patient__practice").get(pk=link.connection_id)
        if link.connection_id is not None
        else None
    )
    patient = None
    capacity = None
    if connection is not None:
        if not connection.open:
            raise _unauthenticated(
                "The patient disconnected this app.", "De patiënt heeft deze app ontkoppeld."
            )
        patient = connection.patient
        try:
            capacity = portal_capacity(connection.user, patient)
        except PermissionDenied:
            raise _unauthenticated(
                "The person who connected this app may no longer act for this patient.",
                "Wie deze app koppelde, mag niet meer namens deze patiënt handelen.",
            ) from None
    return ApiCaller(
        app=link.app,
        practice=link.app.practice,
        scopes=GrantedScopes.of(link.access_token.scope.split()),
        # A patient app's token belongs to the person who connected it; a system's to none.
        user=connection.user if connection is not None else None,
        patient=patient,
        capacity=capacity,
        connection=connection,
    )
