"""The phone line's tables. No recording, no content of a call: only when it came, what
the caller chose in the menu, how long they waited and how it ended. A caller's number is
kept only on a callback request (someone has to call it), and erased when the request
has been closed for a while (see services.erase_old_numbers)."""

from __future__ import annotations

import secrets
import uuid
from datetime import time

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from spreekuur.core.models import Practice


def new_key_salt() -> str:
    return secrets.token_hex(16)


class TelephonyLink(models.Model):
    """The telephony platform's connection to one practice. It signs each request as the
    Standard Webhooks specification says; its signing secret is not stored but derived
    from the server's SECRET_KEY and this row's salt (services.link_secret), so a copy of
    the database alone cannot sign calls."""

    public_id = models.UUIDField(default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("naam"), max_length=120)
    key_salt = models.CharField(max_length=32, default=new_key_salt)
    active = models.BooleanField(_("actief"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["public_id", "practice"], name="telephony_link_public_id_per_practice"
            )
        ]
        indexes = [models.Index(fields=["public_id"])]  # the door finds its link by id

    def __str__(self) -> str:
        return self.name


class EventKind(models.TextChoices):
    INCOMING = "incoming", _("binnenkomend")
    QUEUED = "queued", _("in de wachtrij")
    ANSWERED = "answered", _("aangenomen")
    ABANDONED = "abandoned", _("opgehangen tijdens wachten")
    CALLBACK_REQUESTED = "callback_requested", _("terugbelverzoek")
    ENDED = "ended", _("beëindigd")


class CallEvent(models.Model):
    """One event as the platform sent it, once per event id (idempotency). The periodic
    fold turns the events of a call into its `Call` row."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    event_id = models.CharField(max_length=100)
    call_id = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    at = models.DateTimeField()
    menu_choice = models.PositiveSmallIntegerField(null=True, blank=True)
    folded = models.BooleanField(default=False)
    received_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["practice", "event_id"], name="call_event_once"),
        ]
        indexes = [
            models.Index(fields=["practice", "call_id"]),
            models.Index(
                fields=["practice", "received_at"],
                condition=Q(folded=False),
                name="call_event_to_fold",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.call_id}"


class CallSource(models.TextChoices):
    WEBHOOK = "webhook", _("koppeling")
    IMPORT = "import", _("gespreksrapport")


class CallOutcome(models.TextChoices):
    ANSWERED = "answered", _("aangenomen")
    ABANDONED = "abandoned", _("opgehangen tijdens wachten")
    CALLBACK = "callback", _("terugbelverzoek")
    MENU = "menu", _("afgehandeld in het keuzemenu")
    WAITING = "waiting", _("nog in de wachtrij")


class Call(models.Model):
    """One incoming call to the practice, from the platform's events or from an imported
    call report. Offered to the assistants when it reached the queue."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    call_key = models.CharField(max_length=120)
    source = models.CharField(max_length=8, choices=CallSource.choices)
    started_at = models.DateTimeField()
    menu_choice = models.PositiveSmallIntegerField(null=True, blank=True)
    queued = models.BooleanField(default=False)
    outcome = models.CharField(max_length=10, choices=CallOutcome.choices)
    wait_seconds = models.PositiveIntegerField(null=True, blank=True)
    talk_seconds = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["practice", "call_key"], name="call_once"),
        ]
        indexes = [models.Index(fields=["practice", "started_at"])]

    def __str__(self) -> str:
        return f"call {self.call_key}"


