"""A repeat request from the portal (or the phone), the assistant's filter, the GP's
approval, and the pharmacy's "ready". Every status change goes through `transition`,
which knows the allowed steps; approval writes the outbox message in the same
transaction, so there is never an approval without its message or a message without
an approval."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from uuid import UUID

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from spreekuur.accounts.models import User
from spreekuur.accounts.selectors import practice_of
from spreekuur.core.audit import record_access
from spreekuur.core.exceptions import BusinessRuleError, PermissionDenied
from spreekuur.core.models import AuditAction, AuditOutcome
from spreekuur.dossier.models import Medication
from spreekuur.patients.models import Patient
from spreekuur.patients.notices import notify_new_in_portal
from spreekuur.patients.portal import portal_capacity
from spreekuur.prescriptions import capabilities
from spreekuur.prescriptions.fhir import DispenseReport, dispense_mismatch, medication_request
from spreekuur.prescriptions.models import (
    TRANSITIONS,
    Channel,
    DeliveryStatus,
    ItemStatus,
    OutboxMessage,
    Pharmacy,
    PharmacyChoice,
    RejectionReason,
    RepeatRequest,
    RepeatRequestItem,
    RepeatSettings,
    Route,
    Transport,
)

MAX_ITEMS = 10
MAX_NOTE = 300
DECISION_FIELDS = ["status", "decided_by", "decided_at", "updated_at"]


class IllegalTransition(BusinessRuleError):
    """A status step the machine does not allow (e.g. approving what was rejected)."""


MISMATCH_WORDS = {"patient": "andere patiënt", "medicine": "ander geneesmiddel"}


class DispenseMismatch(BusinessRuleError):
    """The pharmacy's dispense names another patient or another medicine than the
    prescription it refers to. `part` says which ("patient" or "medicine")."""

    def __init__(self, part: str) -> None:
        super().__init__(part)
        self.part = part


def transition(item: RepeatRequestItem, to: str) -> None:
    """Move an item one allowed step; anything else is refused."""
    if to not in TRANSITIONS.get(item.status, frozenset()):
        raise IllegalTransition(
            _("Deze aanvraag is %(status)s en kan niet meer worden gewijzigd.")
            % {"status": ItemStatus(item.status).label}
        )
    item.status = to


def _acting_role(by: User, patient: Patient, channel: str) -> str | None:
    """None for the patient themself, the capacity for a representative; staff take
    requests by phone or at the desk. Anyone else is refused."""
    if channel == Channel.PORTAL:
        return portal_capacity(by, patient)
    if capabilities.can_take_request(by) and practice_of(by) == patient.practice:
        return None
    raise PermissionDenied


def _route(patient: Patient) -> str:
    settings = RepeatSettings.objects.filter(practice_id=patient.practice_id).first()
    return settings.route if settings is not None else Route.ASSISTANT_FIRST


@transaction.atomic
def request_repeat(
    *,
    patient: Patient,
    medication_ids: Sequence[UUID | str],
    pharmacy: Pharmacy,
    note: str = "",
    channel: str = Channel.PORTAL,
    by: User,
) -> RepeatRequest:
    """Ask for one or more medicines of the patient's repeat list."""
    actor_role = _acting_role(by, patient, channel)
    wanted = {str(public_id) for public_id in medication_ids}
    if not wanted:
        raise BusinessRuleError(_("Kies minstens één medicijn."))
    if len(wanted) > MAX_ITEMS:
        raise BusinessRuleError(_("Hooguit 10 medicijnen per aanvraag."))
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise BusinessRuleError(_("De opmerking is langer dan 300 tekens."))
    medications = list(
        Medication.objects.filter(
            practice_id=patient.practice_id,
            patient=patient,
            public_id__in=wanted,
            repeatable=True,
            ended_on__isnull=True,
            shielded=False,
        )
    )
    if len(medications) != len(wanted):
        raise PermissionDenied  # not on this patient's repeat list (or tampered)
    if pharmacy.practice_id != patient.practice_id or not pharmacy.active:
        raise PermissionDenied
    request = RepeatRequest.objects.create(
        practice_id=patient.practice_id,
        patient=patient,
        requested_by=by,
        channel=channel,
        pharmacy=pharmacy,
        note=note,
        route=_route(patient),
    )
    try:
        with transaction.atomic():
            RepeatRequestItem.objects.bulk_create(
                RepeatRequestItem(
                    practice_id=patient.practice_id,
                    request=request,
                    medication=medication,
                    status=ItemStatus.REQUESTED,
                )
                for medication in medications
            )
    except IntegrityError as error:
        raise BusinessRuleError(
            _("U heeft dit medicijn al aangevraagd; die aanvraag loopt nog.")
        ) from error
    PharmacyChoice.objects.update_or_create(patient=patient, defaults={"pharmacy": pharmacy})
    record_access(
        actor=by,
        action=AuditAction.CREATE,
        object_kind="repeatrequest",
        practice=patient.practice,
        patient=patient,
        object_ids=[request.public_id],
        actor_role=actor_role,
        detail=f"{len(medications)} middel(en), {channel}",
    )
    return request


