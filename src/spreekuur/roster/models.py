"""The weekly roster. Leave is not here: it is the agenda's absence (ScheduleException),
one record for the agenda's slots and the roster alike."""

from __future__ import annotations

import uuid
from datetime import time

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from spreekuur.accounts.models import Membership
from spreekuur.agenda.models import Dagdeel, Weekday
from spreekuur.core.models import Practice

# The usual hours of a dagdeel, offered when a shift is added.
DAGDEEL_HOURS = {
    Dagdeel.OCHTEND: (time(8, 0), time(12, 30)),
    Dagdeel.MIDDAG: (time(13, 0), time(17, 0)),
    Dagdeel.AVOND: (time(17, 0), time(20, 0)),
}


class ShiftTask(models.TextChoices):
    TELEFOON = "telefoon", _("telefoon")
    BALIE = "balie", _("balie")
    SPREEKUUR = "spreekuur", _("spreekuur")
    ADMINISTRATIE = "administratie", _("administratie en post")
    OVERIG = "overig", _("overig")


class Shift(models.Model):
    """One dagdeel of a staff member's week: when, and doing what. It repeats every week
    from `valid_from` (or always) until `valid_until` (or for good)."""

    public_id = models.UUIDField(default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="roster_shifts")
    weekday = models.PositiveSmallIntegerField(_("dag"), choices=Weekday.choices)
    dagdeel = models.CharField(_("dagdeel"), max_length=8, choices=Dagdeel.choices)
    task = models.CharField(_("taak"), max_length=14, choices=ShiftTask.choices)
    starts = models.TimeField(_("van"))
    ends = models.TimeField(_("tot"))
    valid_from = models.DateField(_("vanaf"), null=True, blank=True)
    valid_until = models.DateField(_("tot en met"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["weekday", "starts", "member_id"]
        constraints = [
            models.CheckConstraint(condition=Q(starts__lt=F("ends")), name="shift_starts_first"),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_until__isnull=True)
                | Q(valid_from__lte=F("valid_until")),
                name="shift_valid_in_order",
            ),
            models.UniqueConstraint(
                fields=["public_id", "practice"], name="shift_public_id_per_practice"
            ),
        ]
        indexes = [models.Index(fields=["practice", "weekday"])]

    def __str__(self) -> str:
        return f"shift {self.member_id} {self.weekday} {self.starts}"