class CallHour(models.Model):
    """The summary of one hour of one day (local time): what the heat map, the roster and
    the dashboard read, so that none of them counts calls."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    hour = models.PositiveSmallIntegerField(validators=[MaxValueValidator(23)])
    incoming = models.PositiveIntegerField(default=0)  # every call, the menu's included
    offered = models.PositiveIntegerField(default=0)  # reached the assistants' queue
    answered = models.PositiveIntegerField(default=0)
    abandoned = models.PositiveIntegerField(default=0)
    callbacks = models.PositiveIntegerField(default=0)
    # Waiting time of the offered calls whose wait is known, to average.
    wait_seconds_total = models.PositiveBigIntegerField(default=0)
    waits_counted = models.PositiveIntegerField(default=0)
    talk_seconds_total = models.PositiveBigIntegerField(default=0)
    talks_counted = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["practice", "day", "hour"], name="call_hour_once"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.hour}:00"


class HerhaalAction(models.TextChoices):
    PORTAL = "portaal", _("verwijzen naar het patiëntenportaal")
    RECORDING = "inspreeklijn", _("inspreeklijn voor herhaalrecepten")


class PhoneSettings(models.Model):
    """The phone menu and the callback offer, as the domain guide describes them: spoed
    goes before everything, intercollegiaal before patients, herhaalrecepten to the portal
    (or a recording line), the assistant last; after a few minutes of waiting, "toets 5
    om teruggebeld te worden". Also what the roster needs from the phone line."""

    practice = models.OneToOneField(Practice, on_delete=models.CASCADE, related_name="+")
    welcome_text = models.CharField(
        _("welkomsttekst"),
        max_length=300,
        default="Welkom bij de huisartsenpraktijk. Bij levensgevaar belt u 112.",
    )
    online_hint = models.BooleanField(
        _("noem de online afspraak"),
        default=True,
        help_text=_('"Wist u dat u ook online een afspraak kunt maken?"'),
    )
    spoed_key = models.PositiveSmallIntegerField(_("toets spoed"), default=1)
    intercollegiaal_enabled = models.BooleanField(_("lijn voor zorgverleners"), default=True)
    intercollegiaal_key = models.PositiveSmallIntegerField(_("toets zorgverleners"), default=2)
    herhaal_enabled = models.BooleanField(_("keuze herhaalrecepten"), default=True)
    herhaal_key = models.PositiveSmallIntegerField(_("toets herhaalrecepten"), default=3)
    herhaal_action = models.CharField(
        _("herhaalrecepten"), max_length=12, choices=HerhaalAction.choices, default="portaal"
    )
    assistent_key = models.PositiveSmallIntegerField(_("toets assistente"), default=4)
    callback_enabled = models.BooleanField(_("terugbellen aanbieden"), default=True)
    callback_after_seconds = models.PositiveSmallIntegerField(
        _("aanbieden na (seconden wachten)"),
        default=180,
        validators=[MinValueValidator(30), MaxValueValidator(900)],
    )
    callback_key = models.PositiveSmallIntegerField(_("toets terugbellen"), default=5)
    callback_until = models.TimeField(
        _("terugbellen aanbieden tot"),
        default=time(16, 0),
        help_text=_("Daarna is er geen tijd meer om iedereen dezelfde dag terug te bellen."),
    )
    callback_attempts = models.PositiveSmallIntegerField(
        _("pogingen voordat een verzoek sluit"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(6)],
    )
    # For the roster (Erlang C): the service level the practice aims at and how long an
    # assistant is busy with one call, talking and noting.
    service_level_percent = models.PositiveSmallIntegerField(
        _("servicegraad (%)"), default=80, validators=[MinValueValidator(50), MaxValueValidator(99)]
    )
    service_level_seconds = models.PositiveSmallIntegerField(
        _("binnen (seconden)"),
        default=60,
        validators=[MinValueValidator(10), MaxValueValidator(600)],
    )
    handling_seconds = models.PositiveSmallIntegerField(
        _("gemiddelde afhandeltijd (seconden)"),
        default=180,
        validators=[MinValueValidator(30), MaxValueValidator(1800)],
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(spoed_key__gte=1, spoed_key__lte=9)
                & Q(intercollegiaal_key__gte=1, intercollegiaal_key__lte=9)
                & Q(herhaal_key__gte=1, herhaal_key__lte=9)
                & Q(assistent_key__gte=1, assistent_key__lte=9)
                & Q(callback_key__gte=0, callback_key__lte=9),
                name="phone_keys_are_digits",
            ),
        ]

    def __str__(self) -> str:
        return f"phone settings {self.practice_id}"


