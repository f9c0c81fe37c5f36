"""The shell's writes: reading and searching the audit log (itself logged), and sending
the notification outbox (core.outbox) with retries."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core import mail
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from spreekuur.accounts import capabilities
from spreekuur.accounts.models import User
from spreekuur.accounts.selectors import practice_of
from spreekuur.core.audit import record_access
from spreekuur.core.delivery import claim_due
from spreekuur.core.exceptions import BusinessRuleError, PermissionDenied
from spreekuur.core.models import (
    AuditAction,
    Notification,
    NotificationChannel,
    NotificationStatus,
    Practice,
)
from spreekuur.core.outbox import next_attempt_after
from spreekuur.core.sms import send_text
from spreekuur.patients.models import Patient

logger = logging.getLogger(__name__)


def record_audit_log_read(
    *, patient: Patient, by: User, actor_role: str | None = None, detail: str = ""
) -> None:
    """Reading "wie heeft mijn dossier bekeken" is itself an access to the record."""
    record_access(
        actor=by,
        action=AuditAction.READ,
        object_kind="audit_log",
        practice=patient.practice,
        patient=patient,
        object_ids=[patient.public_id],
        actor_role=actor_role,
        detail=detail,
    )


def record_audit_log_search(*, practice: Practice, patient: Patient | None, by: User) -> None:
    if not capabilities.can_search_audit_log(by) or practice_of(by) != practice:
        raise PermissionDenied
    record_access(
        actor=by,
        action=AuditAction.SEARCH,
        object_kind="audit_log",
        practice=practice,
        patient=patient,
    )


def record_audit_log_patient_search(
    *, practice: Practice, shown: Sequence[Patient], by: User
) -> None:
    """Finding a patient for the log shows names and dates of birth: an access to those
    patients' data, logged naming each one shown (not the question asked: no BSN or name
    goes into the log)."""
    if not capabilities.can_search_audit_log(by) or practice_of(by) != practice:
        raise PermissionDenied
    record_access(
        actor=by,
        action=AuditAction.SEARCH,
        object_kind="patient",
        practice=practice,
        object_ids=[patient.public_id for patient in shown],
        detail=f"patiënt zoeken voor het logboek: {len(shown)} getoond",
    )


# A claimed message is left alone this long; a worker that died while sending it gives
# it back by simply not finishing (it is then sent again: at least once, never lost).
CLAIM_LEASE = timedelta(minutes=10)


@dataclass(frozen=True)
class DeliveryReport:
    sent: int
    retrying: int
    failed: int


def deliver_due_notifications(*, now: datetime | None = None, batch: int = 100) -> DeliveryReport:
    """Send what is due; a failure is tried again later (core.outbox.RETRY_AFTER) and,
    after the last attempt, left FAILED for the practice. Runs in any number of workers."""
    sent = retrying = failed = 0
    while True:
        moment = now or timezone.now()
        claim = claim_due(
            Notification,
            pending=Q(status=NotificationStatus.PENDING),
            now=moment,
            lease=CLAIM_LEASE,
            limit=batch,
        )
        due = list(Notification.objects.filter(pk__in=claim.ids).order_by("id"))
        if not due:
            return DeliveryReport(sent, retrying, failed)
        connection = mail.get_connection()  # opened at the first mail of the batch, if any
        try:
            for message in due:
                try:
                    _send(message, connection)
                except Exception as error:  # any failure of a mail server or gateway
                    connection.close()  # a refused conversation may leave it half-open
                    gave_up = _note_failure(message, error, moment)
                    failed += gave_up
                    retrying += not gave_up
                else:
                    # A sent message keeps no body: a password link or a text has no use
                    # once delivered, and what is not kept cannot leak.
                    Notification.objects.filter(pk=message.pk).update(
                        status=NotificationStatus.SENT,
                        sent_at=timezone.now(),
                        last_error="",
                        body="",
                    )
                    sent += 1
        finally:
            connection.close()
        if len(claim.ids) < batch:
            return DeliveryReport(sent, retrying, failed)


def _send(message: Notification, connection: BaseEmailBackend) -> None:
    if message.channel == NotificationChannel.SMS:
        send_text(message.recipient, message.body)
        return
    connection.open()  # once per batch: a no-op while the connection is open
    email = EmailMessage(message.subject, message.body, None, [message.recipient])
    if connection.send_messages([email]) != 1:
        raise NotificationNotAccepted


class NotificationNotAccepted(Exception):
    """The mail backend took the message but reported it as not sent."""


def _note_failure(message: Notification, error: Exception, moment: datetime) -> bool:
    """Record the failed attempt; True when it was the last one (the message is FAILED)."""
    retry_at = next_attempt_after(message.attempts, moment)
    kind = type(error).__name__[:100]
    # Only the kind of failure: a server's reply may quote the address or the text.
    logger.warning(
        "Notification %s attempt %d failed: %s", message.public_id, message.attempts, kind
    )
    if retry_at is None:
        Notification.objects.filter(pk=message.pk).update(
            status=NotificationStatus.FAILED, last_error=kind
        )
        logger.error(
            "Notification %s not sent after %d attempts", message.public_id, message.attempts
        )
        return True
    Notification.objects.filter(pk=message.pk).update(next_attempt_at=retry_at, last_error=kind)
    return False


@transaction.atomic
def retry_notification(*, notification: Notification, by: User) -> Notification:
    """Staff send a failed message once more (after fixing an address, or once the mail
    server is back): it starts a new round of attempts."""
    if not capabilities.can_follow_notifications(by) or practice_of(by) != notification.practice:
        raise PermissionDenied
    if notification.status != NotificationStatus.FAILED:
        raise BusinessRuleError(_("Dit bericht wacht al op verzending of is verzonden."))
    notification.status = NotificationStatus.PENDING
    notification.attempts = 0
    notification.next_attempt_at = timezone.now()
    notification.save(update_fields=["status", "attempts", "next_attempt_at"])
    record_access(
        actor=by,
        action=AuditAction.CHANGE,
        object_kind="notification",
        practice=notification.practice,
        object_ids=[notification.public_id],
        detail="opnieuw verzenden",
    )
    return notification
