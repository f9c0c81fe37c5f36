"""Summary rows and what the dashboard needs beside them: the care group (a region of
practices and its analysts), the practice's tariff table, and the team's monthly review."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from spreekuur.core.models import Practice


class DailyFigure(models.Model):
    """One number of one practice on one day: "consults" of type "Consult" on 3 November.
    The dashboard only ever sums these; never a patient, never a row of care."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    metric = models.CharField(max_length=40)
    dimension = models.CharField(max_length=80, blank=True)
    value = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "day", "metric", "dimension"], name="daily_figure_once"
            )
        ]
        indexes = [models.Index(fields=["practice", "metric", "day"])]

    def __str__(self) -> str:
        return f"{self.day} {self.metric} {self.dimension}"


class FigureRefresh(models.Model):
    """When a practice's summary rows were last refreshed (shown on the dashboard)."""

    practice = models.OneToOneField(Practice, on_delete=models.CASCADE, related_name="+")
    refreshed_at = models.DateTimeField()
    first_day = models.DateField()
    last_day = models.DateField()

    def __str__(self) -> str:
        return f"refresh {self.practice_id}"


class Tariff(models.Model):
    """The practice's tariff table: a performance code and its tariff for a year (the NZa
    publishes them yearly; the practice keeps its own copy)."""

    public_id = models.UUIDField(default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("jaar"), validators=[MinValueValidator(2000)])
    code = models.CharField(_("prestatiecode"), max_length=8)
    description = models.CharField(_("omschrijving"), max_length=120)
    amount = models.DecimalField(_("tarief (euro)"), max_digits=7, decimal_places=2)

    class Meta:
        ordering = ["-year", "code"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "year", "code"], name="tariff_once"),
            models.UniqueConstraint(
                fields=["public_id", "practice"], name="tariff_public_id_per_practice"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.code}"


class MonthlyReview(models.Model):
    """The team's monthly look at the dashboard (PDCA): what stood out and what was agreed."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()  # the first day of the month
    notes = models.TextField(_("wat viel op"), max_length=4000, blank=True)
    actions = models.TextField(_("afspraken"), max_length=4000, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["practice", "month"], name="monthly_review_once"),
        ]

    def __str__(self) -> str:
        return f"review {self.practice_id} {self.month}"


class Region(models.Model):
    """A care group (zorggroep) or ROS region: the practices it works with."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("naam"), max_length=200)
    slug = models.SlugField(unique=True, max_length=80)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RegionPractice(models.Model):
    """A practice in a region; a practice is in one care group at most."""

    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="members")
    practice = models.OneToOneField(Practice, on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return f"{self.region_id}: {self.practice_id}"


class RegionAnalyst(models.Model):
    """Someone of the care group who sees the region's anonymised figures, and nothing
    else: no practice's pages, no patient."""

    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="analysts")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="region_analyst"
    )

    def __str__(self) -> str:
        return f"analyst {self.user_id}"
