"""Writes for patients: portal activation codes, opening a portal account, representation,
and the patient's own contact details."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from spreekuur.accounts import capabilities
from spreekuur.accounts.models import User
from spreekuur.accounts.selectors import is_staff_member, practice_of
from spreekuur.accounts.services import send_email_confirmation
from spreekuur.core.audit import record_access, record_denied
from spreekuur.core.exceptions import BusinessRuleError, PermissionDenied
from spreekuur.core.models import AuditAction
from spreekuur.core.outbox import queue_email
from spreekuur.patients import selectors
from spreekuur.patients.contact_rules import (
    normalise_house_number,
    normalise_phone,
    normalise_postal_code,
)
from spreekuur.patients.models import (
    ALONE_FROM_AGE,
    CONSENT_FROM_AGE,
    EMAIL_CHANGE_VALID_HOURS,
    GEMACHTIGDE_MAX_DAYS,
    AddressChange,
    AddressChangeStatus,
    EmailChange,
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
    """Record a parent or a gemachtigde, who must already have a portal account. The
    WGBO rules (models.py): a parent until 16; a gemachtigde not for a child under 12 (a
    child cannot authorise), from 12 with access only once the child's consent is recorded
    (set_child_consent), from 16 as the patient themself authorised."""
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
        if valid_until > today + timedelta(days=GEMACHTIGDE_MAX_DAYS):
            raise BusinessRuleError(_("Een machtiging geldt hooguit vijf jaar."))
        if patient.age_on(today) < CONSENT_FROM_AGE:
            raise BusinessRuleError(
                _(
                    "Een kind onder 12 jaar kan niemand machtigen: de ouders of de voogd "
                    "handelen voor het kind. Leg de ouder of voogd vast."
                )
            )
    elif patient.age_on(today) >= ALONE_FROM_AGE:
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
    """The child (12 to 16) agrees to, or withdraws, the access of a parent or a
    gemachtigde; the practice records it after speaking with the child. A withdrawal is
    always possible; a consent only from 12 to 16 (from 16 the patient authorises someone
    themself: a new machtiging), and never on a gemachtigde recorded before the child was
    12 (no one could authorise that one: revoke it and record a new one)."""
    _may_record_for(by, representation.patient)
    representation = _locked(representation)
    if representation.revoked_at is not None:
        raise BusinessRuleError(_("Deze vertegenwoordiging is ingetrokken."))
    today = timezone.localdate()
    if consent:
        _check_child_can_consent(representation, today)
    representation.child_consent_on = today if consent else None
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


def _check_child_can_consent(representation: Representation, today: date) -> None:
    age = representation.patient.age_on(today)
    if age < CONSENT_FROM_AGE:
        raise BusinessRuleError(_("Toestemming van het kind wordt vastgelegd vanaf 12 jaar."))
    if age >= ALONE_FROM_AGE:
        raise BusinessRuleError(
            _(
                "Vanaf 16 jaar geeft de patiënt geen toestemming als kind meer, maar machtigt "
                "zelf: leg een nieuwe machtiging vast."
            )
        )
    if representation.recorded_for_a_young_child():
        raise BusinessRuleError(
            _(
                "Deze machtiging is vastgelegd toen de patiënt jonger was dan 12 jaar en geldt "
                "niet. Trek haar in en leg een nieuwe machtiging vast."
            )
        )


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


# --- Contact details: the patient's own phone, e-mail address and postal address ------------
#
# Only the patient themself changes them, never a parent or gemachtigde acting for them:
# these are the details the practice reaches the patient by (and the login's address).
# Each change is a CHANGE of personal_data in the patient's own access log.

PASSWORD_TRIES_PER_HOUR = 5


def _only_the_patient(by: User, patient: Patient) -> None:
    if patient.user_id is None or by.pk != patient.user_id:
        raise PermissionDenied


def _record_contact_change(
    *, patient: Patient, by: User, detail: str, object_ids: Sequence[object] = ()
) -> None:
    record_access(
        actor=by,
        action=AuditAction.CHANGE,
        object_kind="personal_data",
        practice=patient.practice,
        patient=patient,
        object_ids=[patient.public_id, *object_ids],
        detail=detail,
    )


@transaction.atomic
def change_phone(*, patient: Patient, phone: str, by: User) -> Patient:
    """The patient's own phone number (also where the practice's SMS notices go); "" removes it."""
    _only_the_patient(by, patient)
    try:
        phone = normalise_phone(phone)
    except DjangoValidationError as error:
        raise BusinessRuleError(" ".join(error.messages)) from error
    patient = Patient.objects.select_for_update(no_key=True).get(pk=patient.pk)
    if patient.phone == phone:
        return patient
    patient.phone = phone
    patient.save(update_fields=["phone"])
    _record_contact_change(
        patient=patient,
        by=by,
        detail="telefoonnummer gewijzigd" if phone else "telefoonnummer verwijderd",
    )
    return patient


def _password_throttle_key(user: User) -> str:
    return f"email-change-password:{user.pk}"


def _check_password(*, patient: Patient, password: str, by: User) -> None:
    """The current password, with a limit on tries; a wrong one is a refused change in the
    patient's log (written outside the change's transaction, so it stays)."""
    if cache.get(_password_throttle_key(by), 0) >= PASSWORD_TRIES_PER_HOUR:
        raise BusinessRuleError(_("Te veel pogingen. Probeer het over een uur opnieuw."))
    if not by.check_password(password):
        cache.add(_password_throttle_key(by), 0, timeout=3600)
        cache.incr(_password_throttle_key(by))
        record_denied(
            actor=by,
            action=AuditAction.CHANGE,
            object_kind="personal_data",
            patient=patient,
            object_ids=[patient.public_id],
            detail="e-mailadres wijzigen: wachtwoord klopt niet",
        )
        raise BusinessRuleError(_("Dit wachtwoord klopt niet."))


def request_email_change(
    *, patient: Patient, new_email: str, password: str, by: User, base_url: str
) -> EmailChange:
    """Step 1 of a new login address: the current password proves it is the patient (not
    someone at an unattended screen), and a link goes to the new address to prove it is
    theirs. Nothing changes until that link is used (confirm_email_change)."""
    _only_the_patient(by, patient)
    _check_password(patient=patient, password=password, by=by)
    return _start_email_change(patient=patient, new_email=new_email, by=by, base_url=base_url)


@transaction.atomic
def _start_email_change(
    *, patient: Patient, new_email: str, by: User, base_url: str
) -> EmailChange:
    new_email = new_email.strip().lower()
    if new_email == by.email:
        raise BusinessRuleError(_("Dit is al uw e-mailadres."))
    if User.objects.filter(email=new_email).exists():
        raise BusinessRuleError(
            _("Dit e-mailadres kan niet worden gebruikt. Kies een ander e-mailadres.")
        )
    now = timezone.now()
    EmailChange.objects.filter(
        user=by, confirmed_at__isnull=True, cancelled_at__isnull=True
    ).update(cancelled_at=now)
    change = EmailChange.objects.create(
        practice=patient.practice,
        patient=patient,
        user=by,
        new_email=new_email,
        requested_at=now,
        expires_at=now + timedelta(hours=EMAIL_CHANGE_VALID_HOURS),
    )
    token = signing.dumps({"change": str(change.public_id)}, salt=selectors.EMAIL_CHANGE_SALT)
    link = base_url.rstrip("/") + reverse("patients:confirm_email_change", args=[token])
    body = render_to_string(
        "patients/email/confirm_new_email.txt",
        {"link": link, "practice": patient.practice, "hours": EMAIL_CHANGE_VALID_HOURS},
    )
    queue_email(
        practice=patient.practice,
        to=new_email,
        subject=_("Bevestig uw nieuwe e-mailadres"),
        body=body,
    )
    _record_contact_change(
        patient=patient,
        by=by,
        detail="e-mailadres wijzigen aangevraagd",
        object_ids=[change.public_id],
    )
    return change


@transaction.atomic
def confirm_email_change(*, token: str, by: User) -> EmailChange:
    """Step 2: the link from the new address, opened by the patient logged in. The login
    address changes, counts as confirmed, and the old address is told, without any
    patient data, so that a change the patient did not make does not go unnoticed."""
    change = selectors.email_change_for_token(token=token, by=by)
    change = EmailChange.objects.select_for_update(no_key=True, of=("self",)).get(pk=change.pk)
    if change.confirmed_at is not None or change.cancelled_at is not None:
        raise BusinessRuleError(_("Deze link is al gebruikt."))
    patient = change.patient
    _only_the_patient(by, patient)
    user = User.objects.select_for_update(no_key=True).get(pk=by.pk)
    old_email, now = user.email, timezone.now()
    user.email, user.email_confirmed_at = change.new_email, now
    try:
        with transaction.atomic():
            user.save(update_fields=["email", "email_confirmed_at"])
    except IntegrityError as error:  # someone took the address since the link was sent
        raise BusinessRuleError(
            _("Dit e-mailadres kan niet worden gebruikt. Kies een ander e-mailadres.")
        ) from error
    change.confirmed_at = now
    change.save(update_fields=["confirmed_at"])
    body = render_to_string(
        "patients/email/email_changed.txt", {"practice": patient.practice, "changed_at": now}
    )
    queue_email(
        practice=patient.practice,
        to=old_email,
        subject=_("Uw e-mailadres voor het patiëntenportaal is gewijzigd"),
        body=body,
    )
    _record_contact_change(
        patient=patient, by=by, detail="e-mailadres gewijzigd", object_ids=[change.public_id]
    )
    by.email, by.email_confirmed_at = user.email, user.email_confirmed_at
    return change


@transaction.atomic
def request_address_change(
    *, patient: Patient, street: str, house_number: str, postal_code: str, city: str, by: User
) -> AddressChange:
    """A move, given by the patient: it waits for the desk, which checks and applies it.
    A second one before the desk got to the first replaces what the first said."""
    _only_the_patient(by, patient)
    try:
        house_number = normalise_house_number(house_number)
        postal_code = normalise_postal_code(postal_code)
    except DjangoValidationError as error:
        raise BusinessRuleError(" ".join(error.messages)) from error
    street, city = street.strip(), city.strip()
    if not street or not city:
        raise BusinessRuleError(_("Vul de straat en de plaats in."))
    Patient.objects.select_for_update(no_key=True).filter(pk=patient.pk).first()
    fields = {
        "street": street,
        "house_number": house_number,
        "postal_code": postal_code,
        "city": city,
        "requested_by": by,
        "requested_at": timezone.now(),
    }
    change = AddressChange.objects.open().filter(patient=patient).first()
    if change is None:
        change = AddressChange.objects.create(practice=patient.practice, patient=patient, **fields)
    else:
        for name, value in fields.items():
            setattr(change, name, value)
        change.save(update_fields=list(fields))
    _record_contact_change(
        patient=patient, by=by, detail="adreswijziging doorgegeven", object_ids=[change.public_id]
    )
    return change


def _locked_open_change(change: AddressChange, by: User) -> AddressChange:
    if not capabilities.can_handle_address_changes(by) or practice_of(by) != change.practice:
        raise PermissionDenied
    change = (
        AddressChange.objects.select_for_update(no_key=True, of=("self",))
        .select_related("patient__practice")
        .get(pk=change.pk)
    )
    if not change.is_open:
        raise BusinessRuleError(_("Deze adreswijziging is al verwerkt."))
    return change


@transaction.atomic
def accept_address_change(*, change: AddressChange, by: User) -> AddressChange:
    """The desk applies the new address to the patient's details."""
    change = _locked_open_change(change, by)
    patient = Patient.objects.select_for_update(no_key=True).get(pk=change.patient_id)
    patient.street, patient.house_number = change.street, change.house_number
    patient.postal_code, patient.city = change.postal_code, change.city
    patient.save(update_fields=["street", "house_number", "postal_code", "city"])
    change.status = AddressChangeStatus.ACCEPTED
    change.decided_by, change.decided_at = by, timezone.now()
    change.save(update_fields=["status", "decided_by", "decided_at"])
    _record_contact_change(
        patient=patient, by=by, detail="adreswijziging verwerkt", object_ids=[change.public_id]
    )
    return change


