"""Every write of the FHIR app: registering apps, a patient's "yes" to an app and its
end, and the access log of every API call (NEN 7513: who, which app, whose data)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import AccessToken, Application, RefreshToken

from spreekuur.accounts.models import User
from spreekuur.accounts.selectors import PATIENT
from spreekuur.core.audit import BatchAccess, record_access, record_batch_access
from spreekuur.core.exceptions import BusinessRuleError
from spreekuur.core.models import AuditAction, AuditOutcome, Practice
from spreekuur.core.roles import Channel
from spreekuur.fhir.api.auth import ApiCaller
from spreekuur.fhir.api.resources import RESOURCE_TYPES, Accessed
from spreekuur.fhir.capabilities import can_connect_apps, can_manage_apps
from spreekuur.fhir.models import AccessTokenLink, AppKind, Connection, FhirApp, RefreshLink
from spreekuur.fhir.scopes import unknown_scopes, within
from spreekuur.patients.models import Patient
from spreekuur.patients.portal import portal_capacity

T = TypeVar("T")
MAX_REDIRECT_URIS = 5
SYSTEM_ROLE = "koppeling"
LAST_USED_GRANULARITY = timedelta(hours=1)


# --- Apps (the practice manager) -------------------------------------------------------------


def _check_redirect_uris(uris: Sequence[str]) -> list[str]:
    """Exact, absolute redirect URIs: https, or http on this machine only (a native app's
    loopback, or a test app), never with a fragment or a wildcard."""
    cleaned = []
    for uri in uris:
        parts = urlsplit(uri)
        loopback = parts.hostname in {"127.0.0.1", "localhost", "::1"}
        provider: dict[str, Any] = settings.OAUTH2_PROVIDER
        allowed_http = "http" in provider["ALLOWED_REDIRECT_URI_SCHEMES"]
        if parts.scheme == "http" and not (loopback and allowed_http):
            raise BusinessRuleError(
                _("%(uri)s: een terugkeeradres moet met https:// beginnen.") % {"uri": uri}
            )
        if parts.scheme not in {"https", "http"} or not parts.hostname:
            raise BusinessRuleError(
                _("%(uri)s is geen volledig webadres (https://…).") % {"uri": uri}
            )
        if parts.fragment or "*" in uri or " " in uri:
            raise BusinessRuleError(
                _("%(uri)s: een terugkeeradres heeft geen # en geen *.") % {"uri": uri}
            )
        cleaned.append(uri)
    if len(set(cleaned)) > MAX_REDIRECT_URIS:
        raise BusinessRuleError(
            _("Geef hoogstens %(max)d terugkeeradressen.") % {"max": MAX_REDIRECT_URIS}
        )
    return list(dict.fromkeys(cleaned))


def _check_scopes(kind: str, scopes: Sequence[str]) -> list[str]:
    contexts = ("patient",) if kind == AppKind.PATIENT_APP else ("system",)
    if not scopes:
        raise BusinessRuleError(_("Kies minstens één scope."))
    wrong = unknown_scopes(scopes, contexts=contexts, resource_types=RESOURCE_TYPES)
    if wrong:
        raise BusinessRuleError(
            _("Deze scopes kent de server niet (voor deze soort app): %(scopes)s")
            % {"scopes": " ".join(wrong)}
        )
    return list(dict.fromkeys(scopes))


def _origins(uris: Sequence[str]) -> str:
    """The web origins of the redirect URIs: a browser app there may call the token
    endpoint (CORS)."""
    origins = []
    for uri in uris:
        parts = urlsplit(uri)
        if parts.scheme == "https":
            origins.append(f"{parts.scheme}://{parts.netloc}")
    return " ".join(dict.fromkeys(origins))


@transaction.atomic
def register_app(
    *,
    practice: Practice,
    kind: str,
    name: str,
    allowed_scopes: Sequence[str],
    redirect_uris: Sequence[str] = (),
    confidential: bool = False,
    vendor: str = "",
    homepage: str = "",
    by: User | None,
) -> tuple[FhirApp, str | None]:
    """A new app; returns it with its client secret (confidential apps), shown once and
    stored only as a hash. `by` None: the console command (`spreekuur fhir_app`)."""
    if by is not None and not can_manage_apps(by):
        raise PermissionDenied
    if kind not in AppKind.values:
        raise BusinessRuleError(_("Onbekende soort app."))
    name = name.strip()
    if not name:
        raise BusinessRuleError(_("Geef de app een naam."))
    if FhirApp.objects.filter(practice=practice, name=name).exists():
        raise BusinessRuleError(_("Er is al een app met deze naam."))
    scopes = _check_scopes(kind, allowed_scopes)
    if kind == AppKind.SYSTEM:
        confidential = True  # a system signs in with its own secret, no one else
        uris: list[str] = []
    else:
        uris = _check_redirect_uris(redirect_uris)
        if not uris:
            raise BusinessRuleError(_("Geef minstens één terugkeeradres (redirect URI)."))
    secret = generate_client_secret() if confidential else None
    application = Application(
        name=f"{practice.slug}: {name}"[:255],
        client_type=Application.CLIENT_CONFIDENTIAL if confidential else Application.CLIENT_PUBLIC,
        authorization_grant_type=(
            Application.GRANT_CLIENT_CREDENTIALS
            if kind == AppKind.SYSTEM
            else Application.GRANT_AUTHORIZATION_CODE
        ),
        redirect_uris=" ".join(uris),
        allowed_origins=_origins(uris),
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=False,
        client_secret=secret or "",
    )
    try:
        application.full_clean(exclude=["user", "client_secret"])
    except ValidationError as error:
        raise BusinessRuleError(" ".join(error.messages)) from None
    application.save()
    app = FhirApp.objects.create(
        practice=practice,
        application=application,
        kind=kind,
        name=name,
        vendor=vendor.strip(),
        homepage=homepage.strip(),
        allowed_scopes=" ".join(scopes),
        created_by=by,
    )
    _log_app(app, by, AuditAction.CREATE, "registered")
    return app, secret


def _manages(by: User, app: FhirApp) -> bool:
    membership = getattr(by, "membership", None)
    return (
        can_manage_apps(by) and membership is not None and membership.practice_id == app.practice_id
    )


def _log_app(app: FhirApp, by: User | None, action: str, detail: str) -> None:
    record_access(
        actor=by,
        action=action,
        object_kind="fhir_app",
        practice=app.practice,
        object_ids=[app.public_id],
        detail=detail,
        system_name="spreekuur fhir_app",
        actor_role=None if by is not None else "beheer",
    )


@transaction.atomic
def update_app(
    *,
    app: FhirApp,
    allowed_scopes: Sequence[str],
    redirect_uris: Sequence[str] = (),
    vendor: str = "",
    homepage: str = "",
    by: User,
) -> FhirApp:
    if not _manages(by, app):
        raise PermissionDenied
    app.allowed_scopes = " ".join(_check_scopes(app.kind, allowed_scopes))
    app.vendor = vendor.strip()
    app.homepage = homepage.strip()
    app.save(update_fields=["allowed_scopes", "vendor", "homepage"])
    if app.kind == AppKind.PATIENT_APP:
        uris = _check_redirect_uris(redirect_uris)
        if not uris:
            raise BusinessRuleError(_("Geef minstens één terugkeeradres (redirect URI)."))
        application = app.application
        application.redirect_uris = " ".join(uris)
        application.allowed_origins = _origins(uris)
        application.save(update_fields=["redirect_uris", "allowed_origins"])
    _log_app(app, by, AuditAction.CHANGE, "changed")
    return app


@transaction.atomic
def set_app_active(*, app: FhirApp, active: bool, by: User | None) -> FhirApp:
    """Switching an app off stops it at once: its tokens open nothing (api.auth) and it
    cannot sign in; switching it on again lets its patients' connections work again.
    `by` None: the console command."""
    if by is not None and not _manages(by, app):
        raise PermissionDenied
    app.active = active
    app.save(update_fields=["active"])
    _log_app(app, by, AuditAction.CHANGE, "switched on" if active else "switched off")
    return app


@transaction.atomic
def renew_client_secret(*, app: FhirApp, by: User | None) -> str:
    """A new secret for a confidential app, valid at once; the old one stops."""
    if by is not None and not _manages(by, app):
        raise PermissionDenied
    application = app.application
    if application.client_type != Application.CLIENT_CONFIDENTIAL:
        raise BusinessRuleError(_("Een openbare app heeft geen geheim."))
    secret = generate_client_secret()
    application.client_secret = secret
    application.save(update_fields=["client_secret"])
    _log_app(app, by, AuditAction.CHANGE, "new secret")
    return str(secret)


# --- A patient's connections -----------------------------------------------------------------


def consent_to_app(
    *,
    app: FhirApp,
    patient: Patient,
    scope: Sequence[str],
    by: User,
    issue: Callable[[Connection], T],
) -> T:
    """The patient (or their parent or gemachtigde) says yes to an app: the connection
    is made (or its scope renewed) and `issue` makes the authorization code for it, in
    one transaction, so a refused request leaves no connection behind."""
    if not can_connect_apps(by):
        raise PermissionDenied
    capacity = portal_capacity(by, patient)  # PermissionDenied for anyone else
    if patient.practice_id != app.practice_id or not app.active:
        raise PermissionDenied
    if app.kind != AppKind.PATIENT_APP or not within(scope, app.allowed_scopes.split()):
        raise PermissionDenied
    with transaction.atomic():
        connection = (
            Connection.objects.select_for_update()
            .filter(app=app, patient=patient, user=by, revoked_at__isnull=True)
            .first()
        )
        created = connection is None
        if connection is None:
            connection = Connection.objects.create(
                practice_id=patient.practice_id,
                app=app,
                patient=patient,
                user=by,
                scope=" ".join(scope),
            )
        else:
            connection.scope = " ".join(scope)
            connection.save(update_fields=["scope"])
        result = issue(connection)
        record_access(
            actor=by,
            action=AuditAction.CREATE if created else AuditAction.CHANGE,
            object_kind="fhir_connection",
            practice=patient.practice,
            patient=patient,
            object_ids=[connection.public_id],
            detail=f"app: {app.name}",
            actor_role=capacity,
        )
    return result


def may_disconnect(by: User, connection: Connection) -> bool:
    if connection.user_id == by.pk:
        return True
    try:
        portal_capacity(by, connection.patient)
    except PermissionDenied:
        return False
    return True


@transaction.atomic
def disconnect_app(*, connection: Connection, by: User) -> Connection:
    """Ends the connection and every token it gave, at once (also a refresh token the app
    may still hold)."""
    if not can_connect_apps(by) or not may_disconnect(by, connection):
        raise PermissionDenied
    locked = Connection.objects.select_for_update().get(pk=connection.pk)
    if locked.revoked_at is not None:
        return locked
    locked.revoked_at = timezone.now()
    locked.revoked_by = by
    locked.save(update_fields=["revoked_at", "revoked_by"])
    _end_tokens(locked)
    capacity = None
    if connection.patient.user_id != by.pk:
        capacity = portal_capacity(by, connection.patient)
    record_access(
        actor=by,
        action=AuditAction.CHANGE,
        object_kind="fhir_connection",
        practice=connection.patient.practice,
        patient=connection.patient,
        object_ids=[locked.public_id],
        detail=f"app ontkoppeld: {connection.app.name}",
        actor_role=capacity,
    )
    return locked


def _end_tokens(connection: Connection) -> None:
    access = AccessTokenLink.objects.filter(connection=connection).values("access_token_id")
    refresh = RefreshLink.objects.filter(connection=connection).values("refresh_token_id")
    RefreshToken.objects.filter(pk__in=refresh, revoked__isnull=True).update(revoked=timezone.now())
    AccessToken.objects.filter(pk__in=access).delete()


def touch_connection(connection: Connection) -> None:
    """When the app last used the connection (the patient's list shows it), to the hour:
    one write an hour rather than one per call."""
    now = timezone.now()
    if connection.last_used_at is None or now - connection.last_used_at > LAST_USED_GRANULARITY:
        Connection.objects.filter(pk=connection.pk).update(last_used_at=now)


# --- The access log of the API ---------------------------------------------------------------


def record_api_access(
    *,
    caller: ApiCaller,
    action: str,
    accessed: Sequence[Accessed],
    object_kind: str,
    patient: Patient | None,
    outcome: str = AuditOutcome.ALLOWED,
    object_ids: Sequence[str] = (),
) -> None:
    """One entry per patient and kind of data a call showed (NEN 7513), naming the app.
    A search that found nothing is logged too, as a search of that patient's data."""
    # The token says who it is: the patient, someone acting for them, or a system.
    actor_role = SYSTEM_ROLE if caller.user is None else caller.capacity or PATIENT
    if caller.connection is not None:
        touch_connection(caller.connection)
    groups: dict[tuple[int | None, str], list[str]] = defaultdict(list)
    patients: dict[int | None, Patient | None] = {}
    for row in accessed:
        key = row.patient.pk if row.patient is not None else None
        patients[key] = row.patient
        groups[(key, row.object_kind)].append(row.public_id)
    if not groups or outcome != AuditOutcome.ALLOWED:
        record_access(
            actor=caller.user,
            action=action,
            object_kind=object_kind,
            practice=caller.practice,
            patient=patient,
            object_ids=object_ids,
            outcome=outcome,
            channel=Channel.API,
            actor_role=actor_role,
            system_name=caller.app.name,
        )
        return
    record_batch_access(
        actor=caller.user,
        practice=caller.practice,
        accesses=[
            BatchAccess(action, kind, patients[key], ids) for (key, kind), ids in groups.items()
        ],
        channel=Channel.API,
        actor_role=actor_role,
        system_name=caller.app.name,
    )
