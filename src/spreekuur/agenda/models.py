"""Schedules, slots and appointments (the webagenda), kiosk and waiting room.

One booking per slot is a database fact, not a hope: a slot row points at one appointment,
active appointments are unique per practitioner and start, and on PostgreSQL an exclusion
constraint (migration 0002) refuses two active appointments of one practitioner whose
times overlap. Services lock the slot rows before they write.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from spreekuur.accounts.models import Membership
from spreekuur.core.models import Practice
from spreekuur.core.roles import StaffRole
from spreekuur.patients.models import Patient

# Letters and digits that cannot be confused when typed from a printed code.
CHECKIN_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CHECKIN_CODE_LENGTH = 10


# The desk and the kiosk register arrival from this long before the start.
ARRIVAL_EARLY = timedelta(hours=2)


def new_checkin_code() -> str:
    return "".join(secrets.choice(CHECKIN_ALPHABET) for _ in range(CHECKIN_CODE_LENGTH))


class AppointmentMode(models.TextChoices):
    IN_PERSON = "praktijk", _("In de praktijk")
    PHONE = "telefoon", _("Telefonisch")
    VIDEO = "beeldbellen", _("Beeldbellen")


class AppointmentType(models.Model):
    """A kind of appointment: how long it takes, who offers it, whether patients book it online."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    practice = models.ForeignKey(
        Practice, on_delete=models.CASCADE, related_name="appointment_types"
    )
    name = models.CharField(_("naam"), max_length=80)
    description = models.CharField(_("uitleg voor patiënten"), max_length=200, blank=True)
    mode = models.CharField(
        _("vorm"), max_length=12, choices=AppointmentMode.choices, default=AppointmentMode.IN_PERSON
    )
    duration_minutes = models.PositiveSmallIntegerField(
        _("duur (minuten)"), validators=[MinValueValidator(5), MaxValueValidator(120)]
    )
    # Staff roles (StaffRole values) whose agenda offers this type.
    offered_by = models.JSONField(_("aangeboden door"), default=list)
    online_bookable = models.BooleanField(_("online te boeken"), default=False)
    active = models.BooleanField(_("in gebruik"), default=True)
    sort_order = models.PositiveSmallIntegerField(default=0)
    # The code of a questionnaire (triage) the patient gets to fill in before this kind
    # of appointment, in its version in use at the time of booking; empty: none.
    preparation_code = models.SlugField(_("vragenlijst vooraf"), max_length=40, blank=True)
    # The NZa performance code a held appointment of this kind is declared with (the
    # dashboard's revenue: code x the practice's tariff for the year); empty: none.
    performance_code = models.CharField(_("prestatiecode"), max_length=8, blank=True)

    class Meta:
        ordering = ["sort_order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "name"], name="appointment_type_name"),
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=5) & Q(duration_minutes__lte=120),
                name="appointment_type_duration",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def offered_by_role(self, role: str) -> bool:
        return role in self.offered_by

    @property
    def is_in_person(self) -> bool:
        return self.mode == AppointmentMode.IN_PERSON

    @property
    def is_by_phone(self) -> bool:
        return self.mode == AppointmentMode.PHONE

    @property
    def is_video(self) -> bool:
        return self.mode == AppointmentMode.VIDEO


# The rules a practice sets (the form shows them, the service accepts exactly these).
BOOKING_RULE_FIELDS = (
    "online_booking_enabled",
    "horizon_days",
    "min_notice_minutes",
    "max_open_online",
    "max_online_minutes",
    "change_cutoff_hours",
)


