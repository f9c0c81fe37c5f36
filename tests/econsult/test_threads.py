"""E-consults: asking behind the red-flag gate, the thread, the inbox, answering, the
declaration, and what the patient never sees."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from spreekuur.core.exceptions import BusinessRuleError, PermissionDenied
from spreekuur.core.models import AuditEntry
from spreekuur.core.working_days import working_day_deadline
from spreekuur.econsult import services
from spreekuur.econsult.models import ConsultCode, Declaration, Message, Photo, Thread
from spreekuur.triage.services import RedFlagRaised, TriageIncomplete
from tests.conftest import Cast, verified_client
from tests.econsult.conftest import image_bytes, upload

pytestmark = pytest.mark.django_db


def _ask(cast: Cast, calm: dict, **extra) -> Thread:
    values = {
        "patient": cast.patient_a,
        "category": "huid",
        "body": "Sinds een week een rode plek op mijn arm.",
        "triage_answers": calm,
        "consent": True,
        "by": cast.patient_user_a,
    } | extra
    return services.ask_question(**values)


def test_a_question_with_a_photo_gets_a_working_day_deadline(
    cast: Cast, calm, settings, tmp_path
) -> None:
    content = image_bytes(gps=True)
    thread = _ask(cast, calm, photos=[(upload(content), len(content))])
    assert thread.status == "open"
    assert thread.due_at == working_day_deadline(thread.created_at, 2)
    photo = Photo.objects.get()
    assert photo.stored_name.startswith("econsult/") and "foto" not in photo.stored_name
    entry = AuditEntry.objects.get(object_kind="econsult", action="create")
    assert entry.patient == cast.patient_a


def test_a_red_flag_stops_the_question(cast: Cast, calm) -> None:
    answers = dict(calm)
    answers[next(iter(answers))] = True
    with pytest.raises(RedFlagRaised):
        _ask(cast, answers)
    with pytest.raises(TriageIncomplete):
        _ask(cast, {})
    assert not Thread.objects.exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"consent": False}, "toestemming"),
        ({"body": "   "}, "Schrijf"),
        ({"body": "x" * 2001}, "2000"),
        ({"category": "spoed"}, "onderwerp"),
    ],
)
def test_bad_questions_are_refused(cast: Cast, calm, extra: dict, message: str) -> None:
    with pytest.raises(BusinessRuleError, match=message):
        _ask(cast, calm, **extra)


def test_a_refused_photo_stores_nothing(cast: Cast, calm) -> None:
    good, bad = image_bytes(), b"<html>nee</html>"
    with pytest.raises(BusinessRuleError):
        _ask(cast, calm, photos=[(upload(good), len(good)), (upload(bad), len(bad))])
    assert not Thread.objects.exists() and not Photo.objects.exists()


def test_a_failure_after_storing_removes_the_photo_again(
    cast: Cast, calm, monkeypatch, tmp_path, settings
) -> None:
    from spreekuur.econsult import services as module

    def fail(*args, **kwargs):
        raise RuntimeError("audit down")

    monkeypatch.setattr(module, "record_access", fail)
    content = image_bytes()
    with pytest.raises(RuntimeError):
        _ask(cast, calm, photos=[(upload(content), len(content))])
    assert not Thread.objects.exists()
    assert not any((settings.MEDIA_ROOT / "econsult").glob("*"))  # stored, then removed again


def test_the_practice_limits_open_questions(cast: Cast, calm) -> None:
    from spreekuur.econsult.models import EConsultSettings

    EConsultSettings.objects.create(practice=cast.practice_a, max_open_per_patient=1)
    _ask(cast, calm)
    with pytest.raises(BusinessRuleError, match="open vragen"):
        _ask(cast, calm)


def test_only_the_patient_or_who_acts_for_them_may_ask(cast: Cast, calm) -> None:
    for user in (cast.patient_user_b, cast.gp_a, cast.other_patient_a.user or cast.assistant_a):
        with pytest.raises(PermissionDenied):
            _ask(cast, calm, by=user)


def test_answering_declares_once_and_notifies_without_content(cast: Cast, calm, mailoutbox) -> None:
    from django.test import TestCase

    ConsultCode.objects.create(
        practice=cast.practice_a,
        year=timezone.localdate().year,
        code="12007",
        description="E-consult",
        tariff=Decimal("9.51"),
    )
    user = cast.patient_user_a
    user.email_confirmed_at = timezone.now()
    user.save()
    thread = _ask(cast, calm)
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.answer_thread(thread=thread, body="Smeer een vette crème.", by=cast.gp_a)
    services.answer_thread(thread=thread, body="Nog iets.", by=cast.gp_a)
    declaration = Declaration.objects.get()
    assert declaration.code == "12007" and declaration.tariff == Decimal("9.51")
    [mail] = mailoutbox
    assert "crème" not in mail.body and "plek" not in mail.body


@pytest.mark.parametrize("role", ["manager_a", "gp_b", "patient_user_a"])
def test_only_care_staff_of_the_practice_answer(cast: Cast, calm, role: str) -> None:
    thread = _ask(cast, calm)
    with pytest.raises(PermissionDenied):
        services.answer_thread(thread=thread, body="Antwoord", by=getattr(cast, role))


def test_internal_notes_never_reach_the_portal(cast: Cast, calm) -> None:
    thread = _ask(cast, calm)
    services.add_internal_note(thread=thread, body="GEHEIM: bel de POH even", by=cast.assistant_a)
    services.answer_thread(thread=thread, body="Graag een afspraak.", by=cast.gp_a)
    client = verified_client(cast.patient_user_a)
    page = client.get(reverse("econsult:my_thread", args=[thread.public_id])).content.decode()
    assert "Graag een afspraak." in page and "GEHEIM" not in page
    listing = client.get(reverse("econsult:my_questions")).content.decode()
    assert "GEHEIM" not in listing
    staff = verified_client(cast.gp_a).get(
        reverse("econsult:staff_thread", args=[thread.public_id])
    )
    assert "GEHEIM" in staff.content.decode()


def test_a_patient_sees_only_their_own_threads(cast: Cast, calm) -> None:
    thread = _ask(cast, calm)
    other = verified_client(cast.patient_user_b)
    assert other.get(reverse("econsult:my_thread", args=[thread.public_id])).status_code == 404
    staff_b = verified_client(cast.gp_b)
    assert staff_b.get(reverse("econsult:staff_thread", args=[thread.public_id])).status_code == 404


def test_photos_are_served_only_through_the_check(cast: Cast, calm, settings, tmp_path) -> None:
    content = image_bytes()
    _ask(cast, calm, photos=[(upload(content), len(content))])
    photo = Photo.objects.get()
    url = reverse("econsult:photo", args=[photo.public_id])
    mine = verified_client(cast.patient_user_a).get(url)
    assert mine.status_code == 200 and mine["Content-Type"] == "image/jpeg"
    assert mine["X-Content-Type-Options"] == "nosniff" and "inline" in mine["Content-Disposition"]
    assert verified_client(cast.patient_user_b).get(url).status_code == 404
    assert verified_client(cast.gp_b).get(url).status_code == 404
    assert verified_client(cast.gp_a).get(url).status_code == 200
    assert photo.stored_name not in url


def test_the_patient_replies_at_most_twice(cast: Cast, calm) -> None:
    thread = _ask(cast, calm)
    services.answer_thread(thread=thread, body="Hoe lang al?", by=cast.gp_a)
    services.reply_as_patient(thread=thread, body="Een week.", by=cast.patient_user_a)
    services.reply_as_patient(thread=thread, body="En het jeukt.", by=cast.patient_user_a)
    with pytest.raises(BusinessRuleError, match="twee keer"):
        services.reply_as_patient(thread=thread, body="Nog iets", by=cast.patient_user_a)
    thread.refresh_from_db()
    assert thread.status == "open"


def test_the_inbox_orders_by_deadline_and_flags_overdue(cast: Cast, calm) -> None:
    late = _ask(cast, calm)
    Thread.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(hours=2))
    page = verified_client(cast.assistant_a).get(reverse("econsult:inbox")).content.decode()
    assert "over tijd" in page and "1 open, waarvan 1 over tijd" in page


def test_the_staff_page_answers_with_a_template(cast: Cast, calm) -> None:
    thread = _ask(cast, calm)
    from spreekuur.econsult.forms import ANSWER_TEMPLATES

    response = verified_client(cast.gp_a).post(
        reverse("econsult:staff_thread", args=[thread.public_id]),
        {"actie": "antwoorden", "template": str(ANSWER_TEMPLATES[1]), "body": ""},
    )
    assert response.status_code == 302
    assert Message.objects.filter(thread=thread, from_patient=False).count() == 1


def test_an_oversized_request_is_refused_before_the_body_is_read(cast: Cast) -> None:
    client = verified_client(cast.patient_user_a)
    response = client.post(
        reverse("econsult:ask"),
        data=b"x",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(40 * 1024 * 1024),
    )
    assert response.status_code == 413 and "niets opgeslagen" in response.content.decode()


def test_an_unread_answer_is_reminded_once_after_three_days(cast: Cast, calm, mailoutbox) -> None:
    from spreekuur.econsult.tasks import remind_unread_answers

    user = cast.patient_user_a
    user.email_confirmed_at = timezone.now()
    user.save()
    thread = _ask(cast, calm)
    services.answer_thread(thread=thread, body="Antwoord", by=cast.gp_a)
    later = timezone.now() + timedelta(days=3, minutes=1)
    assert remind_unread_answers(now=timezone.now()) == 0  # not yet
    assert remind_unread_answers(now=later) == 1
    assert remind_unread_answers(now=later) == 0  # once
    read = _ask(cast, calm)
    services.answer_thread(thread=read, body="Antwoord", by=cast.gp_a)
    verified_client(cast.patient_user_a).get(reverse("econsult:my_thread", args=[read.public_id]))
    assert remind_unread_answers(now=later) == 0  # read in time: nothing


# --- Found in the security review ----------------------------------------------------------


def test_a_huge_body_is_refused_before_anything_reads_it(cast: Cast, settings) -> None:
    from django.test import Client

    settings.MAX_REQUEST_BYTES = 1024
    client = Client(enforce_csrf_checks=True)  # the CSRF check would read the body
    response = client.generic(
        "POST", reverse("econsult:ask"), b"x" * 2048, content_type="application/octet-stream"
    )
    assert response.status_code == 413


def test_reopening_an_answered_question_counts_against_the_limit(cast: Cast, calm) -> None:
    from spreekuur.econsult.models import EConsultSettings

    EConsultSettings.objects.create(practice=cast.practice_a, max_open_per_patient=1)
    first = _ask(cast, calm)
    services.answer_thread(thread=first, body="Antwoord", by=cast.gp_a)
    _ask(cast, calm)  # the one open question
    with pytest.raises(BusinessRuleError, match="open vragen"):
        services.reply_as_patient(thread=first, body="Nog een vraag", by=cast.patient_user_a)


def test_a_reply_to_a_waiting_question_keeps_its_deadline(cast: Cast, calm) -> None:
    thread = _ask(cast, calm)
    Thread.objects.filter(pk=thread.pk).update(due_at=timezone.now() - timedelta(hours=1))
    services.reply_as_patient(thread=thread, body="Nog iets", by=cast.patient_user_a)
    thread.refresh_from_db()
    assert thread.due_at < timezone.now()  # still "over tijd"


def test_a_guessed_thread_is_logged(cast: Cast, calm) -> None:
    thread = _ask(cast, calm)
    verified_client(cast.patient_user_b).get(reverse("econsult:my_thread", args=[thread.public_id]))
    assert AuditEntry.objects.filter(outcome="denied", object_kind="econsult").exists()
