"""The notification outbox: nothing is lost when the mail server or SMS gateway fails.
Mail goes to a real SMTP server on this machine (aiosmtpd) that refuses, then accepts."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from spreekuur.core import sms
from spreekuur.core.models import AuditEntry, Notification, NotificationStatus
from spreekuur.core.outbox import MAX_ATTEMPTS, RETRY_AFTER, queue_email, queue_sms
from spreekuur.patients.notices import notify_new_in_portal
from spreekuur.shell.services import deliver_due_notifications, retry_notification
from tests.conftest import Cast, verified_client


class FlakySmtp:
    """Answers 451 (try again later) to the first `refuse` messages, then 250."""

    def __init__(self, refuse: int) -> None:
        self.refuse = refuse
        self.received: list[bytes] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.refuse > 0:
            self.refuse -= 1
            return "451 4.3.0 Probeer het later nog eens"
        self.received.append(envelope.content)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp(settings) -> Iterator[FlakySmtp]:
    handler = FlakySmtp(refuse=2)
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = controller.hostname, controller.port
    settings.EMAIL_USE_TLS = False
    try:
        yield handler
    finally:
        controller.stop()


class FlakyGateway:
    failures = 0

    def send(self, to: str, text: str) -> None:
        if FlakyGateway.failures > 0:
            FlakyGateway.failures -= 1
            raise ConnectionError("gateway down for +31612345678")  # quotes the number
        sms.outbox.append(sms.SentSms(to, text))


def test_a_refusing_smtp_server_loses_no_mail_it_is_retried_then_sent(
    cast: Cast, smtp: FlakySmtp
) -> None:
    message = queue_email(practice=cast.practice_a, to="p@test.example", subject="Nieuw", body="B")
    now = timezone.now()
    report = deliver_due_notifications(now=now)
    assert (report.sent, report.retrying, report.failed) == (0, 1, 0)
    message.refresh_from_db()
    assert message.status == NotificationStatus.PENDING and message.attempts == 1
    assert message.last_error == "SMTPDataError"  # the kind, never the server's reply
    assert message.next_attempt_at == now + RETRY_AFTER[0]
    assert deliver_due_notifications(now=now + timedelta(seconds=30)).sent == 0  # not yet
    deliver_due_notifications(now=now + RETRY_AFTER[0])  # refused a second time
    message.refresh_from_db()
    report = deliver_due_notifications(now=message.next_attempt_at)
    assert report.sent == 1
    message.refresh_from_db()
    assert message.status == NotificationStatus.SENT and message.attempts == 3
    assert message.body == ""  # a sent message keeps no text
    assert len(smtp.received) == 1 and b"Subject: Nieuw" in smtp.received[0]


def test_a_message_that_keeps_failing_is_flagged_for_the_desk(
    cast: Cast, smtp: FlakySmtp, caplog
) -> None:
    smtp.refuse = 100
    queue_email(practice=cast.practice_a, to="p@test.example", subject="Nieuw", body="Geheim")
    moment = timezone.now()
    for _attempt in range(MAX_ATTEMPTS):
        deliver_due_notifications(now=moment)
        moment += timedelta(days=1)
    [message] = Notification.objects.all()
    assert message.status == NotificationStatus.FAILED and message.attempts == MAX_ATTEMPTS
    assert deliver_due_notifications(now=moment).failed == 0  # left alone once failed
    ours = " ".join(r.getMessage() for r in caplog.records if r.name.startswith("spreekuur"))
    assert "p@test.example" not in ours and "Geheim" not in ours
    page = verified_client(cast.assistant_a).get(reverse("shell:start")).content.decode()
    assert "1 e-mail of sms niet verzonden" in page
    listing = verified_client(cast.assistant_a).get(reverse("shell:failed_notifications"))
    assert "p@test.example" in listing.content.decode()
    # Once the server is back, the desk sends it again.
    smtp.refuse = 0
    response = verified_client(cast.assistant_a).post(
        reverse("shell:retry_notification", args=[message.public_id])
    )
    assert response.status_code == 302
    assert deliver_due_notifications().sent == 1
    assert AuditEntry.objects.filter(object_kind="notification").count() == 1


def test_a_failing_sms_gateway_is_retried_and_logs_no_number(cast: Cast, settings, caplog) -> None:
    settings.SMS_BACKEND = "tests.shell.test_outbox.FlakyGateway"
    sms.outbox.clear()
    FlakyGateway.failures = 1
    assert queue_sms(practice=cast.practice_a, phone="020 555 0101", text="x") is None  # landline
    queue_sms(practice=cast.practice_a, phone="06 1234 5678", text="Nieuw bericht")
    now = timezone.now()
    assert deliver_due_notifications(now=now).retrying == 1
    assert deliver_due_notifications(now=now + RETRY_AFTER[0]).sent == 1
    assert [m.to for m in sms.outbox] == ["+31612345678"]
    ours = " ".join(r.getMessage() for r in caplog.records if r.name.startswith("spreekuur"))
    assert "failed: ConnectionError" in ours
    assert "612345678" not in ours


def test_a_rolled_back_action_sends_nothing(cast: Cast) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        notify_new_in_portal(cast.patient_a)
        raise RuntimeError
    assert not Notification.objects.exists()


def test_staff_of_another_practice_or_the_wrong_role_cannot_resend(cast: Cast) -> None:
    from spreekuur.core.exceptions import PermissionDenied

    message = queue_email(practice=cast.practice_a, to="p@test.example", subject="s", body="b")
    Notification.objects.filter(pk=message.pk).update(status=NotificationStatus.FAILED)
    message.refresh_from_db()
    for outsider in (cast.manager_b, cast.gp_a, cast.patient_user_a):
        with pytest.raises(PermissionDenied):
            retry_notification(notification=message, by=outsider)
    response = verified_client(cast.manager_b).post(
        reverse("shell:retry_notification", args=[message.public_id])
    )
    assert response.status_code == 404


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_periodic_jobs_and_delivery_on_the_task_queue(settings, mailoutbox) -> None:
    from django_tasks_db.models import DBTaskResult

    from spreekuur.core.models import Practice

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    practice = Practice.objects.create(slug="werker", name="Praktijk Werker")
    queue_email(practice=practice, to="p@test.example", subject="Nieuw", body="B")
    assert DBTaskResult.objects.filter(task_path__endswith="deliver_notifications").exists()
    call_command("worker", "--once")
    assert len(mailoutbox) == 1
    assert Notification.objects.get().status == NotificationStatus.SENT
    paths = set(DBTaskResult.objects.values_list("task_path", flat=True))
    assert "spreekuur.shell.tasks.run_job" in paths
    assert not DBTaskResult.objects.exclude(status="SUCCESSFUL").exists()