class BookingRules(models.Model):
    """The practice's release rules for online booking (protocol deel 1.1, stap 1 en 2)."""

    practice = models.OneToOneField(
        Practice, on_delete=models.CASCADE, related_name="booking_rules"
    )
    online_booking_enabled = models.BooleanField(_("online afspraken maken aan"), default=True)
    horizon_days = models.PositiveSmallIntegerField(
        _("hoe ver vooruit (dagen)"),
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
    )
    min_notice_minutes = models.PositiveSmallIntegerField(
        _("minimale tijd vooraf (minuten)"),
        default=120,
        validators=[MaxValueValidator(7 * 24 * 60)],
    )
    max_open_online = models.PositiveSmallIntegerField(
        _("maximum openstaande online afspraken per patiënt"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
    )
    max_online_minutes = models.PositiveSmallIntegerField(
        _("maximale duur online (minuten)"),
        default=15,
        validators=[MinValueValidator(5), MaxValueValidator(60)],
    )
    change_cutoff_hours = models.PositiveSmallIntegerField(
        _("annuleren of verzetten tot (uren vooraf)"),
        default=24,
        validators=[MaxValueValidator(14 * 24)],
    )

    class Meta:
        verbose_name = _("regels voor online afspraken")

    def __str__(self) -> str:
        return f"booking rules {self.practice_id}"


class Dagdeel(models.TextChoices):
    OCHTEND = "ochtend", _("ochtend")
    MIDDAG = "middag", _("middag")
    AVOND = "avond", _("avond")


def dagdeel_of(moment: time) -> str:
    """The dagdeel a time of day falls in: the agenda's blocks, the roster's shifts and the
    production per dagdeel all count it this way."""
    if moment < time(12):
        return Dagdeel.OCHTEND
    if moment < time(18):
        return Dagdeel.MIDDAG
    return Dagdeel.AVOND


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("maandag")
    TUESDAY = 1, _("dinsdag")
    WEDNESDAY = 2, _("woensdag")
    THURSDAY = 3, _("donderdag")
    FRIDAY = 4, _("vrijdag")
    SATURDAY = 5, _("zaterdag")
    SUNDAY = 6, _("zondag")


class ScheduleBlock(models.Model):
    """One dagdeel in a practitioner's weekly template, cut into slots of equal length."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    practitioner = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="schedule_blocks"
    )
    weekday = models.PositiveSmallIntegerField(_("dag"), choices=Weekday.choices)
    dagdeel = models.CharField(_("dagdeel"), max_length=8, choices=Dagdeel.choices)
    starts = models.TimeField(_("van"))
    ends = models.TimeField(_("tot"))
    slot_minutes = models.PositiveSmallIntegerField(
        _("lengte van een tijdslot (minuten)"),
        default=10,
        validators=[MinValueValidator(5), MaxValueValidator(60)],
    )
    # How many slots per hour are released for online booking; 0 = none.
    online_per_hour = models.PositiveSmallIntegerField(
        _("online vrijgegeven per uur"), default=0, validators=[MaxValueValidator(12)]
    )

    class Meta:
        ordering = ["practitioner", "weekday", "starts"]
        constraints = [
            models.CheckConstraint(condition=Q(starts__lt=F("ends")), name="block_starts_first"),
            models.UniqueConstraint(
                fields=["practitioner", "weekday", "starts"], name="block_once"
            ),
        ]

    def __str__(self) -> str:
        return f"block {self.practitioner_id} {self.weekday} {self.starts}"


class AbsenceKind(models.TextChoices):
    LEAVE = "verlof", _("verlof")
    COURSE = "cursus", _("cursus of nascholing")
    ILLNESS = "ziek", _("ziek")
    OTHER = "anders", _("anders")


class ScheduleException(models.Model):
    """Days a practitioner does not work (leave, a course). Public holidays and days the
    practice is closed come from the practice's opening hours and need no row here."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    practitioner = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="schedule_exceptions"
    )
    starts_on = models.DateField(_("van"))
    ends_on = models.DateField(_("tot en met"))
    kind = models.CharField(_("soort"), max_length=8, choices=AbsenceKind.choices)
    note = models.CharField(_("toelichting"), max_length=120, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_on__lte=F("ends_on")), name="exception_starts_first"
            )
        ]

    def __str__(self) -> str:
        return f"exception {self.practitioner_id} {self.starts_on}"


class AppointmentStatus(models.TextChoices):
    BOOKED = "geboekt", _("gepland")
    ARRIVED = "aangemeld", _("aangemeld")
    COMPLETED = "afgerond", _("afgerond")
    NO_SHOW = "niet_verschenen", _("niet verschenen")
    CANCELLED = "geannuleerd", _("geannuleerd")


ACTIVE_STATUSES = (AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED, AppointmentStatus.COMPLETED)


class BookingChannel(models.TextChoices):
    ONLINE = "online", _("online")
    PHONE = "telefoon", _("telefoon")
    DESK = "balie", _("balie")


