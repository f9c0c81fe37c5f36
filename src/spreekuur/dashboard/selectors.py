"""Reads of the summary rows: a period's sums for one practice or many (a handful of
grouped queries, whatever the number of practices), monthly series for the charts,
revenue per quarter, and the care group's regional view with small counts suppressed."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db.models import OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import ExtractYear, TruncMonth, TruncQuarter
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from spreekuur.core.exceptions import OutOfReach
from spreekuur.core.models import Practice
from spreekuur.dashboard.figures import (
    COUNT,
    PERCENT,
    Compared,
    Figure,
    Sums,
    compare,
    figures_of,
    revenue_cents,
)
from spreekuur.dashboard.models import (
    DailyFigure,
    FigureRefresh,
    MonthlyReview,
    Region,
    RegionAnalyst,
    RegionPractice,
    Tariff,
)
from spreekuur.dashboard.periods import Period, add_months, month_start
from spreekuur.dashboard.sources import SNAPSHOTS

# The care group sees no count below this (and no share or average made of fewer).
SUPPRESS_BELOW = 10


def _rows(practice_ids: Sequence[int], first: date, last: date) -> QuerySet[DailyFigure]:
    return DailyFigure.objects.filter(practice_id__in=practice_ids, day__gte=first, day__lte=last)


def _snapshots(practice_ids: Sequence[int], last: date) -> dict[tuple[int, str], int]:
    """Per practice and snapshot metric: the latest value on or before `last`."""
    latest = (
        DailyFigure.objects.filter(
            practice_id=OuterRef("practice_id"), metric=OuterRef("metric"), day__lte=last
        )
        .order_by("-day")
        .values("day")[:1]
    )
    found = DailyFigure.objects.filter(
        practice_id__in=practice_ids, metric__in=SNAPSHOTS, day__lte=last
    ).filter(day=Subquery(latest))
    return {
        (pk, metric): value
        for pk, metric, value in found.values_list("practice_id", "metric", "value")
    }


def _tariffs(practice_ids: Sequence[int]) -> dict[tuple[int, int, str], Decimal]:
    return {
        (pk, year, code): amount
        for pk, year, code, amount in Tariff.objects.filter(
            practice_id__in=practice_ids
        ).values_list("practice_id", "year", "code", "amount")
    }


def sums_per_practice(practice_ids: Sequence[int], first: date, last: date) -> dict[int, Sums]:
    """Each practice's sums over the days first..last: four grouped queries in all."""
    sums: dict[int, Sums] = {pk: Sums() for pk in practice_ids}
    counted = (
        _rows(practice_ids, first, last)
        .exclude(metric__in=SNAPSHOTS)
        .values_list("practice_id", "metric", "dimension")
        .annotate(total=Sum("value"))
        .order_by()
    )
    for pk, metric, dimension, total in counted:
        sums[pk].counts[(metric, dimension)] = int(total)
    for (pk, metric), value in _snapshots(practice_ids, last).items():
        sums[pk].snapshots[metric] = value
    tariffs = _tariffs(practice_ids)
    declared: dict[int, dict[tuple[int, str], int]] = defaultdict(dict)
    for pk, year, code, total in (
        _rows(practice_ids, first, last)
        .filter(metric="declared")
        .annotate(year=ExtractYear("day"))
        .values_list("practice_id", "year", "dimension")
        .annotate(total=Sum("value"))
        .order_by()
    ):
        declared[pk][(year, code)] = int(total)
    for pk, found in sums.items():
        own = {(y, c): t for (p, y, c), t in tariffs.items() if p == pk}
        cents, missing = revenue_cents(declared.get(pk, {}), own)
        found.revenue_cents = cents + found.total("econsult_revenue_cents")
        found.codes_without_tariff = missing
    return sums


def combined(parts: Sequence[Sums]) -> Sums:
    total = Sums()
    for part in parts:
        for key, value in part.counts.items():
            total.counts[key] = total.counts.get(key, 0) + value
        for name, count in part.snapshots.items():
            total.snapshots[name] = total.snapshots.get(name, 0) + count
        total.revenue_cents += part.revenue_cents
        total.codes_without_tariff |= part.codes_without_tariff
    return total


def sums_for(practice: Practice, first: date, last: date) -> Sums:
    return sums_per_practice([practice.pk], first, last)[practice.pk]


