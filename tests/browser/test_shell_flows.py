"""The shell's own pages in a browser: the assistant's start page with its work queues,
and the list of e-mail and SMS that did not leave, with 'send again' (axe on each)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from spreekuur.core.models import Notification, NotificationStatus
from tests.browser.conftest import UI
from tests.factories import MembershipFactory, PracticeFactory

pytestmark = pytest.mark.browser


def test_the_assistant_sees_an_undelivered_mail_and_sends_it_again(
    ui: UI, transactional_db: None
) -> None:
    practice = PracticeFactory(slug="de-eik", name="Huisartsenpraktijk De Eik")
    assistant = MembershipFactory(practice=practice, role="assistent").user
    Notification.objects.create(
        practice=practice,
        channel="email",
        recipient="patient@test.example",
        subject="Nieuw bericht in het portaal",
        body="Er staat een nieuw bericht voor u in het patiëntenportaal.",
        status=NotificationStatus.FAILED,
        attempts=6,
        last_error="SMTPDataError",
        next_attempt_at=timezone.now(),
    )
    ui.log_in(assistant.email)
    ui.verify()
    page = ui.page
    queue = page.get_by_role("link", name="1 e-mail of sms niet verzonden")
    assert queue.is_visible()
    ui.screenshot("shell-start-assistant")
    ui.submit(queue)
    assert page.locator("td[data-label='Aan']").inner_text().strip() == "patient@test.example"
    ui.screenshot("shell-failed-notifications")
    ui.submit(page.get_by_role("button", name="Opnieuw verzenden"))
    assert page.get_by_text("Het bericht wordt opnieuw verzonden.").is_visible()
    assert page.get_by_text("Alle e-mails en sms'jes zijn verzonden.").is_visible()
