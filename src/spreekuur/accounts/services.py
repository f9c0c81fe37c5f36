"""Writes for accounts: staff management, second factor, login events."""

from __future__ import annotations

import logging
import secrets

from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django_otp import user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from spreekuur.accounts import capabilities
from spreekuur.accounts.models import Membership, User
from spreekuur.accounts.selectors import practice_of
from spreekuur.core.audit import record_access
from spreekuur.core.exceptions import BusinessRuleError, PermissionDenied
from spreekuur.core.models import AuditAction, AuditOutcome, Practice
from spreekuur.core.outbox import queue_email
from spreekuur.core.roles import StaffRole

security_log = logging.getLogger("spreekuur.security")
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def _require_manager(by: User, practice: Practice) -> None:
    if not capabilities.can_manage_staff(by) or practice_of(by) != practice:
        raise PermissionDenied


EMAIL_CONFIRMATION_SALT = "spreekuur.accounts.email-confirmation"
EMAIL_CONFIRMATION_DAYS = 7


def send_email_confirmation(*, user: User, base_url: str) -> None:
    """A content-free mail with a signed link proving the address is the person's own.
    The link holds the user's random id and a keyed hash of the address, never the address
    itself (a signed token is readable, and links end up in proxy logs and history)."""
    token = signing.dumps(
        {"user": str(user.public_id), "address": _address_hash(user.email)},
        salt=EMAIL_CONFIRMATION_SALT,
    )
    link = base_url.rstrip("/") + reverse("accounts:confirm_email", kwargs={"token": token})
    body = render_to_string("accounts/email/confirm_email.txt", {"link": link})
    queue_account_mail(user=user, subject=_("Bevestig uw e-mailadres"), body=body)


def confirm_email(*, token: str) -> User | None:
    """The user whose address this link confirms, or None for a bad or old link."""
    try:
        data = signing.loads(
            token, salt=EMAIL_CONFIRMATION_SALT, max_age=EMAIL_CONFIRMATION_DAYS * 86400
        )
    except signing.BadSignature:
        return None
    user = User.objects.filter(public_id=data.get("user")).first()
    if user is None or not constant_time_compare(
        _address_hash(user.email), str(data.get("address", ""))
    ):
        return None  # another address since the link was sent: it proves nothing
    mark_email_confirmed(user=user)
    return user


def _address_hash(email: str) -> str:
    return salted_hmac(EMAIL_CONFIRMATION_SALT, email.strip().lower()).hexdigest()[:32]


def mark_email_confirmed(*, user: User) -> None:
    """A password chosen through a link mailed to the address also proves the address."""
    if user.email_confirmed_at is None:
        user.email_confirmed_at = timezone.now()
        user.save(update_fields=["email_confirmed_at"])


def send_set_password_mail(*, user: User, base_url: str) -> None:
    """A content-free mail with a one-time link to choose a password."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    link = base_url.rstrip("/") + reverse(
        "accounts:password_reset_confirm", kwargs={"uidb64": uid, "token": token}
    )
    practice = practice_of(user)
    body = render_to_string("accounts/email/set_password.txt", {"link": link, "practice": practice})
    queue_account_mail(user=user, subject=_("Uw account bij Spreekuur"), body=body)


def queue_account_mail(*, user: User, subject: str, body: str) -> None:
    """An account mail (a confirmation or password link) through the outbox, under the
    user's practice so that the practice sees it when it cannot be delivered."""
    queue_email(practice=practice_of(user), to=user.email, subject=subject, body=body)


@transaction.atomic
def add_staff_member(
    *,
    practice: Practice,
    email: str,
    full_name: str,
    role: str,
    agb_code: str = "",
    by: User,
    base_url: str,
) -> Membership:
    _require_manager(by, practice)
    if role not in StaffRole.values:
        raise BusinessRuleError(_("Onbekende rol."))
    email = email.strip().lower()
    if User.objects.filter(email=email).exists():
        raise BusinessRuleError(_("Er bestaat al een account met dit e-mailadres."))
    user = User.objects.create_user(email=email, full_name=full_name.strip())
    membership = Membership.objects.create(
        user=user, practice=practice, role=role, agb_code=agb_code.strip()
    )
    record_access(
        actor=by,
        action=AuditAction.CREATE,
        object_kind="staff_membership",
        practice=practice,
        object_ids=[membership.public_id],
    )
    transaction.on_commit(lambda: send_set_password_mail(user=user, base_url=base_url))
    return membership


@transaction.atomic
def change_staff_member(
    *, membership: Membership, role: str, active: bool, agb_code: str, by: User
) -> Membership:
    _require_manager(by, membership.practice)
    if role not in StaffRole.values:
        raise BusinessRuleError(_("Onbekende rol."))
    # Lock the practice's active managers too, so two managers demoting each other at the
    # same moment cannot leave the practice without one.
    managers = list(
        Membership.objects.select_for_update(no_key=True)
        .filter(practice=membership.practice, role=StaffRole.PRAKTIJKMANAGER, active=True)
        .values_list("pk", flat=True)
    )
    membership = Membership.objects.select_for_update(no_key=True).get(pk=membership.pk)
    stays_manager = active and role == StaffRole.PRAKTIJKMANAGER
    other_managers = [pk for pk in managers if pk != membership.pk]
    if membership.role == StaffRole.PRAKTIJKMANAGER and not stays_manager and not other_managers:
        raise BusinessRuleError(
            _("De praktijk moet ten minste één actieve praktijkmanager houden.")
        )
    membership.role = role
    membership.active = active
    membership.agb_code = agb_code.strip()
    membership.save(update_fields=["role", "active", "agb_code"])
    if not active:
        membership.user.is_active = False
        # An inactive user's sessions stop authenticating at once (ModelBackend.get_user).
        membership.user.save(update_fields=["is_active"])
    elif not membership.user.is_active:
        membership.user.is_active = True
        membership.user.save(update_fields=["is_active"])
    record_access(
        actor=by,
        action=AuditAction.CHANGE,
        object_kind="staff_membership",
        practice=membership.practice,
        object_ids=[membership.public_id],
    )
    return membership


