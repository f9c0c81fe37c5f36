"""Writes for patients: portal activation codes and opening a portal account."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from spreekuur.accounts import capabilities
from spreekuur.accounts.models import User
from spreekuur.accounts.selectors import is_staff_member, practice_of
from spreekuur.accounts.services import send_email_confirmation
from spreekuur.core.audit import record_access, record_denied
from spreekuur.core.exceptions import BusinessRuleError, PermissionDenied
from spreekuur.core.models import AuditAction
from spreekuur.patients.models import (
    CONSENT_FROM_AGE,
    Patient,
    PortalActivation,
    Representation,
    RepresentationKind,
)

# No 0/O, 1/I/L: read aloud and typed from paper without mistakes.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12


def hash_activation_code(code: str) -> str:
    """What an activation letter's code is stored as (never the code itself)."""
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def format_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


@dataclass(frozen=True)
class IssuedActivation:
    activation: PortalActivation
    code: str  # shown once, on the letter; only its hash is stored


@transaction.atomic
def issue_portal_activation(*, patient: Patient, by: User) -> IssuedActivation:
    """A new one-time code for the patient's letter; earlier unused codes stop working."""
    if not capabilities.can_issue_portal_activation(by) or practice_of(by) != patient.practice:
        raise PermissionDenied
    if patient.user_id is not None:
        raise BusinessRuleError(_("Deze patiënt heeft het portaal al geactiveerd."))
    now = timezone.now()
    PortalActivation.objects.open().filter(patient=patient).update(revoked_at=now)
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    activation = PortalActivation.objects.create(
        patient=patient,
        practice=patient.practice,
        code_hash=hash_activation_code(code),
        issued_by=by,
        issued_at=now,
        expires_at=now + timedelta(days=settings.ACTIVATION_CODE_VALID_DAYS),
    )
    record_access(
        actor=by,
        action=AuditAction.CREATE,
        object_kind="portal_activation",
        practice=patient.practice,
        patient=patient,
        object_ids=[activation.public_id],
    )
    return IssuedActivation(activation=activation, code=format_code(code))


class ActivationFailed(BusinessRuleError):
    pass


def check_activation_code(*, code: str, date_of_birth: date) -> PortalActivation:
    """The activation that this code and birth date open, or ActivationFailed (one message)."""
    failure = ActivationFailed(
        _("Deze activeringscode en geboortedatum horen niet bij elkaar, of de code is verlopen.")
    )
    if len(normalise_code(code)) != CODE_LENGTH:
        raise failure
    with transaction.atomic():
        activation = (
            PortalActivation.objects.usable()
            .select_for_update(no_key=True, of=("self",))
            .select_related("patient", "practice")
            .filter(code_hash=hash_activation_code(code))
            .first()
        )
        if activation is None:
            raise failure
        if activation.patient.date_of_birth != date_of_birth:
            activation.failed_attempts += 1
            activation.save(update_fields=["failed_attempts"])
            # The patient sees this in "wie heeft mijn dossier bekeken".
            record_denied(
                actor=None,
                action=AuditAction.CREATE,
                object_kind="portal_account",
                patient=activation.patient,
                object_ids=[activation.public_id],
                detail="activering met verkeerde geboortedatum",
            )
        else:
            return activation
    raise failure


@transaction.atomic
def open_portal_account(
    *, activation: PortalActivation, email: str, password: str, base_url: str
) -> User:
    """Create the patient's login; the code is used up in the same transaction."""
    activation = (
        PortalActivation.objects.select_for_update(no_key=True, of=("self",))
        .select_related("patient")
        .get(pk=activation.pk)
    )
    patient = Patient.objects.select_for_update(no_key=True).get(pk=activation.patient_id)
    if activation.used_at is not None or activation.revoked_at is not None or patient.user_id:
        raise ActivationFailed(_("Deze activeringscode is al gebruikt."))
    email = email.strip().lower()
    taken = BusinessRuleError(
        _("Dit e-mailadres kan niet worden gebruikt. Kies een ander e-mailadres.")
    )
    if User.objects.filter(email=email).exists():
        raise taken
    user = User(email=email, full_name=patient.display_name)
    password_validation.validate_password(password, user)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as error:  # the same address claimed at the same moment
        raise taken from error
    patient.user = user
    patient.save(update_fields=["user"])
    activation.used_at = timezone.now()
    activation.save(update_fields=["used_at"])
    transaction.on_commit(lambda: send_email_confirmation(user=user, base_url=base_url))
    record_access(
        actor=user,
        action=AuditAction.CREATE,
        object_kind="portal_account",
        practice=patient.practice,
        patient=patient,
        object_ids=[activation.public_id],
    )
    return user


def record_patient_read(*, patient: Patient, by: User, object_kind: str = "personal_data") -> None:
    record_access(
        actor=by,
        action=AuditAction.READ,
        object_kind=object_kind,
        practice=patient.practice,
        patient=patient,
        object_ids=[patient.public_id],
    )


