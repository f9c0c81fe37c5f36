"""The quality indicators of the chronic-care programmes: per programme, per practice and
per period, the figures a care group reports. One query per programme, whatever the
number of practices (the region's view asks for all of its practices at once).

Who counts (the same rule for every indicator, as the care groups count):
- participants: in the programme on the period's last day (the peildatum): started on
  or before it, not ended by then. Someone who died or left the practice has an ended
  enrolment and no longer counts; someone who stopped after the peildatum still does.
- the shares are over the participants who took part for the whole period (started on
  or before its first day): someone enrolled mid-period has not had a full year of
  care, and is counted as a participant only.
- `measured`: a value in the period, measured at the practice or by the lab (a home
  measurement is the patient's own and is not counted as care given).
- `at_target`: over those measured (and, for a target with an age limit, younger than
  it on the peildatum), the share whose latest value in the period is on target."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.utils import timezone

from spreekuur.chroniccare.models import Control, ControlKind, Enrolment, EnrolmentStatus
from spreekuur.chroniccare.programmes import Indicator, Programme, ProgrammeDataError, Target
from spreekuur.dossier.models import MEASUREMENT_LIMITS, Measurement, MeasurementSource
from spreekuur.results.models import LabResult, LabTest

SUPPRESS_BELOW = 10  # counts of 1 to 9 are not shown outside the practice


@dataclass(frozen=True)
class Share:
    indicator: Indicator
    numerator: int
    denominator: int

    @property
    def percent(self) -> float | None:
        return round(100 * self.numerator / self.denominator, 1) if self.denominator else None

    @property
    def small(self) -> bool:
        """Too few to show outside the practice: a share of fewer than ten patients, or
        a count of one to nine."""
        return self.denominator < SUPPRESS_BELOW or 0 < self.numerator < SUPPRESS_BELOW


@dataclass(frozen=True)
class ProgrammeFigures:
    """One programme's indicators for one practice and period."""

    practice_id: int
    scheme: Programme
    participants: int  # on the peildatum
    whole_period: int  # of them, in the programme for the whole period
    shares: list[Share]


def _start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _in_window(
    test: LabTest, first: date, last: date
) -> QuerySet[Measurement] | QuerySet[LabResult]:
    """The rows of one test in the period for the enrolment's patient: the record's
    measurements for what the practice measures, the lab's results for the rest."""
    if test.nhg_code in MEASUREMENT_LIMITS:
        return Measurement.objects.filter(
            practice_id=OuterRef("practice_id"),
            patient_id=OuterRef("patient_id"),
            test_id=test.pk,
            source=MeasurementSource.PRACTICE,
            measured_on__gte=first,
            measured_on__lte=last,
        ).order_by("-measured_on", "-id")
    return LabResult.objects.filter(
        practice_id=OuterRef("practice_id"),
        patient_id=OuterRef("patient_id"),
        test_id=test.pk,
        replaced=False,
        value__isnull=False,
        observed_at__gte=_start(first),
        observed_at__lt=_start(last + timedelta(days=1)),
    ).order_by("-observed_at", "-id")


