from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from spreekuur.core.roles import Channel
from spreekuur.core.validators import validate_brand_colour, validate_phone

WEEKDAYS = [
    (0, _("maandag")),
    (1, _("dinsdag")),
    (2, _("woensdag")),
    (3, _("donderdag")),
    (4, _("vrijdag")),
    (5, _("zaterdag")),
    (6, _("zondag")),
]


class Practice(models.Model):
    """A general practice: the tenant. Every table with patient data points here."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    slug = models.SlugField(unique=True, max_length=80)
    name = models.CharField(_("naam"), max_length=200)
    agb_code = models.CharField(_("AGB-code"), max_length=8, unique=True)
    street = models.CharField(_("straat en huisnummer"), max_length=200)
    postal_code = models.CharField(_("postcode"), max_length=7)
    city = models.CharField(_("plaats"), max_length=100)
    phone_main = models.CharField(_("telefoonnummer"), max_length=20, validators=[validate_phone])
    phone_urgent = models.CharField(_("spoedlijn"), max_length=20, validators=[validate_phone])
    website_intro = models.TextField(_("welkomsttekst"), blank=True)
    brand_colour = models.CharField(
        _("huiskleur"),
        max_length=7,
        default="#154273",
        validators=[validate_brand_colour],
        help_text=_("Hexadecimale kleur, donker genoeg voor witte tekst (WCAG AA)."),
    )
    hap_name = models.CharField(_("huisartsenpost"), max_length=200)
    hap_phone = models.CharField(
        _("telefoon huisartsenpost"), max_length=20, validators=[validate_phone]
    )
    hap_address = models.CharField(_("adres huisartsenpost"), max_length=250, blank=True)
    records_online_from = models.DateField(
        _("dossier online vanaf"),
        null=True,
        blank=True,
        help_text=_("Vanaf deze datum zijn dossiergegevens online in te zien."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class OpeningHours(models.Model):
    """A regular opening interval on a weekday. Several per day allow a lunch break."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(_("dag"), choices=WEEKDAYS)
    opens = models.TimeField(_("open"))
    closes = models.TimeField(_("dicht"))

    class Meta:
        ordering = ["weekday", "opens"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="opening_hours_weekday"),
            models.CheckConstraint(
                condition=~Q(opens=models.F("closes")), name="opening_hours_span"
            ),
        ]
        indexes = [models.Index(fields=["practice", "weekday"])]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"


class OpeningException(models.Model):
    """A date with other hours than usual: closed (training day) or open on a holiday."""

    practice = models.ForeignKey(
        Practice, on_delete=models.CASCADE, related_name="opening_exceptions"
    )
    date = models.DateField(_("datum"))
    closed = models.BooleanField(_("gesloten"), default=True)
    opens = models.TimeField(_("open"), null=True, blank=True)
    closes = models.TimeField(_("dicht"), null=True, blank=True)
    reason = models.CharField(_("reden"), max_length=200, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "date"], name="opening_exception_once"),
            models.CheckConstraint(
                condition=Q(closed=True) | (Q(opens__isnull=False) & Q(closes__isnull=False)),
                name="opening_exception_hours_when_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.reason}"


class NewsItem(models.Model):
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="news")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(_("titel"), max_length=200)
    body = models.TextField(_("tekst"))
    published_on = models.DateField(_("gepubliceerd op"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-published_on", "-id"]
        indexes = [models.Index(fields=["practice", "-published_on"])]

    def __str__(self) -> str:
        return self.title


class AuditAction(models.TextChoices):
    """NEN 7513 events."""

    READ = "read", _("ingezien")
    CREATE = "create", _("aangemaakt")
    CHANGE = "change", _("gewijzigd")
    DELETE = "delete", _("verwijderd")
    EXPORT = "export", _("afgedrukt of geëxporteerd")
    SEARCH = "search", _("gezocht")
    BREAK_GLASS = "break_glass", _("noodtoegang")
    LOGIN = "login", _("ingelogd")
    LOGIN_FAILED = "login_failed", _("inlogpoging mislukt")
    LOGOUT = "logout", _("uitgelogd")


class AuditOutcome(models.TextChoices):
    ALLOWED = "allowed", _("toegestaan")
    DENIED = "denied", _("geweigerd")


class AuditChain(models.Model):
    """The head of one hash chain. Locked while an entry is appended.

    Each practice has its own chains (practice NULL: the system chain for events outside
    any practice), so a region's practices never wait on one another's lock. Within a
    practice, lane 0 takes every change and lanes 1..AUDIT_READ_LANES take the reads,
    spread by patient (core.audit.lane_for), so the page views of an 08:00 rush do not
    all queue on one row lock. Every lane is a complete chain of its own.
    """

    # "practice:<id>" (lane 0), "practice:<id>:<lane>", or "system"
    scope = models.CharField(max_length=24, unique=True)
    practice = models.ForeignKey(
        Practice, on_delete=models.PROTECT, null=True, related_name="audit_chains"
    )
    lane = models.PositiveSmallIntegerField(default=0)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["practice", "lane"], name="audit_chain_lane"),
        ]

    def __str__(self) -> str:
        return f"audit chain {self.scope} at {self.last_seq}"

    @staticmethod
    def scope_for(practice_id: int | None, lane: int = 0) -> str:
        if practice_id is None:
            return "system"
        return f"practice:{practice_id}" if lane == 0 else f"practice:{practice_id}:{lane}"