def _locked_items(items: Sequence[RepeatRequestItem], by: User) -> list[RepeatRequestItem]:
    """The items, locked in id order (a fixed order: two GPs cannot deadlock), all of the
    acting user's practice."""
    practice = practice_of(by)
    ids = sorted(item.pk for item in items)
    if not ids:
        raise BusinessRuleError(_("Kies minstens één aanvraag."))
    locked = list(
        RepeatRequestItem.objects.select_for_update(no_key=True, of=("self",))
        .filter(pk__in=ids)
        .select_related("request__patient__practice", "request__pharmacy", "medication")
        .order_by("pk")
    )
    if practice is None or len(locked) != len(ids):
        raise PermissionDenied
    if any(item.practice_id != practice.pk for item in locked):
        raise PermissionDenied
    return locked


def _log(items: list[RepeatRequestItem], by: User, detail: str) -> None:
    """One entry per patient whose items changed."""
    by_patient: dict[int, list[RepeatRequestItem]] = {}
    for item in items:
        by_patient.setdefault(item.request.patient_id, []).append(item)
    for patient_items in by_patient.values():
        patient = patient_items[0].request.patient
        record_access(
            actor=by,
            action=AuditAction.CHANGE,
            object_kind="repeatrequest",
            practice=patient.practice,
            patient=patient,
            object_ids=[item.public_id for item in patient_items],
            detail=detail,
        )


@transaction.atomic
def forward_to_gp(*, items: Sequence[RepeatRequestItem], by: User) -> int:
    """The assistant checked the requests against the protocol: on to the accorderingslijst."""
    if not capabilities.can_filter_requests(by):
        raise PermissionDenied
    locked = _locked_items(items, by)
    for item in locked:
        transition(item, ItemStatus.IN_REVIEW)
        item.forwarded_by = by
        item.save(update_fields=["status", "forwarded_by", "updated_at"])
    _log(locked, by, "doorgestuurd naar de huisarts")
    return len(locked)


@transaction.atomic
def reject_items(
    *, items: Sequence[RepeatRequestItem], reason: str, explanation: str = "", by: User
) -> int:
    """Refuse with a reason the patient sees (the assistant before forwarding, the GP any
    time before approval); "control needed" asks the patient to make an appointment."""
    if not (capabilities.can_filter_requests(by) or capabilities.can_approve(by)):
        raise PermissionDenied
    if reason not in RejectionReason.values:
        raise BusinessRuleError(_("Kies een reden."))
    explanation = explanation.strip()
    if len(explanation) > MAX_NOTE:
        raise BusinessRuleError(_("De toelichting is langer dan 300 tekens."))
    if reason == RejectionReason.OTHER and not explanation:
        raise BusinessRuleError(_("Schrijf bij 'anders' een toelichting voor de patiënt."))
    locked = _locked_items(items, by)
    now = timezone.now()
    for item in locked:
        with_gp = item.status == ItemStatus.IN_REVIEW or item.request.route == Route.STRAIGHT_TO_GP
        if with_gp and not capabilities.can_approve(by):
            raise PermissionDenied  # once with the GP (or routed there), only the GP decides
        transition(item, ItemStatus.REJECTED)
        item.reason, item.explanation = reason, explanation
        item.decided_by, item.decided_at = by, now
        item.save(
            update_fields=[
                "status",
                "reason",
                "explanation",
                "decided_by",
                "decided_at",
                "updated_at",
            ]
        )
    _log(locked, by, f"afgewezen: {reason}")
    _notify(locked)
    return len(locked)


