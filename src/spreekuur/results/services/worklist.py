"""The assistant's work list: link a report to the right patient, try again after the test
table was updated, or close a message with a note. Every step is logged."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from spreekuur.accounts.models import User
from spreekuur.accounts.selectors import active_membership
from spreekuur.core.audit import record_access
from spreekuur.core.exceptions import BusinessRuleError, PermissionDenied
from spreekuur.core.models import AuditAction
from spreekuur.core.roles import Channel
from spreekuur.patients.models import Patient
from spreekuur.results import capabilities
from spreekuur.results.models import LabMessage, MessageStatus
from spreekuur.results.parsers import PARSERS, Unreadable
from spreekuur.results.services.imports import store_report
from spreekuur.results.table import TestTable


def _locked(message: LabMessage, by: User) -> LabMessage:
    membership = active_membership(by)
    if (
        not capabilities.can_handle_lab_messages(by)
        or membership is None
        or membership.practice_id != message.practice_id
    ):
        raise PermissionDenied
    return (
        LabMessage.objects.select_for_update(no_key=True, of=("self",))
        .select_related("practice", "patient")
        .get(pk=message.pk)
    )


def _log(message: LabMessage, by: User, detail: str, *, patient: Patient | None) -> None:
    record_access(
        actor=by,
        action=AuditAction.CHANGE,
        object_kind="labmessage",
        practice=message.practice,
        patient=patient,
        object_ids=[message.public_id],
        detail=detail,
    )


def _reprocess(message: LabMessage, *, patient: Patient | None, by: User) -> int:
    try:
        parsed = PARSERS[message.door](message.raw.encode("utf-8"))
        [report] = parsed.reports  # the stored raw is this patient's part only
    except (Unreadable, ValueError) as error:
        raise BusinessRuleError(_("Het bericht is niet opnieuw te lezen.")) from error
    return store_report(
        message,
        report,
        parsed=parsed,
        table=TestTable.load(),
        by=by,
        channel=Channel.STAFF,
        patient=patient,
    )


@transaction.atomic
def link_lab_message(*, message: LabMessage, patient: Patient, by: User) -> int:
    """Store an unmatched report's results with the patient the assistant chose."""
    message = _locked(message, by)
    if not message.is_unmatched:
        raise BusinessRuleError(_("Dit bericht is al aan een patiënt gekoppeld."))
    if patient.practice_id != message.practice_id:
        raise PermissionDenied
    stored = _reprocess(message, patient=patient, by=by)
    _log(message, by, "gekoppeld aan patiënt", patient=patient)
    return stored


@transaction.atomic
def retry_lab_message(*, message: LabMessage, by: User) -> int:
    """Read a partly used report again, e.g. after the test table gained a test; results
    already stored are recognised and not stored twice."""
    message = _locked(message, by)
    if not message.is_partial or message.patient is None:
        raise BusinessRuleError(_("Alleen een gedeeltelijk verwerkt bericht kan opnieuw."))
    stored = _reprocess(message, patient=message.patient, by=by)
    _log(message, by, "opnieuw verwerkt", patient=message.patient)
    return stored


@transaction.atomic
def close_lab_message(*, message: LabMessage, note: str, by: User) -> LabMessage:
    """Close a message that needs nothing more, with what was done (e.g. "lab belt terug")."""
    message = _locked(message, by)
    note = note.strip()
    if not message.is_open:
        raise BusinessRuleError(_("Dit bericht is al afgehandeld."))
    if not note or len(note) > 300:
        raise BusinessRuleError(
            _("Schrijf in hooguit 300 tekens wat er met het bericht is gedaan.")
        )
    message.status = MessageStatus.HANDLED
    message.handled_by = by
    message.handled_at = timezone.now()
    message.handled_note = note
    message.save(update_fields=["status", "handled_by", "handled_at", "handled_note"])
    _log(message, by, "afgehandeld", patient=message.patient)
    return message
