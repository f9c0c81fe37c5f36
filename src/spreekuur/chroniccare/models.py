"""Who takes part in which chronic-care programme (ketenzorg), from when, with whom as
main practitioner and in which care group's financing; the programmes themselves are
data (programmes.py)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Least
from django.utils.translation import gettext_lazy as _

from spreekuur.accounts.models import Membership
from spreekuur.core.models import Practice
from spreekuur.patients.models import Patient


class EnrolmentStatus(models.TextChoices):
    ACTIVE = "actief", _("doet mee")
    ENDED = "beeindigd", _("gestopt")
    DECLINED = "afgezien", _("doet niet mee")


# The decisions that stand: taking part, or not taking part (one at a time per programme).
IN_FORCE = (EnrolmentStatus.ACTIVE, EnrolmentStatus.DECLINED)


class EndReason(models.TextChoices):
    """Why someone stopped (or does not take part): what the care group counts apart."""

    PATIENT_CHOICE = "wens_patient", _("op eigen wens")
    SPECIALIST = "specialist", _("hoofdbehandelaar is de specialist")
    DIAGNOSIS = "diagnose_vervallen", _("de diagnose is vervallen")
    DECEASED = "overleden", _("overleden")
    LEFT_PRACTICE = "uitgeschreven", _("uitgeschreven of verhuisd")
    OTHER = "anders", _("anders")


class Enrolment(models.Model):
    """One patient in one programme. A suggestion is not a row (it is read from the open
    episodes each time); a row is a decision by the POH or GP: taking part (active, then
    ended), or not taking part (declined, which keeps the suggestion away)."""

    public_id = models.UUIDField(default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    programme = models.CharField(_("programma"), max_length=20)
    status = models.CharField(
        _("status"), max_length=10, choices=EnrolmentStatus.choices, default=EnrolmentStatus.ACTIVE
    )
    started_on = models.DateField(_("gestart op"))
    ended_on = models.DateField(_("gestopt op"), null=True, blank=True)
    end_reason = models.CharField(_("reden"), max_length=20, choices=EndReason.choices, blank=True)
    main_practitioner = models.ForeignKey(
        Membership,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("hoofdbehandelaar in de praktijk"),
    )
    care_group = models.CharField(_("zorggroep"), max_length=100, blank=True)
    financing_period = models.CharField(
        _("financieringsperiode"), max_length=20, blank=True, help_text=_("bijvoorbeeld 2027")
    )
    # The planning, kept by the services whenever a control is recorded (planning.py):
    # the due list filters and sorts on these in SQL, whatever the practice's size.
    last_control_on = models.DateField(_("laatste controle"), null=True, editable=False)
    last_checkup_on = models.DateField(_("laatste jaarcontrole"), null=True, editable=False)
    next_control_on = models.DateField(_("volgende controle"), null=True, editable=False)
    next_checkup_on = models.DateField(_("volgende jaarcontrole"), null=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["public_id", "practice"], name="enrolment_public_id_per_practice"
            ),
            # One decision in force per patient and programme: taking part, or not.
            models.UniqueConstraint(
                fields=["practice", "patient", "programme"],
                condition=Q(status__in=["actief", "afgezien"]),
                name="enrolment_one_in_force",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
                name="enrolment_ends_after_it_starts",
            ),
            models.CheckConstraint(
                condition=~Q(status="beeindigd") | Q(ended_on__isnull=False),
                name="enrolment_ended_has_a_date",
            ),
            # A participant is always planned: a row written around the services fails
            # here rather than vanish from the due list.
            models.CheckConstraint(
                condition=~Q(status="actief")
                | Q(next_control_on__isnull=False, next_checkup_on__isnull=False),
                name="enrolment_active_is_planned",
            ),
        ]
        indexes = [
            models.Index(fields=["practice", "programme", "status"]),
            # The due list: a practice's participants by their first date due.
            models.Index(
                F("practice"),
                Least("next_control_on", "next_checkup_on"),
                name="enrolment_due",
                condition=Q(status="actief"),
            ),
        ]

    def __str__(self) -> str:
        return f"enrolment {self.public_id}"

    @property
    def is_active(self) -> bool:
        return self.status == EnrolmentStatus.ACTIVE


class ControlKind(models.TextChoices):
    CONTROL = "controle", _("controle")
    CHECKUP = "jaarcontrole", _("jaarcontrole")


class Control(models.Model):
    """One control consult in a programme: when, a control or the annual check-up, the
    advice given and when the next one is (the measurements themselves go into the
    record, dossier.Measurement, where every other view finds them)."""

    public_id = models.UUIDField(default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="controls")
    kind = models.CharField(_("soort"), max_length=12, choices=ControlKind.choices)
    held_on = models.DateField(_("datum"))
    advice = models.TextField(_("advies en afspraken"), blank=True, max_length=2000)
    next_on = models.DateField(_("volgende controle"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["public_id", "practice"], name="control_public_id_per_practice"
            ),
            models.CheckConstraint(
                condition=Q(next_on__isnull=True) | Q(next_on__gt=F("held_on")),
                name="control_next_after_this_one",
            ),
        ]
        indexes = [models.Index(fields=["practice", "enrolment", "held_on"])]

    def __str__(self) -> str:
        return f"control {self.public_id}"


class GoalStatus(models.TextChoices):
    ACTIVE = "actief", _("loopt")
    REACHED = "bereikt", _("bereikt")
    STOPPED = "gestopt", _("gestopt")


class Goal(models.Model):
    """One of the patient's own goals in their individual care plan (individueel
    zorgplan), in their own words ("drie keer per week een half uur wandelen"), agreed at
    a control, with an optional date to look back at it."""

    public_id = models.UUIDField(default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="goals")
    text = models.CharField(_("doel"), max_length=300)
    action = models.CharField(_("wat de patiënt ervoor doet"), max_length=300, blank=True)
    review_on = models.DateField(_("terugkijken op"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=GoalStatus.choices, default=GoalStatus.ACTIVE
    )
    closed_on = models.DateField(_("afgesloten op"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["public_id", "practice"], name="goal_public_id_per_practice"
            ),
            models.CheckConstraint(
                condition=Q(status="actief", closed_on__isnull=True)
                | (~Q(status="actief") & Q(closed_on__isnull=False)),
                name="goal_closed_has_a_date",
            ),
        ]
        indexes = [models.Index(fields=["practice", "enrolment", "status"])]

    def __str__(self) -> str:
        return f"goal {self.public_id}"


class InvitationChannel(models.TextChoices):
    PORTAL = "portaal", _("bericht in het portaal")
    LETTER = "brief", _("brief")


class Invitation(models.Model):
    """An invitation to a control or the annual check-up (an oproep): in the portal, with
    a link to book the right kind of appointment where the practice offers it online, or
    by letter. It stays on the patient's start page until the control is held."""

    public_id = models.UUIDField(default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="invitations")
    kind = models.CharField(_("soort"), max_length=12, choices=ControlKind.choices)
    due_on = models.DateField(_("gepland rond"))
    channel = models.CharField(_("hoe"), max_length=10, choices=InvitationChannel.choices)
    # The kind of appointment the link books (online bookable ones only).
    appointment_type = models.ForeignKey(
        "agenda.AppointmentType",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("soort afspraak"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["public_id", "practice"], name="invitation_public_id_per_practice"
            )
        ]
        indexes = [models.Index(fields=["practice", "enrolment", "created_at"])]

    def __str__(self) -> str:
        return f"invitation {self.public_id}"
