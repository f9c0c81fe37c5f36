"""Triage: the red-flag questions that guard online booking and e-consult (DESIGN.md §3.3)."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from spreekuur.core.models import Practice


class RedFlagAdvice(models.TextChoices):
    CALL_112 = "112", _("Bel 112")
    CALL_PRACTICE = "spoedlijn", _("Bel de spoedlijn van de praktijk")


class RedFlag(models.Model):
    """A complaint that must never be booked online. Rows without a practice are the
    national baseline: they hold for every practice and cannot be switched off there;
    a practice can only add its own."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    practice = models.ForeignKey(
        Practice, on_delete=models.CASCADE, null=True, blank=True, related_name="red_flags"
    )
    code = models.SlugField(max_length=40)
    question = models.CharField(_("vraag"), max_length=200)
    advice = models.CharField(_("advies"), max_length=10, choices=RedFlagAdvice.choices)
    extra_advice = models.CharField(_("extra advies"), max_length=200, blank=True)
    active = models.BooleanField(default=True)
    sort_order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["sort_order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "code"],
                condition=Q(practice__isnull=False),
                name="red_flag_code_per_practice",
            ),
            models.UniqueConstraint(
                fields=["code"], condition=Q(practice__isnull=True), name="red_flag_code_baseline"
            ),
            # The baseline cannot be switched off (the practice may extend, not weaken).
            models.CheckConstraint(
                condition=Q(practice__isnull=False) | Q(active=True),
                name="red_flag_baseline_always_active",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_baseline(self) -> bool:
        return self.practice_id is None

    @property
    def calls_112(self) -> bool:
        """A "yes" means 112 (otherwise the practice's urgent line)."""
        return self.advice == RedFlagAdvice.CALL_112
