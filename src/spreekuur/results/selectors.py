"""Reads of results, each already scoped: the GP's review list, the work list, a patient's
history for staff, and what the patient may see online.

The online view is built here and nowhere else: released results only (which the
database ties to a GP's comment), never one that a newer version replaced, and only
from the practice's "records online from" date."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, time
from uuid import UUID

from django.db.models import (
    Case,
    Count,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from spreekuur.accounts.models import User
from spreekuur.accounts.selectors import active_membership
from spreekuur.core.exceptions import OutOfReach
from spreekuur.patients.models import Patient
from spreekuur.results.models import (
    CRITICAL_FLAGS,
    OPEN_STATUSES,
    Flag,
    LabMessage,
    LabResult,
    LabTest,
)


def _practice_id(user: User) -> int:
    membership = active_membership(user)
    if membership is None:
        raise Http404
    return membership.practice_id


def _awaiting_review(by: User, everyone: bool) -> QuerySet[LabResult]:
    """The GP's own (ordered by them or their list patients) and the ones nobody owns;
    `everyone`: the whole practice's (for a locum). Never a replaced or withdrawn one."""
    rows = LabResult.objects.filter(
        practice_id=_practice_id(by),
        reviewed_at__isnull=True,
        replaced_by__isnull=True,
        withdrawn_at__isnull=True,
    )
    if not everyone:
        rows = rows.filter(Q(reviewer=by) | Q(reviewer__isnull=True))
    return rows