def record_patient_search(*, by: User, shown: Sequence[Patient]) -> None:
    """One entry for a list or search page, naming every patient whose row was shown."""
    record_access(
        actor=by,
        action=AuditAction.SEARCH,
        object_kind="patient",
        practice=practice_of(by),
        object_ids=[patient.public_id for patient in shown],
        detail=f"{len(shown)} resultaten",
    )


def _may_record_for(by: User, patient: Patient) -> None:
    if not capabilities.can_record_representation(by) or practice_of(by) != patient.practice:
        raise PermissionDenied


@transaction.atomic
def record_representation(
    *,
    patient: Patient,
    representative_email: str,
    kind: str,
    valid_from: date,
    valid_until: date | None,
    by: User,
) -> Representation:
    """Record a parent or a gemachtigde, who must already have a portal account."""
    _may_record_for(by, patient)
    if kind not in RepresentationKind.values:
        raise BusinessRuleError(_("Kies ouder of gemachtigde."))
    representative = User.objects.filter(email__iexact=representative_email.strip()).first()
    if (
        representative is None
        or not representative.is_active
        or representative.email_confirmed_at is None
    ):
        # Only a confirmed address: whoever registered a parent's address first must not
        # get the child's record.
        raise BusinessRuleError(
            _(
                "Dit e-mailadres hoort niet bij een portaalaccount met een bevestigd "
                "e-mailadres. De vertegenwoordiger opent eerst zelf een account en bevestigt "
                "het adres."
            )
        )
    if representative.pk == patient.user_id:
        raise BusinessRuleError(_("Een patiënt kan niet zijn eigen vertegenwoordiger zijn."))
    if is_staff_member(representative):
        raise BusinessRuleError(_("Een medewerkersaccount kan geen vertegenwoordiger zijn."))
    today = timezone.localdate()
    if kind == RepresentationKind.GEMACHTIGDE:
        if valid_until is None:
            raise BusinessRuleError(_("Een machtiging heeft een einddatum."))
        if valid_until < today or valid_until < valid_from:
            raise BusinessRuleError(_("De einddatum ligt voor de begindatum of in het verleden."))
        if valid_until > today + timedelta(days=5 * 366):
            raise BusinessRuleError(_("Een machtiging geldt hooguit vijf jaar."))
    elif patient.age_on(today) >= 16:
        raise BusinessRuleError(
            _("Vanaf 16 jaar beslist de patiënt zelf: leg een machtiging vast.")
        )
    representation = Representation(
        practice=patient.practice,
        patient=patient,
        representative=representative,
        kind=kind,
        valid_from=valid_from,
        valid_until=valid_until,
        recorded_by=by,
    )
    try:
        with transaction.atomic():
            representation.save()
    except IntegrityError as error:
        raise BusinessRuleError(
            _("Deze persoon is al vertegenwoordiger van deze patiënt.")
        ) from error
    record_access(
        actor=by,
        action=AuditAction.CREATE,
        object_kind="representation",
        practice=patient.practice,
        patient=patient,
        object_ids=[representation.public_id],
        detail=str(representation.get_kind_display()),
    )
    return representation


def _locked(representation: Representation) -> Representation:
    return (
        Representation.objects.select_for_update(no_key=True, of=("self",))
        .select_related("patient__practice")
        .get(pk=representation.pk)
    )


@transaction.atomic
def set_child_consent(*, representation: Representation, consent: bool, by: User) -> Representation:
    """The child (12 to 16) agrees to, or withdraws, a parent's access; the practice
    records it after speaking with the child."""
    _may_record_for(by, representation.patient)
    representation = _locked(representation)
    if representation.kind != RepresentationKind.PARENT or representation.revoked_at is not None:
        raise BusinessRuleError(_("Toestemming van het kind hoort alleen bij een ouder."))
    if consent and representation.patient.age_on(timezone.localdate()) < CONSENT_FROM_AGE:
        raise BusinessRuleError(_("Toestemming van het kind wordt vastgelegd vanaf 12 jaar."))
    representation.child_consent_on = timezone.localdate() if consent else None
    representation.save(update_fields=["child_consent_on"])
    record_access(
        actor=by,
        action=AuditAction.CHANGE,
        object_kind="representation",
        practice=representation.patient.practice,
        patient=representation.patient,
        object_ids=[representation.public_id],
        detail="toestemming kind" if consent else "toestemming kind ingetrokken",
    )
    return representation


@transaction.atomic
def revoke_representation(*, representation: Representation, by: User) -> Representation:
    _may_record_for(by, representation.patient)
    representation = _locked(representation)
    if representation.revoked_at is not None:
        raise BusinessRuleError(_("Deze vertegenwoordiging is al ingetrokken."))
    representation.revoked_at = timezone.now()
    representation.revoked_by = by
    representation.save(update_fields=["revoked_at", "revoked_by"])
    record_access(
        actor=by,
        action=AuditAction.CHANGE,
        object_kind="representation",
        practice=representation.patient.practice,
        patient=representation.patient,
        object_ids=[representation.public_id],
        detail="ingetrokken",
    )
    return representation