@transaction.atomic
def reject_address_change(*, change: AddressChange, reason: str, by: User) -> AddressChange:
    """The desk does not apply it (not in the BRP, a mistake, …); the patient sees why."""
    reason = reason.strip()
    if not reason:
        raise BusinessRuleError(_("Schrijf de reden op: de patiënt leest die."))
    change = _locked_open_change(change, by)
    change.status = AddressChangeStatus.REJECTED
    change.rejection_reason = reason[:500]
    change.decided_by, change.decided_at = by, timezone.now()
    change.save(update_fields=["status", "rejection_reason", "decided_by", "decided_at"])
    _record_contact_change(
        patient=change.patient,
        by=by,
        detail="adreswijziging afgewezen",
        object_ids=[change.public_id],
    )
    return change


def record_address_change_read(*, change: AddressChange, by: User) -> None:
    """The desk opened one change: the patient's current and new address."""
    record_access(
        actor=by,
        action=AuditAction.READ,
        object_kind="personal_data",
        practice=change.practice,
        patient=change.patient,
        object_ids=[change.patient.public_id, change.public_id],
        detail="adreswijziging",
    )


def record_address_changes_listed(*, by: User, shown: Sequence[AddressChange]) -> None:
    """The desk's list of changes to handle: one entry naming each patient and change shown."""
    record_access(
        actor=by,
        action=AuditAction.READ,
        object_kind="personal_data",
        practice=practice_of(by),
        object_ids=[
            public_id
            for change in shown
            for public_id in (change.patient.public_id, change.public_id)
        ],
        detail="adreswijzigingen te verwerken",
    )
