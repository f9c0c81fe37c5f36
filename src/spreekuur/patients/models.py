from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Replace, Right
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from spreekuur.core.models import Practice


class Sex(models.TextChoices):
    FEMALE = "F", _("vrouw")
    MALE = "M", _("man")
    OTHER = "X", _("anders / onbekend")


def phone_tail(field: str = "phone") -> Right:
    """The last nine digits of a phone number as people type it ("06-1234 5678",
    "+31 6 12345678"): the part of a Dutch number after the 0 or +31. An index on it lets
    the telephony link find a caller by number without reading every patient."""
    stripped: Any = F(field)
    for separator in (" ", "-", "(", ")", ".", "/"):
        stripped = Replace(stripped, Value(separator), Value(""))
    return Right(stripped, 9)


class Patient(models.Model):
    """A patient enrolled (ingeschreven) in one practice."""

    public_id = models.UUIDField(default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="patients")
    bsn = models.CharField(_("BSN"), max_length=9)
    initials = models.CharField(_("voorletters"), max_length=20, blank=True)
    given_name = models.CharField(_("roepnaam"), max_length=100)
    name_prefix = models.CharField(_("tussenvoegsel"), max_length=20, blank=True)
    family_name = models.CharField(_("achternaam"), max_length=150)
    date_of_birth = models.DateField(_("geboortedatum"))
    sex = models.CharField(_("geslacht"), max_length=1, choices=Sex.choices)
    street = models.CharField(_("straat"), max_length=150, blank=True)
    house_number = models.CharField(_("huisnummer"), max_length=12, blank=True)
    postal_code = models.CharField(_("postcode"), max_length=7, blank=True)
    city = models.CharField(_("plaats"), max_length=100, blank=True)
    phone = models.CharField(_("telefoonnummer"), max_length=20, blank=True)
    gp = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("eigen huisarts"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="list_patients",
    )
    enrolled_on = models.DateField(_("ingeschreven op"))
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="patient_profile",
    )

    class Meta:
        ordering = ["family_name", "given_name", "id"]
        # Unique with the practice (public_id first, so lookups by it alone use this index):
        # the form a table distributed by practice_id can keep (docs/production.md).
        constraints = [
            models.UniqueConstraint(
                fields=["public_id", "practice"], name="patient_public_id_per_practice"
            ),
            models.UniqueConstraint(fields=["practice", "bsn"], name="patient_bsn_per_practice"),
        ]
        indexes = [
            models.Index(fields=["practice", "family_name", "given_name"]),
            models.Index(fields=["practice", "date_of_birth"]),
            models.Index(F("practice"), phone_tail(), name="patient_phone_tail"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return " ".join(p for p in (self.given_name, self.name_prefix, self.family_name) if p)

    @property
    def formal_name(self) -> str:
        return " ".join(p for p in (self.initials, self.name_prefix, self.family_name) if p)

    def age_on(self, day: date) -> int:
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


MAX_ACTIVATION_ATTEMPTS = 5  # wrong dates of birth before a code stops working


class PortalActivationQuerySet(models.QuerySet["PortalActivation"]):
    def open(self) -> PortalActivationQuerySet:
        """Neither used nor replaced by a newer letter."""
        return self.filter(used_at__isnull=True, revoked_at__isnull=True)

    def usable(self) -> PortalActivationQuerySet:
        """Open, not expired, and not worn out by wrong dates of birth."""
        return self.open().filter(
            expires_at__gt=timezone.now(), failed_attempts__lt=MAX_ACTIVATION_ATTEMPTS
        )


class PortalActivation(models.Model):
    """A one-time code the practice gives a patient (on a letter) to open their portal."""

    public_id = models.UUIDField(default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="activations")
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    code_hash = models.CharField(max_length=64, unique=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = PortalActivationQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["public_id", "practice"], name="portal_activation_public_id_per_practice"
            ),
        ]
        indexes = [models.Index(fields=["practice", "issued_at"])]

    def __str__(self) -> str:
        return f"activation {self.public_id}"


class RepresentationKind(models.TextChoices):
    PARENT = "ouder", _("ouder of voogd")
    GEMACHTIGDE = "gemachtigde", _("gemachtigde")


# WGBO (art. 7:450 and 7:465 BW) and the KNMG guidance on minors, for every kind of
# representation, as a careful practice applies them:
# - under 12: the parents (or guardian) act for the child. A child cannot authorise anyone,
#   so a gemachtigde is refused when recorded and an existing one gives no access; the
#   practice records the parents themselves.
# - 12 to 16: a parent or a gemachtigde only with the child's consent, recorded by the
#   practice after speaking with the child (child_consent_on); the child may withdraw it.
# - from 16: the patient alone. A parent no longer; a gemachtigde only if the patient
#   authorised them themself: recorded when the patient was 16 or older, or recorded from
#   12 with the child's own consent (that was the patient's decision, and it keeps counting
#   until the end date or a revocation). One recorded while the patient was under 12 never
#   counts, whatever is added later: the practice revokes it and records a new machtiging.
# - a consent counts only when it was given at 12 or older, and not after the day judged.
# Representation.refusal is the one place these rules are applied; every access in the
# portal (portal.py: record, results, PDF, e-consult, repeat prescriptions) goes through it.
CONSENT_FROM_AGE = 12
ALONE_FROM_AGE = 16
# A gemachtigde's end date lies at most this far after the day it is recorded (a patient
# renews a machtiging; an authorisation that outlives its reason is a risk).
GEMACHTIGDE_MAX_DAYS = 5 * 366


class Representation(models.Model):
    """Someone with a portal account who may act for a patient, as the practice recorded
    it: a parent (by the child's age, and the child's consent from 12) or a gemachtigde
    the patient authorised (until an end date; from 12 with the child's consent, never for
    a child under 12). Never deleted: revoked."""

    public_id = models.UUIDField(default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="representations")
    representative = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="representations"
    )
    kind = models.CharField(_("soort"), max_length=12, choices=RepresentationKind.choices)
    valid_from = models.DateField(_("vanaf"))
    valid_until = models.DateField(_("tot en met"), null=True, blank=True)
    child_consent_on = models.DateField(_("toestemming van het kind op"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-recorded_at", "-id"]
        # The age rules need the patient's date of birth, in another table, and "today":
        # no CHECK can hold them, so they live in refusal() (checked on every request) and
        # the services. What a row alone can say is enforced here. Not here either: the
        # five-year maximum (date arithmetic needs Django's own SQL functions on SQLite)
        # and "consent not before the recording" (recorded_at is a UTC timestamp; its date
        # depends on the session's time zone).
        constraints = [
            models.UniqueConstraint(
                fields=["public_id", "practice"], name="representation_public_id_per_practice"
            ),
            models.UniqueConstraint(
                fields=["patient", "representative", "practice"],
                condition=Q(revoked_at__isnull=True),
                name="one_open_representation_per_pair",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="representation_ends_after_start",
            ),
            # A gemachtigde always has an end date (the patient authorised until then).
            models.CheckConstraint(
                condition=~Q(kind="gemachtigde") | Q(valid_until__isnull=False),
                name="gemachtigde_has_end_date",
            ),
            # Only the two kinds the rules know: an unknown kind must not slip past them.
            models.CheckConstraint(
                condition=Q(kind__in=["ouder", "gemachtigde"]), name="representation_kind_known"
            ),
        ]
        indexes = [models.Index(fields=["representative", "revoked_at"])]

    def __str__(self) -> str:
        return f"representation {self.public_id}"

    @property
    def is_parent(self) -> bool:
        """A parent or guardian: the child's age and consent decide (not an end date)."""
        return self.kind == RepresentationKind.PARENT

    @property
    def recorded_on(self) -> date:
        """The day the practice recorded it (today for a row not saved yet)."""
        if self.recorded_at is None:
            return timezone.localdate()
        return timezone.localdate(self.recorded_at)

    def recorded_for_a_young_child(self) -> bool:
        """A gemachtigde recorded while the patient was under 12: no one could authorise it."""
        return not self.is_parent and self.patient.age_on(self.recorded_on) < CONSENT_FROM_AGE

    def has_child_consent(self, today: date) -> bool:
        """The child consented, at 12 or older, on or before `today`."""
        consent = self.child_consent_on
        return (
            consent is not None
            and consent <= today
            and self.patient.age_on(consent) >= CONSENT_FROM_AGE
        )

    def asks_child_consent(self, today: date) -> bool:
        """Whether the child's consent can be recorded today (the patient is 12 to 16)."""
        age = self.patient.age_on(today)
        return (
            CONSENT_FROM_AGE <= age < ALONE_FROM_AGE
            and self.revoked_at is None
            and not self.recorded_for_a_young_child()
        )

    def refusal(self, today: date) -> str:
        """Why this person may not act for the patient today; "" when they may. The one
        capacity check: the WGBO rules above."""
        if self.revoked_at is not None:
            return str(_("ingetrokken"))
        if today < self.valid_from:
            return str(_("nog niet geldig"))
        if self.valid_until is not None and today > self.valid_until:
            return str(_("verlopen"))
        age = self.patient.age_on(today)
        if self.is_parent:
            if age >= ALONE_FROM_AGE:
                return str(_("vanaf 16 jaar ziet alleen de patiënt zelf het dossier"))
            if age >= CONSENT_FROM_AGE and not self.has_child_consent(today):
                return str(_("vanaf 12 jaar alleen met toestemming van het kind"))
            return ""
        if age < CONSENT_FROM_AGE:
            return str(_("onder 12 jaar handelen de ouders; een kind kan niemand machtigen"))
        if self.recorded_for_a_young_child():
            return str(_("vastgelegd toen de patiënt jonger was dan 12 jaar; dat geldt niet"))
        if self.patient.age_on(self.recorded_on) >= ALONE_FROM_AGE:
            return ""  # the patient authorised this person themself
        if self.has_child_consent(today):
            return ""
        if age < ALONE_FROM_AGE:
            return str(_("vanaf 12 jaar alleen met toestemming van het kind"))
        return str(_("vanaf 16 jaar alleen met een machtiging van de patiënt zelf"))

    def allows(self, today: date) -> bool:
        return not self.refusal(today)


class AddressChangeStatus(models.TextChoices):
    OPEN = "open", _("te verwerken")
    ACCEPTED = "verwerkt", _("verwerkt")
    REJECTED = "afgewezen", _("afgewezen")


class AddressChangeQuerySet(models.QuerySet["AddressChange"]):
    def open(self) -> AddressChangeQuerySet:
        return self.filter(status=AddressChangeStatus.OPEN)


class AddressChange(models.Model):
    """A new postal address a patient gave in the portal. The desk checks it (against the
    BRP, or by asking) and applies it, or rejects it with a reason the patient reads."""

    public_id = models.UUIDField(default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="address_changes")
    street = models.CharField(_("straat"), max_length=150)
    house_number = models.CharField(_("huisnummer"), max_length=12)
    postal_code = models.CharField(_("postcode"), max_length=7)
    city = models.CharField(_("plaats"), max_length=100)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=AddressChangeStatus.choices,
        default=AddressChangeStatus.OPEN,
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.CharField(_("reden"), max_length=500, blank=True)

    objects = AddressChangeQuerySet.as_manager()

    class Meta:
        ordering = ["requested_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["public_id", "practice"], name="address_change_public_id_per_practice"
            ),
            models.UniqueConstraint(
                fields=["practice", "patient"],
                condition=Q(status="open"),
                name="one_open_address_change_per_patient",
            ),
            models.CheckConstraint(
                condition=~Q(status="afgewezen") | ~Q(rejection_reason=""),
                name="address_change_rejected_with_reason",
            ),
            models.CheckConstraint(
                condition=Q(status="open") | Q(decided_at__isnull=False),
                name="address_change_decided_at",
            ),
        ]
        indexes = [models.Index(fields=["practice", "status", "requested_at"])]

    def __str__(self) -> str:
        return f"address change {self.public_id}"

    @property
    def is_open(self) -> bool:
        return self.status == AddressChangeStatus.OPEN

    @property
    def is_rejected(self) -> bool:
        return self.status == AddressChangeStatus.REJECTED


EMAIL_CHANGE_VALID_HOURS = 48


class EmailChangeQuerySet(models.QuerySet["EmailChange"]):
    def open(self) -> EmailChangeQuerySet:
        """Neither confirmed nor replaced, and the link has not expired."""
        return self.filter(
            confirmed_at__isnull=True, cancelled_at__isnull=True, expires_at__gt=timezone.now()
        )


class EmailChange(models.Model):
    """A new e-mail address for a patient's login, waiting for the link mailed to it.
    The address changes only when that link is used, by the patient, logged in."""

    public_id = models.UUIDField(default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="email_changes")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_changes"
    )
    new_email = models.EmailField(_("nieuw e-mailadres"))
    requested_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    objects = EmailChangeQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["public_id", "practice"], name="email_change_public_id_per_practice"
            ),
            models.UniqueConstraint(
                fields=["user", "practice"],
                condition=Q(confirmed_at__isnull=True, cancelled_at__isnull=True),
                name="one_pending_email_change_per_user",
            ),
        ]
        indexes = [models.Index(fields=["practice", "requested_at"])]

    def __str__(self) -> str:
        return f"e-mail change {self.public_id}"