# ---- the practice's dashboard -----------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    height: float  # 0..1 of the tallest bar
    short: str = ""  # under the bar, where the whole label has no room (the table has it)


@dataclass(frozen=True)
class Series:
    title: str
    unit: str  # what the numbers are, for the table's column
    bars: list[Bar]

    @property
    def has_data(self) -> bool:
        return any(bar.value for bar in self.bars)


def _series(title: str, unit: str, points: list[tuple[str, float]]) -> Series:
    peak = max((value for _label, value in points), default=0) or 1
    return Series(
        title, unit, [Bar(label, value, value / peak, _short(label)) for label, value in points]
    )


def _short(label: str) -> str:
    """Under a bar "nov 2026" is "nov"; a quarter ("K4 2026") keeps its year."""
    first, _space, _rest = label.partition(" ")
    return label if first.startswith("K") and first[1:].isdigit() else first


def _month_label(day: date) -> str:
    return date_format(day, "M Y")


def monthly_series(practice: Practice, last: date, *, months: int = 12) -> list[Series]:
    """The year up to `last`, month by month: consults, phone, e-consults, enrolled."""
    first = add_months(month_start(last), -(months - 1))
    per_month: dict[tuple[date, str], int] = defaultdict(int)
    for month, metric, total in (
        _rows([practice.pk], first, last)
        .filter(metric__in=["consults", "calls_offered", "calls_abandoned", "econsults_received"])
        .annotate(month=TruncMonth("day"))
        .values_list("month", "metric")
        .annotate(total=Sum("value"))
        .order_by()
    ):
        per_month[(_as_date(month), metric)] = int(total)
    months_list = [add_months(first, n) for n in range(months)]
    enrolled = {
        _as_date(day).replace(day=1): value
        for day, value in _rows([practice.pk], first, last)
        .filter(metric="enrolled")
        .values_list("day", "value")
    }
    return [
        _series(
            _("Consulten per maand"),
            _("consulten"),
            [(_month_label(m), per_month[(m, "consults")]) for m in months_list],
        ),
        _series(
            _("Bellers per maand"),
            _("bellers"),
            [(_month_label(m), per_month[(m, "calls_offered")]) for m in months_list],
        ),
        _series(
            _("Opgehangen tijdens wachten per maand"),
            _("bellers"),
            [(_month_label(m), per_month[(m, "calls_abandoned")]) for m in months_list],
        ),
        _series(
            _("E-consults per maand"),
            _("e-consults"),
            [(_month_label(m), per_month[(m, "econsults_received")]) for m in months_list],
        ),
        _series(
            _("Ingeschreven patiënten aan het eind van de maand"),
            _("patiënten"),
            [(_month_label(m), enrolled.get(m, 0)) for m in months_list],
        ),
    ]


def _as_date(value: Any) -> date:
    return value.date() if isinstance(value, datetime) else value


