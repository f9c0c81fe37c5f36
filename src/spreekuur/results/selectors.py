"""Reads of results, each already scoped: the GP's review list, the work list, a patient's
history for staff, and what the patient may see online.

The online view is built here and nowhere else: released results only (which the
database ties to a GP's comment), never one that a newer version replaced, and only
from the practice's "records online from" date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from uuid import UUID

from django.db.models import Case, Count, IntegerField, Max, Q, QuerySet, Subquery, Value, When
from django.http import Http404
from django.utils import timezone

from spreekuur.accounts.models import User
from spreekuur.accounts.selectors import active_membership
from spreekuur.core.exceptions import OutOfReach
from spreekuur.patients.models import Patient
from spreekuur.results.models import OPEN_STATUSES, Flag, LabMessage, LabResult, LabTest


def _practice_id(user: User) -> int:
    membership = active_membership(user)
    if membership is None:
        raise Http404
    return membership.practice_id


def results_to_review(*, by: User, everyone: bool = False) -> QuerySet[LabResult]:
    """'Uitslagen te beoordelen': the GP's own (ordered by them or their list patients)
    and the ones nobody owns; `everyone` shows the whole practice's (for a locum)."""
    rows = LabResult.objects.filter(
        practice_id=_practice_id(by), reviewed_at__isnull=True, replaced_by__isnull=True
    )
    if not everyone:
        rows = rows.filter(Q(reviewer=by) | Q(reviewer__isnull=True))
    # Far out of range first, then out of range, then the rest; oldest first within each.
    urgency = Case(
        When(flag__in=[Flag.CRITICAL_HIGH, Flag.CRITICAL_LOW], then=Value(0)),
        When(~Q(flag=Flag.NORMAL), then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return (
        rows.select_related("patient", "test")
        .annotate(urgency=urgency)
        .order_by("urgency", "observed_at", "id")
    )


def get_result_for_staff(user: User, public_id: UUID | str) -> LabResult:
    try:
        return LabResult.objects.select_related(
            "patient__practice", "test", "reviewed_by", "message"
        ).get(practice_id=_practice_id(user), public_id=public_id)
    except (LabResult.DoesNotExist, ValueError):
        raise OutOfReach(actor=user, object_kind="labresult", object_ids=[public_id]) from None


def history_for_staff(result: LabResult, *, limit: int = 20) -> list[LabResult]:
    """Earlier values of the same test for the same patient, newest first."""
    return list(
        LabResult.objects.filter(
            practice_id=result.practice_id, patient_id=result.patient_id, test_id=result.test_id
        )
        .exclude(pk=result.pk)
        .select_related("reviewed_by")
        .order_by("-observed_at", "-id")[:limit]
    )


def results_for_staff(patient: Patient, *, limit: int = 200) -> list[LabResult]:
    return list(
        LabResult.objects.filter(practice_id=patient.practice_id, patient=patient)
        .select_related("test", "reviewed_by")
        .order_by("-observed_at", "-id")[:limit]
    )


def lab_worklist(*, by: User, status: str = "") -> QuerySet[LabMessage]:
    """Messages that still need someone: unmatched, quarantined or partly used."""
    statuses = [status] if status in OPEN_STATUSES else list(OPEN_STATUSES)
    return (
        LabMessage.objects.filter(practice_id=_practice_id(by), status__in=statuses)
        .select_related("patient")
        .defer("raw")
    )


def get_lab_message(user: User, public_id: UUID | str) -> LabMessage:
    try:
        return LabMessage.objects.select_related("patient", "handled_by").get(
            practice_id=_practice_id(user), public_id=public_id
        )
    except (LabMessage.DoesNotExist, ValueError):
        raise OutOfReach(actor=user, object_kind="labmessage", object_ids=[public_id]) from None


# --- The patient's view ---------------------------------------------------------------------


def _online(patient: Patient) -> QuerySet[LabResult]:
    online_from = patient.practice.records_online_from
    if online_from is None or online_from > timezone.localdate():
        return LabResult.objects.none()
    # From the start of that day in Dutch time (a plain comparison keeps the index usable).
    since = timezone.make_aware(datetime.combine(online_from, time.min))
    return LabResult.objects.filter(
        practice_id=patient.practice_id,
        patient=patient,
        released=True,
        replaced_by__isnull=True,
        observed_at__gte=since,
    )


@dataclass(frozen=True)
class TestSummary:
    test: LabTest
    latest: LabResult
    count: int


def results_online(patient: Patient) -> list[TestSummary]:
    """Per test the latest released result and how many there are: one grouped query and
    one for the latest rows, whatever the number of results the patient has."""
    online = _online(patient)
    groups = list(
        online.order_by().values("test_id").annotate(count=Count("id"), last=Max("observed_at"))
    )
    if not groups:
        return []
    latest = Q()
    for group in groups:
        latest |= Q(test_id=group["test_id"], observed_at=group["last"])
    counts = {group["test_id"]: group["count"] for group in groups}
    summaries: dict[int, TestSummary] = {}
    for row in online.filter(latest).select_related("test").order_by("observed_at", "id"):
        summaries[row.test_id] = TestSummary(row.test, row, counts[row.test_id])
    return sorted(summaries.values(), key=lambda summary: summary.test.patient_name)


def all_results_online(patient: Patient) -> list[LabResult]:
    """Every released result, for the PDF of the record: by test, newest first."""
    return list(
        _online(patient)
        .select_related("test")
        .order_by("test__patient_name", "-observed_at", "-id")
    )


RECENT = 24  # values shown at first: two years of monthly checks


@dataclass(frozen=True)
class TestHistory:
    test: LabTest
    results: list[LabResult]  # oldest first, for the chart
    more: bool  # older ones exist beyond what is shown


def test_online(
    patient: Patient, test_public_id: UUID | str, *, everything: bool = False
) -> TestHistory:
    """One test's released results for the patient: the newest RECENT (or all), oldest
    first for the chart; the same queries and work however long the history is. 404
    when the patient has none online, so a guessed test id tells nothing."""
    # The test's id through a subquery: the patient's index then finds just that test's
    # rows instead of reading all of a long record and dropping the others.
    test_id = Subquery(LabTest.objects.filter(public_id=test_public_id).values("id")[:1])
    newest = (
        _online(patient)
        .filter(test_id=test_id)
        .select_related("test", "reviewed_by")
        .order_by("-observed_at", "-id")
    )
    rows = list(newest if everything else newest[: RECENT + 1])
    if not rows:
        raise Http404
    more = not everything and len(rows) > RECENT
    results = list(reversed(rows[:RECENT] if more else rows))
    return TestHistory(results[0].test, results, more)
