"""The dashboard's writes: refreshing the summary rows (the periodic jobs and the console
command), the tariff table, the monthly review, and the care groups."""

from __future__ import annotations

import time as clock
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from spreekuur.accounts.models import User
from spreekuur.core.audit import record_access
from spreekuur.core.exceptions import PermissionDenied
from spreekuur.core.models import AuditAction, Practice
from spreekuur.dashboard.capabilities import can_manage_tariffs, can_view_dashboard
from spreekuur.dashboard.models import (
    DailyFigure,
    FigureRefresh,
    MonthlyReview,
    Region,
    RegionAnalyst,
    RegionPractice,
    Tariff,
)
from spreekuur.dashboard.sources import Span, insert_counted, snapshot_rows

# One refresh at a time (two workers, or a worker and the console): their deletes and
# inserts of the same days would otherwise collide.
REFRESH_LOCK = 7_205_120


@dataclass(frozen=True)
class Refreshed:
    practices: int
    rows: int
    seconds: float


def refresh_figures(*, practice_ids: Sequence[int] | None, first: date, last: date) -> Refreshed:
    """Recount the days first..last (all practices when practice_ids is None): the day's
    rows are replaced in one transaction, so the dashboard never reads half a refresh.
    The "active in the last 90 days" count of a past day stays: it cannot be recounted."""
    started = clock.perf_counter()
    today = timezone.localdate()
    span = Span(first, last)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [REFRESH_LOCK])
        stale = DailyFigure.objects.filter(day__gte=first, day__lte=last).exclude(
            metric="portal_active_90d", day__lt=today
        )
        practices = Practice.objects.all()
        if practice_ids is not None:
            stale = stale.filter(practice_id__in=practice_ids)
            practices = practices.filter(pk__in=practice_ids)
        stale.delete()  # nothing points at these rows: one DELETE
        rows = insert_counted(practice_ids, span)
        snapshots = snapshot_rows(practice_ids, span, today=today)
        DailyFigure.objects.bulk_create(snapshots, batch_size=5000)
        now = timezone.now()
        ids = list(practices.values_list("pk", flat=True))
        FigureRefresh.objects.bulk_create(
            [
                FigureRefresh(practice_id=pk, refreshed_at=now, first_day=first, last_day=last)
                for pk in ids
            ],
            update_conflicts=True,
            unique_fields=["practice"],
            update_fields=["refreshed_at", "first_day", "last_day"],
        )
    return Refreshed(len(ids), rows + len(snapshots), clock.perf_counter() - started)


def refresh_recent(*, days: int = 7) -> Refreshed:
    """The last week, for every practice: late changes (a no-show marked the next day, an
    answer to an old question) land within minutes."""
    today = timezone.localdate()
    return refresh_figures(practice_ids=None, first=today - timedelta(days=days - 1), last=today)


def refresh_history(*, days: int = 400) -> Refreshed:
    """More than a year back, for the comparisons with last year."""
    today = timezone.localdate()
    return refresh_figures(practice_ids=None, first=today - timedelta(days=days - 1), last=today)


@transaction.atomic
def save_tariff(
    *, practice: Practice, year: int, code: str, description: str, amount: Decimal, by: User
) -> Tariff:
    if not can_manage_tariffs(by):
        raise PermissionDenied
    tariff, _created = Tariff.objects.update_or_create(
        practice=practice,
        year=year,
        code=code.strip(),
        defaults={"description": description.strip(), "amount": amount},
    )
    record_access(
        actor=by,
        action=AuditAction.CHANGE,
        object_kind="tariff",
        practice=practice,
        detail=f"{year} {tariff.code}",
    )
    return tariff


@transaction.atomic
def remove_tariff(*, tariff: Tariff, by: User) -> None:
    if not can_manage_tariffs(by):
        raise PermissionDenied
    practice, label = tariff.practice, f"{tariff.year} {tariff.code}"
    tariff.delete()
    record_access(
        actor=by, action=AuditAction.DELETE, object_kind="tariff", practice=practice, detail=label
    )


@transaction.atomic
def save_monthly_review(
    *, practice: Practice, month: date, notes: str, actions: str, by: User
) -> MonthlyReview:
    if not can_view_dashboard(by):
        raise PermissionDenied
    review, _created = MonthlyReview.objects.update_or_create(
        practice=practice,
        month=month.replace(day=1),
        defaults={"notes": notes.strip(), "actions": actions.strip(), "updated_by": by},
    )
    record_access(
        actor=by,
        action=AuditAction.CHANGE,
        object_kind="monthly_review",
        practice=practice,
        detail=f"{month:%Y-%m}",
    )
    return review


# ---- care groups (the console command `spreekuur region`) ---------------------------------


@transaction.atomic
def set_up_region(*, slug: str, name: str, practice_slugs: Sequence[str]) -> Region:
    region, _created = Region.objects.update_or_create(slug=slug, defaults={"name": name})
    practices = list(Practice.objects.filter(slug__in=practice_slugs))
    missing = sorted(set(practice_slugs) - {p.slug for p in practices})
    if missing:
        raise ValueError(f"unknown practices: {', '.join(missing)}")
    for practice in practices:
        RegionPractice.objects.update_or_create(practice=practice, defaults={"region": region})
    return region


@transaction.atomic
def add_region_analyst(*, region: Region, user: User) -> RegionAnalyst:
    """An analyst sees the region's anonymised figures and nothing of a practice: someone
    with a role in a practice (or a patient's portal) cannot be one."""
    if hasattr(user, "membership") or hasattr(user, "patient_profile"):
        raise ValueError("a practice's staff member or a patient cannot be a region analyst")
    analyst, _created = RegionAnalyst.objects.update_or_create(
        user=user, defaults={"region": region}
    )
    return analyst