class AuditKey(models.Model):
    """The fingerprint of the AUDIT_CHAIN_KEY this database's log is written with (one
    row). A process started with another key refuses to serve instead of writing entries
    that would never verify (core.audit.check_chain_key)."""

    fingerprint = models.CharField(max_length=64)
    recorded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return "audit key fingerprint"


class AuditEntry(models.Model):
    """One NEN 7513 log line. Append-only: database triggers refuse UPDATE and DELETE."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # No single-column indexes on the keys below: the indexes in Meta lead with each of
    # them already, and every index more is written under the chain's lock.
    practice = models.ForeignKey(
        Practice,
        on_delete=models.PROTECT,
        null=True,
        related_name="audit_entries",
        db_index=False,
    )
    seq = models.BigIntegerField()
    occurred_at = models.DateTimeField()
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    outcome = models.CharField(max_length=10, choices=AuditOutcome.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        db_index=False,
    )
    actor_name = models.CharField(max_length=200)
    actor_role = models.CharField(max_length=30)
    acting_for = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    patient = models.ForeignKey(
        "patients.Patient",
        on_delete=models.PROTECT,
        null=True,
        related_name="audit_entries",
        db_index=False,
    )
    object_kind = models.CharField(max_length=60)
    object_ids = models.JSONField(default=list)
    ip_address = models.GenericIPAddressField(null=True)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    detail = models.CharField(max_length=200, blank=True)
    lane = models.PositiveSmallIntegerField(default=0)  # which of the practice's chains
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "lane", "seq"], name="audit_entry_lane_seq"
            ),
            models.UniqueConstraint(
                fields=["seq"], condition=Q(practice__isnull=True), name="audit_entry_system_seq"
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "-occurred_at"]),
            models.Index(fields=["practice", "-occurred_at"]),
            models.Index(fields=["actor", "-occurred_at"]),
            # When this user last opened this patient's results or repeats (what is new
            # since, in the menu and on the start page): one probe at the newest such
            # entry, however long the patient's log has grown.
            models.Index(
                fields=["patient", "actor", "object_kind", "-occurred_at"],
                condition=Q(action=AuditAction.READ, outcome=AuditOutcome.ALLOWED),
                name="audit_entry_last_look",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.action} {self.object_kind}"


class NotificationChannel(models.TextChoices):
    EMAIL = "email", _("e-mail")
    SMS = "sms", _("sms")


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("wacht op verzending")
    SENT = "sent", _("verzonden")
    FAILED = "failed", _("niet verzonden")


class Notification(models.Model):
    """One e-mail or text message waiting to leave, or that left (the outbox).

    Written in the same transaction as what caused it, so a rolled-back booking sends
    nothing; delivered by a background task with retries and back-off; after the last
    attempt it stays FAILED for the practice to see. Its text is content-free by rule
    (DESIGN.md §3.6); only the kind of the last failure is kept, never a server's reply."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    practice = models.ForeignKey(
        Practice, on_delete=models.CASCADE, null=True, related_name="notifications"
    )
    channel = models.CharField(max_length=8, choices=NotificationChannel.choices)
    recipient = models.CharField(max_length=254)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    status = models.CharField(
        max_length=8, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The delivery task's question: what is due now?
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="notification_due",
            ),
            # The practice's question: what did not leave?
            models.Index(fields=["practice", "status", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.status} ({self.attempts})"

    @property
    def is_failed(self) -> bool:
        return self.status == NotificationStatus.FAILED
