"""E-consults: a patient's non-urgent question with photos, the practice's answer within
its service level (working days), internal notes the patient never sees, and the
declaration of each answered e-consult."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from spreekuur.core.models import Practice
from spreekuur.patients.models import Patient


class EConsultSettings(models.Model):
    practice = models.OneToOneField(Practice, on_delete=models.CASCADE, related_name="+")
    sla_working_days = models.PositiveSmallIntegerField(
        _("antwoord binnen (werkdagen)"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
    )
    max_open_per_patient = models.PositiveSmallIntegerField(
        _("open vragen per patiënt"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
    )
    max_photo_megabytes = models.PositiveSmallIntegerField(
        _("grootte per foto (MB)"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
    )

    def __str__(self) -> str:
        return f"e-consult settings {self.practice_id}"


class Category(models.TextChoices):
    SKIN = "huid", _("Huid (plek, uitslag, moedervlek)")
    COMPLAINT = "klacht", _("Een andere klacht")
    MEDICINES = "medicijnen", _("Medicijnen")
    RESULTS = "uitslag", _("Een uitslag of onderzoek")
    REFERRAL = "verwijzing", _("Verwijzing of verklaring")
    OTHER = "anders", _("Iets anders")


class ThreadStatus(models.TextChoices):
    OPEN = "open", _("wacht op de praktijk")
    ANSWERED = "beantwoord", _("beantwoord")
    CLOSED = "gesloten", _("afgesloten")


def overdue_threads(now: datetime) -> Q:
    """'Over tijd', the one rule (for queries; Thread.is_overdue is the same for one row):
    still waiting for the practice after its deadline."""
    return Q(status=ThreadStatus.OPEN, due_at__lt=now)


class Thread(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    category = models.CharField(_("onderwerp"), max_length=12, choices=Category.choices)
    status = models.CharField(_("status"), max_length=10, choices=ThreadStatus.choices)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("behandelaar"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    triage = models.JSONField(default=list)  # the red-flag questions asked, all "no"
    # The self-triage the question was sent from (its questions and answers travel along).
    self_triage = models.ForeignKey(
        "triage.TriageSession", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    due_at = models.DateTimeField(_("antwoord uiterlijk"))
    answered_at = models.DateTimeField(null=True, blank=True)
    last_answer_at = models.DateTimeField(null=True, blank=True)
    patient_read_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        # Unique with the practice (public_id first, so lookups by it alone use this index):
        # the form a table distributed by practice_id can keep (docs/production.md).
        constraints = [
            models.UniqueConstraint(
                fields=["public_id", "practice"], name="thread_public_id_per_practice"
            ),
        ]
        indexes = [
            models.Index(fields=["practice", "status", "due_at"]),
            models.Index(fields=["practice", "patient", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"e-consult {self.public_id}"

    @property
    def is_open(self) -> bool:
        """Waiting for the practice (a deadline runs)."""
        return self.status == ThreadStatus.OPEN

    @property
    def is_closed(self) -> bool:
        return self.status == ThreadStatus.CLOSED

    @property
    def is_overdue(self) -> bool:
        """overdue_threads() for this one thread, now."""
        return self.is_open and self.due_at < timezone.now()


class Message(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    thread = models.ForeignKey(Thread, on_delete=models.PROTECT, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    from_patient = models.BooleanField()
    # An internal note: for the practice only, never in the portal (nor any export of it).
    internal = models.BooleanField(default=False)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["public_id", "practice"], name="message_public_id_per_practice"
            ),
            models.CheckConstraint(
                condition=Q(from_patient=False) | Q(internal=False),
                name="patient_messages_are_never_internal",
            ),
        ]
        indexes = [models.Index(fields=["thread", "internal", "created_at"])]

    def __str__(self) -> str:
        return f"e-consult message {self.public_id}"


class Photo(models.Model):
    """A re-encoded photo (JPEG, no EXIF or GPS) under a random name in the storage."""

    public_id = models.UUIDField(default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="photos")
    stored_name = models.CharField(max_length=120)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size_bytes = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["public_id", "practice"], name="photo_public_id_per_practice"
            ),
            models.UniqueConstraint(
                fields=["stored_name", "practice"], name="photo_stored_name_per_practice"
            ),
        ]

    def __str__(self) -> str:
        return f"photo {self.public_id}"


class ConsultCode(models.Model):
    """The practice's tariff table: a performance code and its tariff per year (NZa
    publishes them yearly; the practice keeps this table)."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("jaar"))
    code = models.CharField(_("prestatiecode"), max_length=8)
    description = models.CharField(_("omschrijving"), max_length=120)
    tariff = models.DecimalField(_("tarief (euro)"), max_digits=7, decimal_places=2)

    class Meta:
        ordering = ["-year", "code"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "year"], name="one_econsult_code_a_year"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.code}"


class Declaration(models.Model):
    """An answered e-consult, registered once for declaration."""

    thread = models.OneToOneField(Thread, on_delete=models.PROTECT, related_name="declaration")
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=8, blank=True)
    tariff = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    declared_on = models.DateField()
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["practice", "declared_on"])]

    def __str__(self) -> str:
        return f"declaration {self.thread_id}"