@transaction.atomic
def approve_items(*, items: Sequence[RepeatRequestItem], by: User) -> int:
    """The GP approves; each approved item gets its outbox message in this transaction."""
    if not capabilities.can_approve(by):
        raise PermissionDenied
    locked = _locked_items(items, by)
    now = timezone.now()
    for item in locked:
        medication = item.medication
        if medication.ended_on is not None or not medication.repeatable or medication.shielded:
            raise BusinessRuleError(
                _("%(name)s is gestopt, afgeschermd of niet meer herhaalbaar: wijs het af.")
                % {"name": medication.name}
            )
        transition(item, ItemStatus.APPROVED)
        item.decided_by, item.decided_at = by, now
        item.save(update_fields=DECISION_FIELDS)
        pharmacy = item.request.pharmacy
        OutboxMessage.objects.create(
            practice_id=item.practice_id,
            item=item,
            pharmacy=pharmacy,
            payload=medication_request(item),
            status=(
                DeliveryStatus.TO_PRINT
                if pharmacy.transport == Transport.PRINT
                else DeliveryStatus.PENDING
            ),
            next_attempt_at=now,
        )
    _log(locked, by, "goedgekeurd")
    _notify(locked)
    return len(locked)


def confirm_ready(*, pharmacy: Pharmacy, dispense: DispenseReport) -> RepeatRequestItem | None:
    """The pharmacy says the medicine is ready (through its own door, with its token).
    Idempotent: a second confirmation changes nothing. None for an item that is not this
    pharmacy's. A dispense whose patient or medicine is not the prescription's is
    refused (DispenseMismatch), and the refusal is in the patient's access log."""
    item, mismatch = _confirm_ready(pharmacy, dispense)
    if mismatch is not None:
        # Raised outside the transaction, so that the refusal's log entry stays.
        raise DispenseMismatch(mismatch)
    return item


@transaction.atomic
def _confirm_ready(
    pharmacy: Pharmacy, dispense: DispenseReport
) -> tuple[RepeatRequestItem | None, str | None]:
    item = (
        RepeatRequestItem.objects.select_for_update(no_key=True, of=("self",))
        .select_related("request__patient__practice", "outbox")
        .filter(
            public_id=dispense.item_id,
            request__pharmacy=pharmacy,
            practice_id=pharmacy.practice_id,
        )
        .first()
    )
    if item is None:
        return None, None
    patient = item.request.patient
    audit = partial(
        record_access,
        actor=None,
        action=AuditAction.CHANGE,
        object_kind="repeatrequest",
        practice=patient.practice,
        patient=patient,
        object_ids=[item.public_id],
        channel="api",
        actor_role="apotheek",  # signed in with the pharmacy's own token
        system_name=pharmacy.name,
    )
    # Held against what we sent (not sent yet: the status step below refuses it).
    sent = getattr(item, "outbox", None)
    mismatch = dispense_mismatch(sent.payload, dispense) if sent is not None else None
    if mismatch is not None:
        # The log says what did not match, never the BSN or medicine the pharmacy sent.
        audit(outcome=AuditOutcome.DENIED, detail=f"afgifte geweigerd: {MISMATCH_WORDS[mismatch]}")
        return item, mismatch
    if item.status == ItemStatus.READY:
        return item, None
    transition(item, ItemStatus.READY)
    item.ready_at = timezone.now()
    item.save(update_fields=["status", "ready_at", "updated_at"])
    audit(detail=f"klaar bij {pharmacy.name}")
    _notify([item])
    return item, None


def _notify(items: list[RepeatRequestItem]) -> None:
    """One content-free notice per patient, after the transaction commits."""
    patients = {item.request.patient_id: item.request.patient for item in items}
    for patient in patients.values():
        transaction.on_commit(partial(notify_new_in_portal, patient))
