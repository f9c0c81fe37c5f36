from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from spreekuur.core.models import Practice
from spreekuur.core.roles import StaffRole


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """Anyone who logs in: staff (with a Membership) or a patient (with a Patient link)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField(_("e-mailadres"), unique=True)
    full_name = models.CharField(_("naam"), max_length=200)
    is_active = models.BooleanField(_("actief"), default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    # Set when the person proved they read this address (a link from it was opened);
    # password-reset mail goes only to confirmed addresses.
    email_confirmed_at = models.DateTimeField(null=True, blank=True)
    # Part of the session hash: a new stamp ends every session of this user at once.
    security_stamp = models.UUIDField(default=uuid.uuid4, editable=False)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["full_name"]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_session_auth_hash(self) -> str:
        key_salt = "spreekuur.accounts.User.get_session_auth_hash"
        return salted_hmac(
            key_salt, f"{self.password}|{self.security_stamp}", algorithm="sha256"
        ).hexdigest()

    def get_session_auth_fallback_hash(self) -> Iterator[str]:
        key_salt = "spreekuur.accounts.User.get_session_auth_hash"
        for fallback_secret in settings.SECRET_KEY_FALLBACKS:
            yield salted_hmac(
                key_salt,
                f"{self.password}|{self.security_stamp}",
                secret=fallback_secret,
                algorithm="sha256",
            ).hexdigest()

    def end_all_sessions(self) -> None:
        self.security_stamp = uuid.uuid4()
        self.save(update_fields=["security_stamp"])

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


# The roles that reach patient records (need to know): the practice's manager may ask for
# one, but only a GP of the practice can grant it (accounts.services.confirm_clinical_role).
CLINICAL_ROLES = frozenset({StaffRole.HUISARTS, StaffRole.POH, StaffRole.ASSISTENT})


class Membership(models.Model):
    """A staff member's place in one practice, in one role.

    `role` is the role in force. A clinical role that the manager asked for waits in
    `requested_role` until a GP of the practice confirms it; meanwhile the member keeps
    the role they had, or none at all ("") when the account is new."""

    public_id = models.UUIDField(default=uuid.uuid4, editable=False)
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="membership")
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(_("rol"), max_length=20, choices=StaffRole.choices, blank=True)
    agb_code = models.CharField(_("AGB-code"), max_length=8, blank=True)
    active = models.BooleanField(_("actief"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    requested_role = models.CharField(
        _("aangevraagde rol"), max_length=20, choices=StaffRole.choices, blank=True
    )
    requested_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["user__full_name"]
        indexes = [models.Index(fields=["practice", "role"])]
        # Unique with the practice (public_id first, so lookups by it alone use this index):
        # the form a table distributed by practice_id can keep (docs/production.md).
        constraints = [
            models.UniqueConstraint(
                fields=["public_id", "practice"], name="membership_public_id_per_practice"
            ),
            models.CheckConstraint(
                condition=models.Q(requested_role__in=["", *sorted(CLINICAL_ROLES)]),
                name="membership_requests_only_clinical_roles",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display() or '-'}, {self.practice})"

    @property
    def awaits_confirmation(self) -> bool:
        return bool(self.requested_role)
