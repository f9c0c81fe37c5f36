"""Repeat prescriptions: the practice's pharmacies, how requests are routed, the requests
and their items with a status each, and the outbox that carries an approved item to the
pharmacy as a FHIR MedicationRequest."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from spreekuur.core.models import Practice
from spreekuur.core.tokens import hash_token, new_token
from spreekuur.dossier.models import Medication
from spreekuur.patients.models import Patient


class Transport(models.TextChoices):
    HTTP = "http", _("koppeling (HTTPS)")
    FILE = "bestand", _("bestand in een map")
    PRINT = "print", _("afdrukken (geen koppeling)")


class Pharmacy(models.Model):
    """A pharmacy the practice works with, and how a prescription reaches it."""

    public_id = models.UUIDField(default=uuid.uuid4, editable=False)  # unique per practice
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="pharmacies")
    name = models.CharField(_("naam"), max_length=120)
    agb_code = models.CharField(_("AGB-code"), max_length=8, blank=True)
    city = models.CharField(_("plaats"), max_length=100, blank=True)
    phone = models.CharField(_("telefoon"), max_length=20, blank=True)
    transport = models.CharField(_("verzending"), max_length=8, choices=Transport.choices)
    endpoint = models.URLField(_("adres van de koppeling"), blank=True)
    drop_folder = models.CharField(_("map voor bestanden"), max_length=255, blank=True)
    # The pharmacy's token for confirming "klaar om op te halen" (only its hash is kept).
    token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    active = models.BooleanField(_("actief"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "pharmacies"
        constraints = [
            models.UniqueConstraint(
                fields=["public_id", "practice"], name="pharmacy_public_id_per_practice"
            ),
            models.CheckConstraint(
                condition=~Q(transport="http") | ~Q(endpoint=""), name="http_pharmacy_has_endpoint"
            ),
            models.CheckConstraint(
                condition=~Q(transport="bestand") | ~Q(drop_folder=""),
                name="file_pharmacy_has_folder",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    hash_token = staticmethod(hash_token)
    new_token = staticmethod(new_token)


class Route(models.TextChoices):
    ASSISTANT_FIRST = "assistent", _("eerst langs de assistent")
    STRAIGHT_TO_GP = "huisarts", _("direct op de accorderingslijst van de huisarts")


class RepeatSettings(models.Model):
    """The practice's choice (the domain guide asks each practice to make it)."""

    practice = models.OneToOneField(Practice, on_delete=models.CASCADE, related_name="+")
    route = models.CharField(
        _("route van een aanvraag"),
        max_length=10,
        choices=Route.choices,
        default=Route.ASSISTANT_FIRST,
    )

    def __str__(self) -> str:
        return f"repeat settings {self.practice_id}"


