"""Reads for repeat prescriptions, each already scoped: the patient's repeat list and
requests, the assistant's filter list, the GP's accorderingslijst with what the GP needs
beside each request (history, last contact, lab values, warnings) in a fixed number of
queries per page, the deliveries, and the figures."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from uuid import UUID

from django.db.models import Case, Count, F, IntegerField, Max, Q, QuerySet, Subquery, Value, When
from django.http import Http404
from django.utils import timezone

from spreekuur.accounts.models import User
from spreekuur.accounts.selectors import practice_of
from spreekuur.core.exceptions import OutOfReach
from spreekuur.core.models import Practice
from spreekuur.core.working_days import working_day_deadline
from spreekuur.dossier.models import Allergy, JournalEntry, Medication
from spreekuur.patients.models import Patient
from spreekuur.prescriptions.checks import LabValue, relevant_tests, warnings_for
from spreekuur.prescriptions.models import (
    OPEN_STATUSES,
    Channel,
    DeliveryStatus,
    ItemStatus,
    OutboxMessage,
    Pharmacy,
    PharmacyChoice,
    RepeatRequestItem,
    Route,
)
from spreekuur.results.models import RELEASABLE_STATUSES, LabResult


def _practice(user: User) -> Practice:
    practice = practice_of(user)
    if practice is None:
        raise Http404
    return practice


# --- The patient's side ------------------------------------------------------------------------


@dataclass(frozen=True)
class RepeatChoice:
    medication: Medication
    open_status: str  # "" when it can be requested now

    @property
    def open_label(self) -> str:
        return str(ItemStatus(self.open_status).label) if self.open_status else ""


def repeat_list(patient: Patient) -> list[RepeatChoice]:
    """The patient's repeatable medicines, each with the status of an open request."""
    medications = list(
        Medication.objects.filter(
            practice_id=patient.practice_id,
            patient=patient,
            repeatable=True,
            ended_on__isnull=True,
            shielded=False,  # a shielded medicine never shows in the portal (DESIGN §3.4)
        ).order_by("name")
    )
    open_items = dict(
        RepeatRequestItem.objects.filter(
            medication__in=medications, status__in=OPEN_STATUSES
        ).values_list("medication_id", "status")
    )
    return [RepeatChoice(m, open_items.get(m.pk, "")) for m in medications]


def pharmacies_for(patient: Patient) -> tuple[list[Pharmacy], Pharmacy | None]:
    pharmacies = list(Pharmacy.objects.filter(practice_id=patient.practice_id, active=True))
    choice = PharmacyChoice.objects.filter(patient=patient).select_related("pharmacy").first()
    preferred = choice.pharmacy if choice is not None and choice.pharmacy.active else None
    return pharmacies, preferred


def items_of(patient: Patient, *, limit: int = 30) -> list[RepeatRequestItem]:
    return list(
        RepeatRequestItem.objects.filter(
            practice_id=patient.practice_id, request__patient=patient, medication__shielded=False
        )
        .select_related("medication", "request__pharmacy")
        .order_by("-request__created_at", "id")[:limit]
    )


# --- The practice's lists -----------------------------------------------------------------------


def filter_list(*, by: User) -> QuerySet[RepeatRequestItem]:
    """Requests waiting for the assistant's check (practices that route them so)."""
    return (
        RepeatRequestItem.objects.filter(
            practice=_practice(by),
            status=ItemStatus.REQUESTED,
            request__route=Route.ASSISTANT_FIRST,
        )
        .select_related("medication", "request__patient", "request__pharmacy")
        .order_by("request__created_at", "id")
    )


def accorderingslijst(*, by: User) -> QuerySet[RepeatRequestItem]:
    """What waits for a GP: forwarded by the assistant, or straight from the portal."""
    return (
        RepeatRequestItem.objects.filter(practice=_practice(by))
        .filter(
            Q(status=ItemStatus.IN_REVIEW)
            | Q(status=ItemStatus.REQUESTED, request__route=Route.STRAIGHT_TO_GP)
        )
        .select_related("medication", "request__patient", "request__pharmacy", "forwarded_by")
        .order_by("request__created_at", "id")
    )


