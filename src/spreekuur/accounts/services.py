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
from spreekuur.accounts.models import CLINICAL_ROLES, Membership, User
from spreekuur.accounts.selectors import account_practice, gps_of, practice_of
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
    practice = account_practice(user)
    body = render_to_string("accounts/email/set_password.txt", {"link": link, "practice": practice})
    queue_account_mail(user=user, subject=_("Uw account bij Spreekuur"), body=body)


def queue_account_mail(*, user: User, subject: str, body: str) -> None:
    """An account mail (a confirmation or password link) through the outbox, under the
    user's practice so that the practice sees it when it cannot be delivered."""
    queue_email(practice=account_practice(user), to=user.email, subject=subject, body=body)


def needs_gp_confirmation(*, current_role: str, new_role: str) -> bool:
    """Whether the manager's choice of role waits for a GP: every clinical role (they reach
    patient records) that the member does not have yet. A GP moving to another clinical
    role gains no record they could not read already, so that takes effect at once."""
    return (
        new_role in CLINICAL_ROLES
        and new_role != current_role
        and current_role != StaffRole.HUISARTS
    )


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
    """A new account. A clinical role is only asked for: the account has no role in force
    (so no access) until a GP of the practice confirms it, and every GP is told."""
    _require_manager(by, practice)
    if role not in StaffRole.values:
        raise BusinessRuleError(_("Onbekende rol."))
    email = email.strip().lower()
    if User.objects.filter(email=email).exists():
        raise BusinessRuleError(_("Er bestaat al een account met dit e-mailadres."))
    user = User.objects.create_user(email=email, full_name=full_name.strip())
    asks_gp = needs_gp_confirmation(current_role="", new_role=role)
    membership = Membership.objects.create(
        user=user, practice=practice, role="" if asks_gp else role, agb_code=agb_code.strip()
    )
    if asks_gp:
        _ask_gps(membership=membership, role=role, by=by, base_url=base_url)
    record_access(
        actor=by,
        action=AuditAction.CREATE,
        object_kind="staff_membership",
        practice=practice,
        object_ids=[membership.public_id],
        detail=f"zorgrol {role} aangevraagd" if asks_gp else f"rol {role}",
    )
    transaction.on_commit(lambda: send_set_password_mail(user=user, base_url=base_url))
    return membership


@transaction.atomic
def change_staff_member(
    *, membership: Membership, role: str, active: bool, agb_code: str, by: User, base_url: str
) -> Membership:
    """Role, AGB code and whether the account is active. A new clinical role is asked for
    (see add_staff_member); the member keeps the role they have until a GP confirms it.
    Any other role takes effect at once and withdraws a waiting request."""
    _require_manager(by, membership.practice)
    if role not in StaffRole.values:
        raise BusinessRuleError(_("Onbekende rol."))
    membership, other_managers = _lock_for_role_change(membership)
    _keep_a_manager(
        membership, other_managers, stays_manager=active and role == StaffRole.PRAKTIJKMANAGER
    )
    asks_gp = needs_gp_confirmation(current_role=membership.role, new_role=role)
    if asks_gp and not active:
        raise BusinessRuleError(
            _("Een zorgrol kan alleen voor een actief account worden aangevraagd.")
        )
    detail = ""
    if asks_gp and role != membership.requested_role:
        _ask_gps(membership=membership, role=role, by=by, base_url=base_url)
        detail = f"zorgrol {role} aangevraagd"
    elif not asks_gp:
        if membership.requested_role:
            detail = f"aanvraag zorgrol {membership.requested_role} ingetrokken"
        _clear_request(membership)
        membership.role = role
    membership.active = active
    membership.agb_code = agb_code.strip()
    membership.save(
        update_fields=[
            "role",
            "active",
            "agb_code",
            "requested_role",
            "requested_by",
            "requested_at",
        ]
    )
    if not active:
        membership.user.is_active = False
        # An inactive user's sessions stop authenticating at once (ModelBackend.get_user).
        membership.user.save(update_fields=["is_active"])
    elif not membership.user.is_active:
        membership.user.is_active = True
        membership.user.save(update_fields=["is_active"])
    _log_membership_change(membership, by=by, detail=detail)
    return membership


def _lock_for_role_change(membership: Membership) -> tuple[Membership, list[int]]:
    """The membership, locked, and the practice's other active managers. The managers are
    locked first (always in this order), so two changes at the same moment (two managers
    demoting each other) cannot leave the practice without one."""
    managers = list(
        Membership.objects.select_for_update(no_key=True)
        .filter(practice=membership.practice, role=StaffRole.PRAKTIJKMANAGER, active=True)
        .values_list("pk", flat=True)
    )
    locked = Membership.objects.select_for_update(no_key=True).get(pk=membership.pk)
    return locked, [pk for pk in managers if pk != locked.pk]


def _keep_a_manager(
    membership: Membership, other_managers: list[int], *, stays_manager: bool
) -> None:
    if membership.role == StaffRole.PRAKTIJKMANAGER and not stays_manager and not other_managers:
        raise BusinessRuleError(
            _("De praktijk moet ten minste één actieve praktijkmanager houden.")
        )


def _clear_request(membership: Membership) -> None:
    membership.requested_role = ""
    membership.requested_by = None
    membership.requested_at = None