class Appointment(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="appointments")
    practitioner = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="appointments"
    )
    appointment_type = models.ForeignKey(
        AppointmentType, on_delete=models.PROTECT, related_name="+"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(
        max_length=16, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )
    channel = models.CharField(max_length=8, choices=BookingChannel.choices)
    # What the patient wrote when booking online: they see it back.
    reason = models.CharField(_("reden van de afspraak"), max_length=300, blank=True)
    # What the desk noted when booking by phone or at the desk: for the practice only.
    desk_note = models.CharField(_("notitie van de praktijk"), max_length=300, blank=True)
    # The red-flag questions as asked and answered ({code: answer}); staff see them.
    triage_answers = models.JSONField(default=dict, blank=True)
    # The self-triage the patient booked from (its questions and answers travel along).
    self_triage = models.ForeignKey(
        "triage.TriageSession", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The questionnaire the patient fills in to prepare (consult preparation): its
    # answers show with the appointment.
    preparation = models.ForeignKey(
        "triage.QuestionnaireInvitation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    booked_at = models.DateTimeField()
    # How long the patient had to wait for the first free slot when they booked.
    lead_time_minutes = models.PositiveIntegerField(null=True, blank=True)
    rescheduled_from = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="rescheduled_to"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    checkin_code = models.CharField(max_length=16, unique=True, default=new_checkin_code)
    arrived_at = models.DateTimeField(null=True, blank=True)
    queue_number = models.PositiveSmallIntegerField(null=True, blank=True)
    called_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__lt=F("ends_at")), name="appointment_starts_first"
            ),
            models.UniqueConstraint(
                fields=["practitioner", "starts_at"],
                condition=~Q(status="geannuleerd"),
                name="appointment_one_per_practitioner_start",
            ),
            models.CheckConstraint(
                condition=Q(status="geannuleerd") | Q(cancelled_at__isnull=True),
                name="appointment_cancelled_at_only_when_cancelled",
            ),
        ]
        indexes = [
            models.Index(fields=["practice", "starts_at"]),
            models.Index(fields=["practitioner", "starts_at"]),
            models.Index(fields=["patient", "starts_at"]),
            models.Index(fields=["practice", "booked_at"]),
        ]

    def __str__(self) -> str:
        return f"appointment {self.public_id}"

    @property
    def booked_online(self) -> bool:
        return self.channel == BookingChannel.ONLINE

    @property
    def is_booked(self) -> bool:
        """Planned, the patient has not arrived yet."""
        return self.status == AppointmentStatus.BOOKED

    @property
    def is_arrived(self) -> bool:
        """In the waiting room (to be called in, then completed)."""
        return self.status == AppointmentStatus.ARRIVED

    @property
    def is_cancelled(self) -> bool:
        return self.status == AppointmentStatus.CANCELLED

    @property
    def is_no_show(self) -> bool:
        return self.status == AppointmentStatus.NO_SHOW

    @property
    def was_moved(self) -> bool:
        """Cancelled because it moved to another time: the new appointment replaces it.
        (Lists read `rescheduled_to` along with the row.)"""
        if not self.is_cancelled:
            return False
        try:
            return self.rescheduled_to is not None
        except Appointment.DoesNotExist:
            return False

    @property
    def status_label(self) -> str:
        """The status as the patient and the desk say it: a move is not a cancellation."""
        if self.was_moved:
            return str(_("verzet"))
        return str(self.get_status_display())

    def is_on_day_of(self, now: datetime) -> bool:
        return timezone.localtime(self.starts_at).date() == timezone.localtime(now).date()

    def arrival_open(self, now: datetime) -> bool:
        """Arrival is registered on the day itself, from two hours before the start (a late
        patient after a no-show too): an appointment of another day would otherwise sit
        in today's waiting room and could no longer be cancelled or moved."""
        return (
            self.status in (AppointmentStatus.BOOKED, AppointmentStatus.NO_SHOW)
            and self.is_on_day_of(now)
            and now >= self.starts_at - ARRIVAL_EARLY
        )

    def call_open(self, now: datetime) -> bool:
        """Called in onto the waiting-room screen: arrived, today, not called yet."""
        return self.is_arrived and self.called_at is None and self.is_on_day_of(now)


class Slot(models.Model):
    """A bookable piece of a practitioner's day. `appointment` set = taken."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    practitioner = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="slots")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    online = models.BooleanField(default=False)  # released for online booking
    appointment = models.ForeignKey(
        Appointment, on_delete=models.SET_NULL, null=True, blank=True, related_name="slots"
    )

    class Meta:
        ordering = ["starts_at", "practitioner_id"]
        constraints = [
            models.UniqueConstraint(fields=["practitioner", "starts_at"], name="slot_once"),
            models.CheckConstraint(condition=Q(starts_at__lt=F("ends_at")), name="slot_order"),
        ]
        indexes = [
            models.Index(fields=["practice", "starts_at"]),
            models.Index(
                fields=["practice", "online", "starts_at"],
                condition=Q(appointment__isnull=True),
                name="slot_free_by_practice",
            ),
            models.Index(
                fields=["practitioner", "starts_at"],
                condition=Q(appointment__isnull=True),
                name="slot_free_by_practitioner",
            ),
        ]

    def __str__(self) -> str:
        return f"slot {self.practitioner_id} {self.starts_at:%Y-%m-%d %H:%M}"


class QueueCounter(models.Model):
    """The last waiting-room number handed out per practice per day."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last_number = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["practice", "day"], name="queue_counter_once")
        ]

    def __str__(self) -> str:
        return f"queue {self.practice_id} {self.day}"


class KioskDevice(models.Model):
    """A tablet in the waiting room that staff switched on as the practice's check-in kiosk."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="kiosks")
    name = models.CharField(_("naam"), max_length=60)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


PRACTITIONER_ROLES = (StaffRole.HUISARTS, StaffRole.POH, StaffRole.ASSISTENT)