@dataclass
class Review:
    item: RepeatRequestItem
    approved_before: int = 0
    last_approved: datetime | None = None
    last_contact: date | None = None
    labs: list[LabValue] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def with_context(items: list[RepeatRequestItem]) -> list[Review]:
    """Everything beside each request, in five queries for the whole page."""
    if not items:
        return []
    today = timezone.localdate()
    patient_ids = {item.request.patient_id for item in items}
    medication_ids = {item.medication_id for item in items}
    history = {
        row["medication_id"]: row
        for row in RepeatRequestItem.objects.filter(
            medication_id__in=medication_ids,
            status__in=[ItemStatus.APPROVED, ItemStatus.SENT, ItemStatus.READY],
        )
        .values("medication_id")
        .annotate(count=Count("id"), last=Max("decided_at"))
    }
    contacts = dict(
        JournalEntry.objects.filter(patient_id__in=patient_ids)
        .values("patient_id")
        .annotate(last=Max("contact_on"))
        .values_list("patient_id", "last")
    )
    allergies: dict[int, list[str]] = {}
    for patient_id, substance in Allergy.objects.filter(patient_id__in=patient_ids).values_list(
        "patient_id", "substance"
    ):
        allergies.setdefault(patient_id, []).append(substance)
    medicines: dict[int, list[tuple[int, str]]] = {}
    for patient_id, medication_id, name in Medication.objects.filter(
        patient_id__in=patient_ids, ended_on__isnull=True
    ).values_list("patient_id", "id", "name"):
        medicines.setdefault(patient_id, []).append((medication_id, name))
    codes = {code for item in items for code in relevant_tests(item.medication.name)}
    labs: dict[tuple[int, str], LabValue] = {}
    if codes:
        rows = (
            LabResult.objects.filter(
                patient_id__in=patient_ids,
                test__nhg_code__in=codes,
                replaced_by__isnull=True,
                # Not a value the lab withdrew, nor a preliminary or pending one.
                withdrawn_at__isnull=True,
                status__in=RELEASABLE_STATUSES,
            )
            .order_by("observed_at")
            .values_list(
                "patient_id",
                "test__nhg_code",
                "test__name",
                "value",
                "value_text",
                "unit",
                "observed_at",
                "flag",
            )
        )
        for patient_id, code, name, value, text, unit, observed, flag in rows:
            # Ordered oldest first, so the newest per patient and test stays.
            labs[(patient_id, code)] = LabValue(
                code, name, value, text, unit, timezone.localdate(observed), bool(flag)
            )
    reviews = []
    for item in items:
        patient_id = item.request.patient_id
        past = history.get(item.medication_id, {})
        item_labs = {
            code: labs[(patient_id, code)]
            for code in relevant_tests(item.medication.name)
            if (patient_id, code) in labs
        }
        reviews.append(
            Review(
                item=item,
                approved_before=past.get("count", 0),
                last_approved=past.get("last"),
                last_contact=contacts.get(patient_id),
                labs=list(item_labs.values()),
                warnings=warnings_for(
                    medicine=item.medication.name,
                    control_due_on=item.medication.control_due_on,
                    today=today,
                    allergies=allergies.get(patient_id, []),
                    other_medicines=[
                        name
                        for pk, name in medicines.get(patient_id, [])
                        if pk != item.medication_id
                    ],
                    labs=item_labs,
                ),
            )
        )
    return reviews


def items_by_ids(*, by: User, public_ids: list[str]) -> list[RepeatRequestItem]:
    """The chosen items of the user's practice; any id outside it is a 404 (a refused
    attempt)."""
    practice = _practice(by)
    try:
        wanted = {UUID(value) for value in public_ids[:200]}
    except ValueError:
        raise OutOfReach(
            actor=by, object_kind="repeatrequest", detail="geen geldig kenmerk"
        ) from None
    items = list(RepeatRequestItem.objects.filter(practice=practice, public_id__in=wanted))
    if len(items) != len(wanted):
        raise OutOfReach(
            actor=by, object_kind="repeatrequest", object_ids=sorted(map(str, wanted))[:20]
        )
    return items