def _ask_gps(*, membership: Membership, role: str, by: User, base_url: str) -> None:
    """Record the request and tell every GP of the practice: the member's name, the role and
    a link to the page where a GP decides (staff data only, never a patient's)."""
    membership.requested_role = role
    membership.requested_by = by
    membership.requested_at = timezone.now()
    membership.save(update_fields=["requested_role", "requested_by", "requested_at"])
    link = base_url.rstrip("/") + reverse("accounts:role_requests")
    context = {
        "member": membership.user.full_name,
        "role": StaffRole(role).label,
        "requested_by": by.full_name,
        "practice": membership.practice,
        "link": link,
    }
    body = render_to_string("accounts/email/clinical_role_request.txt", context)
    for gp in gps_of(membership.practice).exclude(user=membership.user):
        queue_email(
            practice=membership.practice,
            to=gp.user.email,
            subject=_("Een nieuwe zorgrol wacht op uw bevestiging"),
            body=body,
        )


def _locked_request(
    *, membership: Membership, role: str, by: User | None
) -> tuple[Membership, list[int]]:
    """The waiting request, locked (as in change_staff_member, with the practice's other
    managers), as the deciding GP saw it (`role`). Refused when it changed or was withdrawn
    meanwhile, so nobody confirms a role they did not see."""
    if by is not None and (
        not capabilities.can_confirm_clinical_roles(by) or practice_of(by) != membership.practice
    ):
        raise PermissionDenied
    locked, other_managers = _lock_for_role_change(membership)
    if not locked.active or not locked.requested_role or locked.requested_role != role:
        raise BusinessRuleError(
            _("Deze aanvraag is intussen gewijzigd of ingetrokken. Bekijk de lijst opnieuw.")
        )
    if by is not None and by.pk in (locked.user_id, locked.requested_by_id):
        # Four eyes: never for oneself, and never by the one who asked.
        raise BusinessRuleError(_("Een andere huisarts van de praktijk moet deze rol bevestigen."))
    return locked, other_managers


@transaction.atomic
def confirm_clinical_role(*, membership: Membership, role: str, by: User) -> Membership:
    """A GP of the practice grants the clinical role the manager asked for."""
    locked, other_managers = _locked_request(membership=membership, role=role, by=by)
    return _grant_requested_role(locked, other_managers, by=by)


def _grant_requested_role(
    locked: Membership, other_managers: list[int], *, by: User | None, system_name: str = ""
) -> Membership:
    # A manager who becomes a GP stops being the manager: one must remain.
    _keep_a_manager(locked, other_managers, stays_manager=False)
    role = locked.requested_role
    locked.role = role
    _clear_request(locked)
    locked.save(update_fields=["role", "requested_role", "requested_by", "requested_at"])
    _log_membership_change(
        locked, by=by, detail=f"zorgrol {role} bevestigd", system_name=system_name
    )
    return locked


def _log_membership_change(
    membership: Membership, *, by: User | None, detail: str, system_name: str = ""
) -> None:
    record_access(
        actor=by,
        action=AuditAction.CHANGE,
        object_kind="staff_membership",
        practice=membership.practice,
        object_ids=[membership.public_id],
        detail=detail,
        system_name=system_name,
    )


@transaction.atomic
def refuse_clinical_role(*, membership: Membership, role: str, by: User) -> Membership:
    """A GP turns the request down. A new account that had no other role is closed; a
    member who asked for another role keeps the one they have."""
    locked, _managers = _locked_request(membership=membership, role=role, by=by)
    _clear_request(locked)
    if not locked.role:
        locked.active = False
    locked.save(update_fields=["requested_role", "requested_by", "requested_at", "active"])
    if not locked.active:
        locked.user.is_active = False
        locked.user.save(update_fields=["is_active"])
        locked.user.end_all_sessions()
    _log_membership_change(locked, by=by, detail=f"zorgrol {role} geweigerd")
    return locked


@transaction.atomic
def confirm_first_gp(*, email: str) -> Membership:
    """For the operator (manage.py confirm_first_gp): a practice that has no GP in force has
    nobody to confirm its first one. Refused as soon as the practice has a GP of its own."""
    membership = (
        Membership.objects.select_related("user", "practice")
        .filter(user__email=email.strip().lower(), requested_role=StaffRole.HUISARTS)
        .first()
    )
    if membership is None:
        raise BusinessRuleError(_("Er wacht geen aanvraag als huisarts voor dit e-mailadres."))
    locked, other_managers = _locked_request(
        membership=membership, role=StaffRole.HUISARTS, by=None
    )
    if gps_of(locked.practice).exists():
        raise BusinessRuleError(
            _("Deze praktijk heeft een huisarts; die bevestigt de rol in Spreekuur.")
        )
    return _grant_requested_role(
        locked, other_managers, by=None, system_name="beheerder (confirm_first_gp)"
    )


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
        practice=account_practice(user),
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
        practice=account_practice(user),
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
        practice=account_practice(user),
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
        practice=account_practice(user),
        outcome=AuditOutcome.DENIED,
        detail=stage,
    )


def record_logout(*, user: User) -> None:
    record_access(
        actor=user,
        action=AuditAction.LOGOUT,
        object_kind="session",
        practice=account_practice(user),
    )