def _on_target(target: Target, column: str) -> tuple[str, Decimal]:
    """The SQL condition (and its parameter) of a value on target."""
    if target.below is not None:
        return f"{column} < %s", target.below
    if target.at_most is not None:
        return f"{column} <= %s", target.at_most
    return f"{column} >= %s", target.at_least or Decimal(0)


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def programme_figures(
    practice_ids: Sequence[int], scheme: Programme, first: date, last: date
) -> dict[int, ProgrammeFigures]:
    """The programme's indicators for each practice (every practice asked for has a
    row, also one without participants), in one query: per participant one row with a
    column per indicator (each subquery once), summed per practice around it."""
    tests = {
        t.nhg_code: t
        for t in LabTest.objects.filter(
            nhg_code__in={i.nhg_code for i in scheme.indicators if i.nhg_code}
        )
    }
    participants = Enrolment.objects.filter(
        practice_id__in=practice_ids,
        programme=scheme.code,
        status__in=(EnrolmentStatus.ACTIVE, EnrolmentStatus.ENDED),
        started_on__lte=last,
    ).filter(Q(ended_on__isnull=True) | Q(ended_on__gt=last))
    columns: dict[str, object] = {
        "in_whole_period": ExpressionWrapper(Q(started_on__lte=first), output_field=BooleanField())
    }
    controls = Control.objects.filter(
        enrolment_id=OuterRef("pk"), held_on__gte=first, held_on__lte=last
    )
    # Per indicator: what its numerator and denominator count, over the columns.
    sums: list[tuple[str, str, str]] = []
    params: list[Decimal] = []
    for indicator in scheme.indicators:
        column, test = f"c_{indicator.key}", tests.get(indicator.nhg_code)
        if indicator.kind in ("control", "checkup"):
            held = (
                controls.filter(kind=ControlKind.CHECKUP)
                if indicator.kind == "checkup"
                else controls
            )
            columns[column] = Exists(held)
            sums.append((indicator.key, f"in_whole_period AND {column}", "in_whole_period"))
        elif test is None:
            sums.append((indicator.key, "FALSE", "FALSE"))  # the table lacks the test
        elif indicator.kind == "measured":
            columns[column] = Exists(_in_window(test, first, last))
            sums.append((indicator.key, f"in_whole_period AND {column}", "in_whole_period"))
        else:  # at_target: the latest value in the period
            target = scheme.measure(indicator.nhg_code).target
            if target is None:  # refused when the programmes were read; never here
                raise ProgrammeDataError(f"{scheme.code}: {indicator.key} has no target")
            columns[column] = Subquery(_in_window(test, first, last).values("value")[:1])
            counted = f"in_whole_period AND {column} IS NOT NULL"
            if target.until_age is not None:
                young = f"y_{indicator.key}"
                columns[young] = ExpressionWrapper(
                    Q(patient__date_of_birth__gt=_years_before(last, target.until_age)),
                    output_field=BooleanField(),
                )
                counted += f" AND {young}"
            condition, bound = _on_target(target, column)
            sums.append((indicator.key, f"{counted} AND {condition}", counted))
            params.append(bound)
    inner_sql, inner_params = (
        participants.annotate(**columns).values("practice_id", *columns).query.sql_with_params()
    )
    selected = ", ".join(
        f"COUNT(*) FILTER (WHERE {numerator}), COUNT(*) FILTER (WHERE {denominator})"
        for _key, numerator, denominator in sums
    )
    # Only column names and FILTER conditions made here from the programmes file's checked
    # keys go into the text; every value travels as a parameter.
    counts = f", {selected}" if selected else ""
    # Materialised, so that each participant's subqueries run once: PostgreSQL would
    # otherwise fold them into every FILTER that names their column.
    materialized = "MATERIALIZED " if connection.vendor == "postgresql" else ""
    sql = f"WITH participant AS {materialized}({inner_sql}) SELECT practice_id, COUNT(*), COUNT(*) FILTER (WHERE in_whole_period){counts} FROM participant GROUP BY practice_id"  # noqa: S608, E501
    # The inner query's parameters first (the WITH), then the targets' bounds.
    with connection.cursor() as cursor:
        cursor.execute(sql, [*inner_params, *params])
        rows = {row[0]: row[1:] for row in cursor.fetchall()}
    figures = {}
    for practice_id in practice_ids:
        row = rows.get(practice_id) or (0,) * (2 + 2 * len(sums))
        figures[practice_id] = ProgrammeFigures(
            practice_id=practice_id,
            scheme=scheme,
            participants=row[0],
            whole_period=row[1],
            shares=[
                Share(indicator, row[2 + 2 * n], row[3 + 2 * n])
                for n, indicator in enumerate(scheme.indicators)
            ],
        )
    return figures