def deliveries(*, by: User) -> QuerySet[OutboxMessage]:
    """What has not reached the pharmacy yet, failures first."""
    return (
        OutboxMessage.objects.filter(practice=_practice(by))
        .exclude(status=DeliveryStatus.DELIVERED)
        .select_related("item__medication", "item__request__patient", "pharmacy")
        .annotate(
            failed_first=Case(
                When(status=DeliveryStatus.FAILED, then=Value(0)),
                When(status=DeliveryStatus.TO_PRINT, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .order_by("failed_first", "created_at")
    )


def get_printable(user: User, public_id: UUID | str) -> OutboxMessage:
    """A prescription to print: only for a pharmacy without a link, or a failed sending."""
    message = get_delivery(user, public_id)
    if not message.is_printable:
        raise Http404
    return message


def get_delivery(user: User, public_id: UUID | str) -> OutboxMessage:
    try:
        return OutboxMessage.objects.select_related(
            "item__medication", "item__request__patient__practice", "item__decided_by", "pharmacy"
        ).get(practice=_practice(user), public_id=public_id)
    except (OutboxMessage.DoesNotExist, ValueError):
        raise OutOfReach(actor=user, object_kind="repeatrequest", object_ids=[public_id]) from None


# --- Figures ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RepeatFigures:
    since: date
    per_channel: list[tuple[str, int]]
    decided: int
    within_one_working_day: int
    rejections: list[tuple[str, int]]

    @property
    def share_within_one_working_day(self) -> int | None:
        return round(100 * self.within_one_working_day / self.decided) if self.decided else None


def figures(practice: Practice, *, days: int = 30) -> RepeatFigures:
    """No patient data: counts per channel, the share decided within one working day,
    and the rejection reasons, over the last `days` days."""
    from spreekuur.prescriptions.models import RejectionReason, RepeatRequest

    since = timezone.localdate() - timedelta(days=days)
    requests = RepeatRequest.objects.filter(practice=practice, created_at__date__gte=since)
    channels = Counter(
        dict(requests.values("channel").annotate(n=Count("id")).values_list("channel", "n"))
    )
    decided = RepeatRequestItem.objects.filter(request__in=requests, decided_at__isnull=False)
    decided_rows = [
        (created, moment)
        for created, moment in decided.values_list("request__created_at", "decided_at")
        if moment is not None
    ]
    within = len(
        [1 for created, decided in decided_rows if decided <= working_day_deadline(created, 1)]
    )
    reasons = Counter(
        dict(
            RepeatRequestItem.objects.filter(request__in=requests, status=ItemStatus.REJECTED)
            .values("reason")
            .annotate(n=Count("id"))
            .values_list("reason", "n")
        )
    )
    return RepeatFigures(
        since=since,
        per_channel=[(str(label), channels.get(value, 0)) for value, label in Channel.choices],
        decided=len(decided_rows),
        within_one_working_day=within,
        rejections=[
            (str(label), reasons.get(value, 0)) for value, label in RejectionReason.choices
        ],
    )


# --- What is new for the patient (the start page and the menu) ---------------------------------

# What the practice or the pharmacy did with a request: news for the patient.
NEWS_STATUSES = (ItemStatus.APPROVED, ItemStatus.REJECTED, ItemStatus.SENT, ItemStatus.READY)


def _last_repeats_look(patient: Patient, seen_by: User) -> Subquery:
    """When this user last opened the patient's repeats page (the audit log has it)."""
    from spreekuur.core.models import AuditAction, AuditEntry, AuditOutcome

    return Subquery(
        AuditEntry.objects.filter(
            practice_id=patient.practice_id,
            patient=patient,
            actor=seen_by,
            object_kind="repeatrequest",
            action=AuditAction.READ,
            outcome=AuditOutcome.ALLOWED,
        )
        .order_by("-occurred_at")
        .values("occurred_at")[:1]
    )


def repeat_news(
    patient: Patient, *, seen_by: User, days: int = 14, limit: int = 5
) -> list[RepeatRequestItem]:
    """The patient's requests still with the practice, and those the practice or the
    pharmacy moved on in the last `days`, newest first (one query). Each has `is_new`:
    moved on since this user last opened the repeats page."""
    since = timezone.now() - timedelta(days=days)
    items: list[RepeatRequestItem] = list(
        RepeatRequestItem.objects.filter(
            practice_id=patient.practice_id, request__patient=patient, medication__shielded=False
        )
        .filter(Q(status__in=OPEN_STATUSES) | Q(updated_at__gte=since))
        .select_related("medication", "request__pharmacy")
        .annotate(seen_at=_last_repeats_look(patient, seen_by))
        .order_by("-updated_at", "-id")[:limit]
    )
    for item in items:
        seen = item.seen_at  # type: ignore[attr-defined]
        item.is_new = item.status in NEWS_STATUSES and (  # type: ignore[attr-defined]
            seen is None or item.updated_at > seen
        )
    return items


def unseen_repeat_news(
    patient: Patient, *, seen_by: User, days: int = 14
) -> QuerySet[RepeatRequestItem]:
    """Requests decided, sent or ready since this user last opened the repeats page (in
    the last `days` when they never did). One query to count."""
    since = timezone.now() - timedelta(days=days)
    return (
        RepeatRequestItem.objects.filter(
            practice_id=patient.practice_id,
            request__patient=patient,
            medication__shielded=False,
            status__in=NEWS_STATUSES,
        )
        .annotate(seen_at=_last_repeats_look(patient, seen_by))
        .filter(Q(seen_at__isnull=True, updated_at__gte=since) | Q(updated_at__gt=F("seen_at")))
    )
