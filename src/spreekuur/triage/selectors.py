"""Reads of triage, already scoped to a practice."""

from __future__ import annotations

from django.db.models import F, Q
from django.shortcuts import get_object_or_404

from spreekuur.core.models import Practice
from spreekuur.triage.models import RedFlag
from spreekuur.triage.red_flags import baseline_flags


def red_flags_for(practice: Practice) -> list[RedFlag]:
    """The national baseline plus the practice's own active red flags, in asking order.

    Should a national flag be missing from the table (a wiped or hand-edited table), its
    question is asked all the same, from the baseline in the code: the gate never runs
    with fewer questions than the baseline. (The table itself is made whole again by
    services.restore_red_flag_baseline, after every migrate.)"""
    flags = list(
        RedFlag.objects.filter(
            Q(practice__isnull=True) | Q(practice=practice, active=True)
        ).order_by(F("practice_id").asc(nulls_first=True), "sort_order", "id")
    )
    national = [flag for flag in flags if flag.practice_id is None]
    present = {flag.code for flag in national}
    missing = [flag for flag in baseline_flags() if flag.code not in present]
    if not missing:
        return flags
    national = sorted(national + missing, key=lambda flag: flag.sort_order)
    return national + [flag for flag in flags if flag.practice_id is not None]


def red_flags_with_switched_off(practice: Practice) -> list[RedFlag]:
    """For the settings page: the baseline, then the practice's own (also those switched off)."""
    return list(
        RedFlag.objects.filter(Q(practice__isnull=True) | Q(practice=practice)).order_by(
            F("practice_id").asc(nulls_first=True), "sort_order", "id"
        )
    )


def get_practice_red_flag(practice: Practice, public_id: str) -> RedFlag:
    """One of the practice's own red flags, or 404 (a national one is nobody's to change)."""
    return get_object_or_404(RedFlag, practice=practice, public_id=public_id)