def results_to_review(*, by: User, everyone: bool = False) -> QuerySet[LabResult]:
    """'Uitslagen te beoordelen', one result at a time: far out of range first, then out
    of range, then the rest; oldest first within each (the work-queue counter counts these)."""
    urgency = Case(
        When(flag__in=CRITICAL_FLAGS, then=Value(0)),
        When(~Q(flag=Flag.NORMAL), then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return (
        _awaiting_review(by, everyone)
        .select_related("patient", "test")
        .annotate(urgency=urgency)
        .order_by("urgency", "observed_at", "id")
    )


@dataclass(frozen=True)
class Panel:
    """The results of one lab order of one patient (one report from the lab), which the
    GP reviews together: one comment, one decision."""

    message: LabMessage
    patient: Patient
    results: list[LabResult]  # as the lab listed them

    @property
    def public_id(self) -> UUID:
        return self.message.public_id

    @property
    def taken_at(self) -> datetime:
        return min(result.observed_at for result in self.results)

    @property
    def rank(self) -> int:
        """Its most urgent result's rank (0 far out of range, 1 out of range, 2 within)."""
        return min(result.review_rank for result in self.results)

    @property
    def out_of_range(self) -> list[LabResult]:
        return [result for result in self.results if result.out_of_range]

    @property
    def awaiting(self) -> list[LabResult]:
        return [result for result in self.results if result.awaits_review]

    @property
    def is_urgent(self) -> bool:
        return self.rank == 0


def _panels(rows: list[LabResult]) -> list[Panel]:
    """Results (each with its patient and message) grouped by lab order, in the order the
    queue keeps: by patient, the patient with the most urgent result first (then the one
    waiting longest); within a patient the most urgent order first, then the oldest."""
    grouped: dict[int, list[LabResult]] = defaultdict(list)
    for row in rows:
        grouped[row.message_id].append(row)
    panels = [
        Panel(results[0].message, results[0].patient, sorted(results, key=lambda r: r.pk))
        for results in grouped.values()
    ]
    by_patient: dict[int, list[Panel]] = defaultdict(list)
    for panel in panels:
        by_patient[panel.patient.pk].append(panel)

    def panel_key(panel: Panel) -> tuple[int, datetime, int]:
        return (panel.rank, panel.taken_at, panel.message.pk)

    ordered: list[Panel] = []
    for _patient, theirs in sorted(
        by_patient.items(),
        key=lambda item: (min(map(panel_key, item[1])), item[0]),
    ):
        ordered += sorted(theirs, key=panel_key)
    return ordered


def review_queue(*, by: User, everyone: bool = False) -> list[Panel]:
    """'Uitslagen te beoordelen' per patient and lab order (see `_panels`); three queries
    whatever the number of results (the rows, with patient, test and message)."""
    rows = list(
        _awaiting_review(by, everyone)
        .select_related("patient", "test", "message")
        .defer("message__raw", "message__identity")
    )
    return _panels(rows)


def next_panel(*, by: User, patient: Patient, everyone: bool = False) -> Panel | None:
    """What to review after the patient's order: another order of the same patient while
    one waits, else the first of the queue."""
    rows = list(
        _awaiting_review(by, everyone)
        .filter(patient=patient)
        .select_related("patient", "test", "message")
        .defer("message__raw", "message__identity")
    )
    panels = _panels(rows) or review_queue(by=by, everyone=everyone)
    return panels[0] if panels else None


def get_panel_for_staff(user: User, public_id: UUID | str) -> Panel:
    """One lab order of a patient of the user's practice, with every current result of it
    (reviewed or not; never a replaced version), or 404 (a refused attempt)."""
    try:
        message = LabMessage.objects.select_related("patient__practice").get(
            practice_id=_practice_id(user), public_id=public_id, patient__isnull=False
        )
    except (LabMessage.DoesNotExist, ValueError):
        raise OutOfReach(actor=user, object_kind="labmessage", object_ids=[public_id]) from None
    results = list(
        LabResult.objects.filter(practice_id=message.practice_id, message=message)
        .filter(replaced_by__isnull=True)
        .select_related("test", "reviewed_by")
        .order_by("id")
    )
    patient = message.patient
    if not results or patient is None:
        raise Http404
    for result in results:
        result.patient = patient
        result.message = message
    return Panel(message, patient, results)


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


def _online_since(patient: Patient) -> datetime | None:
    """From the start of the practice's "records online from" day in Dutch time (a plain
    comparison keeps the index usable); None while nothing is online yet."""
    online_from = patient.practice.records_online_from
    if online_from is None or online_from > timezone.localdate():
        return None
    return timezone.make_aware(datetime.combine(online_from, time.min))


def released_results(patient: Patient) -> QuerySet[LabResult]:
    """Every result the patient may see (released, not replaced, since records went
    online), for the FHIR API; the portal's pages read the same rows."""
    return _online(patient)


def _online(patient: Patient) -> QuerySet[LabResult]:
    since = _online_since(patient)
    if since is None:
        return LabResult.objects.none()
    # Never one a newer version replaced: the row's own flag, which the online index
    # shares, so the tests, the newest of each and the counts come from that index alone.
    return LabResult.objects.filter(
        practice_id=patient.practice_id,
        patient=patient,
        released=True,
        replaced=False,
        observed_at__gte=since,
    )


@dataclass(frozen=True)
class TestSummary:
    test: LabTest
    latest: LabResult
    count: int


def results_online(patient: Patient) -> list[TestSummary]:
    """Per test the latest released result and how many there are, in one query whatever
    the number of results: the patient's tests (from the index of online results), the
    newest row of each (one index probe per test), each with its count."""
    if _online_since(patient) is None:
        return []
    online = _online(patient)
    newest_of_test = (
        online.filter(test_id=OuterRef("pk")).order_by("-observed_at", "-id").values("id")[:1]
    )
    tests = LabTest.objects.filter(pk__in=online.values("test_id"))
    newest_ids = tests.annotate(newest=Subquery(newest_of_test)).values("newest")
    count_of_test = (
        online.filter(test_id=OuterRef("test_id"))
        .order_by()
        .values("test_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    rows = (
        LabResult.objects.filter(pk__in=newest_ids)
        .select_related("test")
        .annotate(count=Subquery(count_of_test))
        .order_by()
    )
    summaries = [TestSummary(row.test, row, row.count) for row in rows]
    return sorted(summaries, key=lambda summary: (summary.test.patient_name, summary.test.pk))


def all_results_online(patient: Patient) -> list[LabResult]:
    """Every released result, for the PDF of the record: by test, newest first."""
    return list(
        _online(patient)
        .select_related("test")
        .order_by("test__patient_name", "-observed_at", "-id")
    )


RECENT = 24  # values on one page of a test: two years of monthly checks


@dataclass(frozen=True)
class TestHistory:
    test: LabTest
    results: list[LabResult]  # this page's, oldest first, for the chart
    page: int  # 1: the newest RECENT values; 2: the RECENT before those; ...
    older: bool  # older values exist beyond this page

    @property
    def newer(self) -> bool:
        return self.page > 1


def test_online(patient: Patient, test_public_id: UUID | str, *, page: int = 1) -> TestHistory:
    """One page of one test's released results for the patient: the newest RECENT, or on
    page 2 the RECENT before those, and so on; oldest first for the chart. One query of
    the same work however long the history is (a later page skips the newer ones in the
    index). 404 when the page has nothing, so a guessed test id tells nothing."""
    # The test's id through a subquery: the patient's index then finds just that test's
    # rows instead of reading all of a long record and dropping the others.
    test_id = Subquery(LabTest.objects.filter(public_id=test_public_id).values("id")[:1])
    newest = (
        _online(patient)
        .filter(test_id=test_id)
        .select_related("test")
        .order_by("-observed_at", "-id")
    )
    start = (page - 1) * RECENT
    rows = list(newest[start : start + RECENT + 1])
    if not rows:
        raise Http404
    older = len(rows) > RECENT
    results = list(reversed(rows[:RECENT]))
    return TestHistory(results[0].test, results, page, older)


# --- What is new for the patient (the start page and the menu) --------------------------------


_NEVER = datetime(1900, 1, 1, tzinfo=UTC)


def new_results(patient: Patient, *, seen_by: User) -> QuerySet[LabResult]:
    """Results released online since this user last opened the patient's results (all
    of them when they never did): the last look is read from the audit log, which
    records every time the results page was shown to them. One query to count."""
    from spreekuur.core.models import AuditAction, AuditEntry, AuditOutcome

    looks = AuditEntry.objects.filter(
        practice_id=patient.practice_id,
        patient=patient,
        actor=seen_by,
        object_kind="labresult",
        action=AuditAction.READ,
        outcome=AuditOutcome.ALLOWED,
    ).order_by("-occurred_at")
    # Never looked: every online result is new (released ones all have a review time).
    # Counted from the online index alone (it carries the review time): no table rows.
    last_look = Coalesce(Subquery(looks.values("occurred_at")[:1]), Value(_NEVER))
    return _online(patient).filter(reviewed_at__gt=last_look)


def new_results_count(patient: Patient | None, *, seen_by: User) -> int:
    return new_results(patient, seen_by=seen_by).count() if patient is not None else 0