@transaction.atomic
def reset_second_factor(*, membership: Membership, by: User, base_url: str) -> None:
    """Lost phone, no recovery codes: the manager (after checking who asks, in person)
    removes the staff member's app, recovery codes and passkeys and ends their sessions.
    The password stops working too and a set-password link goes to their own mailbox,
    so only the owner of that mailbox can link the new authenticator (not whoever else
    may know the old password). Never for oneself: a stolen session must not be able to
    drop its own second factor."""
    _require_manager(by, membership.practice)
    if membership.user_id == by.pk:
        raise BusinessRuleError(
            _("U kunt uw eigen tweede stap niet herstellen; vraag een andere praktijkmanager.")
        )
    from django_otp_webauthn.models import WebAuthnCredential

    user = membership.user
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    WebAuthnCredential.objects.filter(user=user).delete()
    user.set_unusable_password()
    user.save(update_fields=["password"])
    user.end_all_sessions()
    transaction.on_commit(lambda: send_set_password_mail(user=user, base_url=base_url))
    record_access(
        actor=by,
        action=AuditAction.CHANGE,
        object_kind="second_factor",
        practice=membership.practice,
        object_ids=[membership.public_id],
        detail="tweede stap hersteld",
    )


def start_totp_setup(*, user: User) -> TOTPDevice:
    """An unconfirmed authenticator for the user to scan; replaces an earlier unconfirmed one."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="Authenticator-app", confirmed=False)


@transaction.atomic
def confirm_totp_device(*, user: User, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm the authenticator when the code fits; return fresh recovery codes."""
    if device.user_id != user.pk or device.confirmed:
        raise PermissionDenied
    if not device.verify_token(token.strip().replace(" ", "")):
        return None
    replaced = TOTPDevice.objects.filter(user=user, confirmed=True).delete()[0] > 0
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    record_access(
        actor=user,
        action=AuditAction.CHANGE if replaced else AuditAction.CREATE,
        object_kind="second_factor",
        practice=practice_of(user),
        detail="nieuwe telefoon gekoppeld" if replaced else "authenticator gekoppeld",
    )
    return regenerate_recovery_codes(user=user)


@transaction.atomic
def regenerate_recovery_codes(*, user: User) -> list[str]:
    device, _created = StaticDevice.objects.get_or_create(
        user=user, defaults={"name": "Herstelcodes", "confirmed": True}
    )
    device.token_set.all().delete()
    codes = [
        "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def verify_authenticator_code(*, user: User, token: str) -> bool:
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device is not None and device.verify_token(token.strip().replace(" ", ""))


def second_factor_throttled(user: User) -> bool:
    """True while django-otp's back-off after a wrong code is running."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device is not None and not device.verify_is_allowed()[0]


def has_confirmed_second_factor(user: User) -> bool:
    """Any confirmed device (app, recovery codes, passkey): then the login asks for it, and
    a password alone can never enrol a new one."""
    confirmed: bool = user_has_device(user, confirmed=True)
    return confirmed


def record_login(*, user: User, method: str) -> None:
    """method: "wachtwoord", "tweede factor" (app code or recovery code) or "passkey"."""
    record_access(
        actor=user,
        action=AuditAction.LOGIN,
        object_kind="session",
        practice=practice_of(user),
        detail=method,
    )


@transaction.atomic
def remove_passkey(*, user: User, passkey_id: int) -> None:
    """A user removes one of their own passkeys (someone else's id changes nothing)."""
    from django_otp_webauthn.models import WebAuthnCredential

    deleted, _rows = WebAuthnCredential.objects.filter(user=user, pk=passkey_id).delete()
    if not deleted:
        raise PermissionDenied
    record_access(
        actor=user,
        action=AuditAction.DELETE,
        object_kind="passkey",
        practice=practice_of(user),
        object_ids=[passkey_id],
    )


def record_failed_login(*, email: str, stage: str) -> None:
    """A refused password or code. Known accounts: an audit entry in their practice's
    chain. Unknown addresses concern no record, so they go to the security log (request id
    and address, never what was typed) instead of queueing on the one system chain."""
    user = User.objects.filter(email=email.strip().lower()).first()
    if user is None:
        security_log.warning("login failed for an unknown account", extra={"stage": stage})
        return
    record_access(
        actor=user,
        action=AuditAction.LOGIN_FAILED,
        object_kind="session",
        practice=practice_of(user),
        outcome=AuditOutcome.DENIED,
        detail=stage,
    )


def record_logout(*, user: User) -> None:
    record_access(
        actor=user, action=AuditAction.LOGOUT, object_kind="session", practice=practice_of(user)
    )