class PharmacyChoice(models.Model):
    """The pharmacy a patient last chose, offered first next time."""

    patient = models.OneToOneField(Patient, on_delete=models.CASCADE, related_name="+")
    pharmacy = models.ForeignKey(Pharmacy, on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return f"pharmacy choice {self.patient_id}"


class Channel(models.TextChoices):
    PORTAL = "portaal", _("portaal")
    PHONE = "telefoon", _("telefoon of receptenlijn")
    DESK = "balie", _("balie")


class RepeatRequest(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, editable=False)  # unique per practice
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(_("kanaal"), max_length=10, choices=Channel.choices)
    pharmacy = models.ForeignKey(Pharmacy, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(_("opmerking"), max_length=300, blank=True)
    route = models.CharField(max_length=10, choices=Route.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["public_id", "practice"], name="repeat_request_public_id_per_practice"
            ),
        ]
        indexes = [
            models.Index(fields=["practice", "patient", "created_at"]),
            models.Index(fields=["practice", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"repeat request {self.public_id}"


class ItemStatus(models.TextChoices):
    REQUESTED = "aangevraagd", _("aangevraagd")
    IN_REVIEW = "in-behandeling", _("in behandeling")
    APPROVED = "goedgekeurd", _("goedgekeurd")
    REJECTED = "afgewezen", _("afgewezen")
    SENT = "naar-apotheek", _("naar de apotheek")
    READY = "klaar", _("klaar om op te halen")


# Open while the practice still has it; once sent, the pharmacy has it (a print or file
# pharmacy never reports "ready"), and the medicine can be asked for again.
OPEN_STATUSES = (ItemStatus.REQUESTED, ItemStatus.IN_REVIEW, ItemStatus.APPROVED)
# The GP said yes: approved, and perhaps already on its way or ready at the pharmacy.
APPROVED_STATUSES = (ItemStatus.APPROVED, ItemStatus.SENT, ItemStatus.READY)

# The status machine: every allowed step. Anything else is refused (a property test
# walks random sequences through it).
TRANSITIONS: dict[str, frozenset[str]] = {
    ItemStatus.REQUESTED: frozenset(
        {ItemStatus.IN_REVIEW, ItemStatus.APPROVED, ItemStatus.REJECTED}
    ),
    ItemStatus.IN_REVIEW: frozenset({ItemStatus.APPROVED, ItemStatus.REJECTED}),
    ItemStatus.APPROVED: frozenset({ItemStatus.SENT}),
    ItemStatus.SENT: frozenset({ItemStatus.READY}),
    ItemStatus.REJECTED: frozenset(),
    ItemStatus.READY: frozenset(),
}


class RejectionReason(models.TextChoices):
    CONTROL_NEEDED = "controle", _("Eerst een controle: maak een afspraak")
    NOT_REPEATABLE = "niet-herhaalbaar", _("Dit middel wordt niet meer herhaald")
    TOO_EARLY = "te-vroeg", _("Te vroeg: u heeft nog voldoende")
    OTHER = "anders", _("Anders (zie toelichting)")


class RepeatRequestItem(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, editable=False)  # unique per practice
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    request = models.ForeignKey(RepeatRequest, on_delete=models.PROTECT, related_name="items")
    medication = models.ForeignKey(Medication, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=16, choices=ItemStatus.choices)
    reason = models.CharField(
        _("reden"), max_length=20, choices=RejectionReason.choices, blank=True
    )
    explanation = models.CharField(_("toelichting"), max_length=300, blank=True)
    forwarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["public_id", "practice"], name="repeat_item_public_id_per_practice"
            ),
            # The same medicine cannot be asked for again while a request for it is open.
            models.UniqueConstraint(
                fields=["medication", "practice"],
                condition=Q(status__in=OPEN_STATUSES),
                name="one_open_request_per_medication",
            ),
            models.CheckConstraint(
                condition=~Q(status="afgewezen") | ~Q(reason=""), name="rejection_has_reason"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["goedgekeurd", "naar-apotheek", "klaar"])
                | Q(decided_by__isnull=False, decided_at__isnull=False),
                name="approval_has_a_prescriber",
            ),
        ]
        indexes = [models.Index(fields=["practice", "status", "updated_at"])]

    def __str__(self) -> str:
        return f"repeat item {self.public_id}"

    @property
    def is_rejected(self) -> bool:
        return self.status == ItemStatus.REJECTED

    @property
    def is_approved(self) -> bool:
        return self.status in APPROVED_STATUSES

    @property
    def needs_control(self) -> bool:
        """Refused until the patient has been seen: the portal offers an appointment."""
        return self.is_rejected and self.reason == RejectionReason.CONTROL_NEEDED


class DeliveryStatus(models.TextChoices):
    PENDING = "wachtend", _("wacht op verzending")
    DELIVERED = "afgeleverd", _("afgeleverd")
    TO_PRINT = "afdrukken", _("afdrukken en meegeven of faxen")
    FAILED = "mislukt", _("mislukt: actie nodig")


class OutboxMessage(models.Model):
    """One approved item on its way to the pharmacy. Written in the same transaction as
    the approval; delivered by the worker with retries, under one idempotency key (the
    item's id), so a retry never makes a second prescription."""

    public_id = models.UUIDField(default=uuid.uuid4, editable=False)  # unique per practice
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    item = models.OneToOneField(RepeatRequestItem, on_delete=models.PROTECT, related_name="outbox")
    pharmacy = models.ForeignKey(Pharmacy, on_delete=models.PROTECT, related_name="+")
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    # The worker's claim while it sends (core.delivery): only the holder of this token
    # writes the outcome, so a worker whose lease ran out marks nothing twice.
    claim = models.UUIDField(null=True, blank=True, editable=False)
    last_error = models.CharField(max_length=200, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["public_id", "practice"], name="outbox_message_public_id_per_practice"
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="wachtend"),
                name="outbox_due",
            ),
            models.Index(fields=["practice", "status"]),
        ]

    def __str__(self) -> str:
        return f"outbox {self.public_id}"

    @property
    def has_failed(self) -> bool:
        """Every attempt failed: the desk sends it again or prints it."""
        return self.status == DeliveryStatus.FAILED

    @property
    def is_printable(self) -> bool:
        """On paper: for a pharmacy without a link, or after a failed sending."""
        return self.status in (DeliveryStatus.TO_PRINT, DeliveryStatus.FAILED)