class CallbackStatus(models.TextChoices):
    WAITING = "wachtend", _("wacht")
    CLAIMED = "opgepakt", _("opgepakt")
    DONE = "afgerond", _("afgerond")
    UNREACHED = "niet_bereikt", _("niet bereikt")


OPEN_CALLBACK = (CallbackStatus.WAITING, CallbackStatus.CLAIMED)


class CallbackRequest(models.Model):
    """A caller who pressed "terugbellen": waits in the assistants' queue until someone
    has spoken to them, or has tried often enough."""

    public_id = models.UUIDField(default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    call_id = models.CharField(max_length=100)
    number = models.CharField(max_length=20)  # E.164; erased a while after closing
    requested_at = models.DateTimeField()
    menu_choice = models.PositiveSmallIntegerField(null=True, blank=True)
    # The one patient of the practice with this number; several share it (a family's
    # landline) when match_count > 1, and then none is picked for the assistant.
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    match_count = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(
        max_length=12, choices=CallbackStatus.choices, default=CallbackStatus.WAITING
    )
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["requested_at", "id"]
        constraints = [
            # One open request per call; a call id the platform uses again after a request
            # was closed gets a new one, so no caller is lost.
            models.UniqueConstraint(
                fields=["practice", "call_id"],
                condition=Q(status__in=["wachtend", "opgepakt"]),
                name="one_open_callback_per_call",
            ),
            models.UniqueConstraint(
                fields=["public_id", "practice"], name="callback_public_id_per_practice"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["wachtend", "niet_bereikt", "afgerond"])
                | Q(claimed_by__isnull=False),
                name="claimed_callback_has_claimer",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["wachtend", "opgepakt"]) | Q(closed_at__isnull=False),
                name="closed_callback_has_time",
            ),
        ]
        indexes = [
            models.Index(
                fields=["practice", "requested_at"],
                condition=Q(status__in=["wachtend", "opgepakt"]),
                name="callback_open",
            ),
            models.Index(fields=["practice", "closed_at"]),
        ]

    def __str__(self) -> str:
        return f"callback {self.public_id}"

    @property
    def is_waiting(self) -> bool:
        return self.status == CallbackStatus.WAITING

    @property
    def is_claimed(self) -> bool:
        return self.status == CallbackStatus.CLAIMED


class AttemptOutcome(models.TextChoices):
    SPOKEN = "gesproken", _("gesproken")
    NO_ANSWER = "geen_gehoor", _("geen gehoor")
    VOICEMAIL = "voicemail", _("voicemail ingesproken")
    BUSY = "bezet", _("in gesprek")
    WRONG_NUMBER = "verkeerd", _("verkeerd nummer")


class CallbackAttempt(models.Model):
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    callback = models.ForeignKey(CallbackRequest, on_delete=models.CASCADE, related_name="tries")
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=12, choices=AttemptOutcome.choices)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"attempt {self.pk}"


class CallReportImport(models.Model):
    """One imported call report: who, when, which days, how many calls (none of its
    rows: the calls themselves are in `Call`, without the callers' numbers)."""

    public_id = models.UUIDField(default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    file_name = models.CharField(max_length=120)
    imported_at = models.DateTimeField(auto_now_add=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    rows = models.PositiveIntegerField()
    calls_added = models.PositiveIntegerField()
    skipped = models.PositiveIntegerField(default=0)
    first_day = models.DateField(null=True)
    last_day = models.DateField(null=True)

    class Meta:
        ordering = ["-imported_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["public_id", "practice"], name="call_report_public_id_per_practice"
            )
        ]

    def __str__(self) -> str:
        return f"call report {self.public_id}"