def revenue_per_quarter(practice: Practice, last: date, *, quarters: int = 8) -> Series:
    """Consults held per code times the tariff of their year, and the e-consults at their
    declared tariff, per quarter: the last `quarters` quarters up to `last`."""

    first = add_months(date(last.year, 3 * ((last.month - 1) // 3) + 1, 1), -3 * (quarters - 1))
    tariffs = {(y, c): a for (_p, y, c), a in _tariffs([practice.pk]).items()}
    declared: dict[date, dict[tuple[int, str], int]] = defaultdict(dict)
    extra: dict[date, int] = defaultdict(int)
    for quarter, metric, code, total in (
        _rows([practice.pk], first, last)
        .filter(metric__in=["declared", "econsult_revenue_cents"])
        .annotate(quarter=TruncQuarter("day"))
        .values_list("quarter", "metric", "dimension")
        .annotate(total=Sum("value"))
        .order_by()
    ):
        start = _as_date(quarter)
        if metric == "declared":
            declared[start][(start.year, code)] = int(total)
        else:
            extra[start] += int(total)
    points = []
    for n in range(quarters):
        start = add_months(first, 3 * n)
        cents, _missing = revenue_cents(declared.get(start, {}), tariffs)
        label = f"K{(start.month - 1) // 3 + 1} {start.year}"
        points.append((label, round((cents + extra[start]) / 100, 2)))
    return _series(_("Omzet per kwartaal (euro)"), _("euro"), points)


def last_refresh(practice_ids: Sequence[int]) -> datetime | None:
    """The oldest refresh among the practices: every figure is at least this fresh."""
    found = FigureRefresh.objects.filter(practice_id__in=practice_ids)
    if found.count() < len(practice_ids):
        return None
    return found.order_by("refreshed_at").values_list("refreshed_at", flat=True).first()


@dataclass(frozen=True)
class Dashboard:
    period: Period
    figures: list[Compared]
    sums: Sums
    refreshed_at: datetime | None


def practice_dashboard(practice: Practice, period: Period) -> Dashboard:
    now = sums_for(practice, period.first, period.last)
    before = sums_for(practice, period.previous_first, period.previous_last)
    return Dashboard(period, compare(now, before), now, last_refresh([practice.pk]))


def tariffs_of(practice: Practice) -> QuerySet[Tariff]:
    return Tariff.objects.filter(practice=practice)


def get_tariff_for(practice: Practice, user: object, public_id: UUID | str) -> Tariff:
    found = Tariff.objects.filter(practice=practice, public_id=public_id).first()
    if found is None:
        raise OutOfReach(actor=user, object_kind="tariff", object_ids=[public_id])
    return found


def review_of(practice: Practice, month: date) -> MonthlyReview | None:
    return MonthlyReview.objects.filter(practice=practice, month=month_start(month)).first()


# ---- the region ----------------------------------------------------------------------------------


def region_of(user: Any) -> Region:
    analyst = RegionAnalyst.objects.filter(user=user).select_related("region").first()
    if analyst is None:
        raise OutOfReach(actor=user, object_kind="region", object_ids=[])
    return analyst.region


@dataclass(frozen=True)
class Cell:
    """One figure as the care group may see it."""

    figure: Figure
    suppressed: bool

    @property
    def text(self) -> str:
        value = self.figure.value
        if self.suppressed:
            return f"<{SUPPRESS_BELOW}" if self.figure.kind == COUNT else "—"
        if value is None:
            return "—"
        if self.figure.kind == PERCENT:
            return f"{number_format(value, 1)}%"
        if self.figure.kind == "euros":
            return f"€ {number_format(value, 0, force_grouping=True)}"
        return number_format(value, 0, force_grouping=True)


@dataclass(frozen=True)
class RegionRow:
    name: str
    cells: list[Cell]


@dataclass(frozen=True)
class RegionView:
    region: Region
    period: Period
    labels: list[str]
    practices: list[RegionRow]
    total: RegionRow
    refreshed_at: datetime | None


def _too_small(figure: Figure) -> bool:
    """A count of 1 to 9, or a share or average made of fewer than 10."""
    if figure.kind == COUNT:
        return figure.value is not None and 0 < figure.value < SUPPRESS_BELOW
    if figure.kind == "euros":
        return False
    return figure.denominator is not None and figure.denominator < SUPPRESS_BELOW


def suppress(rows: list[list[Figure]]) -> list[list[bool]]:
    """Which cells to hide: every small one, and where a column hides just one practice's
    count, the next smallest too, so the region's total cannot give it away."""
    hidden = [[_too_small(figure) for figure in row] for row in rows]
    for column in range(len(rows[0]) if rows else 0):
        if rows[0][column].kind != COUNT:
            continue
        small = [i for i, row in enumerate(hidden) if row[column]]
        if len(small) == 1:
            others = sorted(
                (rows[i][column].value or 0, i)
                for i in range(len(rows))
                if i not in small and (rows[i][column].value or 0) > 0
            )
            if others:
                hidden[others[0][1]][column] = True
    return hidden


def region_view(region: Region, period: Period) -> RegionView:
    members = list(
        RegionPractice.objects.filter(region=region)
        .select_related("practice")
        .order_by("practice__name")
    )
    ids = [member.practice_id for member in members]
    per_practice = sums_per_practice(ids, period.first, period.last)
    figure_rows = [figures_of(per_practice[pk]) for pk in ids]
    hidden = suppress(figure_rows)
    total_figures = figures_of(combined(list(per_practice.values())))
    labels = [figure.label for figure in total_figures]
    return RegionView(
        region,
        period,
        labels,
        [
            RegionRow(member.practice.name, [Cell(f, h) for f, h in zip(row, mask, strict=True)])
            for member, row, mask in zip(members, figure_rows, hidden, strict=True)
        ],
        RegionRow(region.name, [Cell(f, _too_small(f)) for f in total_figures]),
        last_refresh(ids) if ids else None,
    )
