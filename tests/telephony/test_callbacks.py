"""The callback queue: claim, try, done; nobody lost when two assistants click at once."""

from __future__ import annotations

import threading

import pytest
from django.db import close_old_connections, connection
from django.urls import reverse
from django.utils import timezone

from spreekuur.core.exceptions import BusinessRuleError, PermissionDenied
from spreekuur.core.models import AuditEntry
from spreekuur.telephony.models import CallbackRequest, CallbackStatus
from spreekuur.telephony.services import (
    claim_callback,
    erase_old_numbers,
    record_attempt,
    release_callback,
    release_stale_claims,
)
from tests.conftest import verified_client
from tests.factories import MembershipFactory, PatientFactory


def _callback(practice, *, patient=None, call_id="c1", minutes_ago=5):
    return CallbackRequest.objects.create(
        practice=practice,
        call_id=call_id,
        number="+31612345678",
        requested_at=timezone.now() - timezone.timedelta(minutes=minutes_ago),
        patient=patient,
        match_count=1 if patient else 0,
    )


@pytest.mark.django_db
def test_claim_then_a_colleague_is_told_who_has_it(cast):
    callback = _callback(cast.practice_a)
    claim_callback(callback=callback, by=cast.assistant_a)
    with pytest.raises(BusinessRuleError, match="Assistent A"):
        claim_callback(callback=callback, by=cast.gp_a)
    callback.refresh_from_db()
    assert callback.status == CallbackStatus.CLAIMED
    assert callback.claimed_by == cast.assistant_a


@pytest.mark.django_db
def test_no_answer_puts_the_caller_back_until_the_last_try(cast):
    callback = _callback(cast.practice_a)
    claim_callback(callback=callback, by=cast.assistant_a)
    assert record_attempt(callback=callback, outcome="geen_gehoor", by=cast.assistant_a) == (
        CallbackStatus.WAITING
    )
    callback.refresh_from_db()
    assert (callback.attempts, callback.claimed_by) == (1, None)
    # A waiting caller may be tried straight away by anyone.
    assert record_attempt(callback=callback, outcome="voicemail", by=cast.gp_a) == "wachtend"
    assert record_attempt(callback=callback, outcome="bezet", by=cast.assistant_a) == "niet_bereikt"
    callback.refresh_from_db()
    assert callback.attempts == 3
    assert callback.closed_at is not None
    assert callback.tries.count() == 3
    with pytest.raises(BusinessRuleError):
        claim_callback(callback=callback, by=cast.assistant_a)


@pytest.mark.django_db
def test_spoken_closes_and_only_the_holder_may_try(cast):
    callback = _callback(cast.practice_a)
    claim_callback(callback=callback, by=cast.assistant_a)
    with pytest.raises(BusinessRuleError, match="collega"):
        record_attempt(callback=callback, outcome="gesproken", by=cast.poh_a)
    assert record_attempt(callback=callback, outcome="gesproken", by=cast.assistant_a) == "afgerond"
    callback.refresh_from_db()
    assert callback.closed_by == cast.assistant_a
    with pytest.raises(BusinessRuleError):
        record_attempt(callback=callback, outcome="gesproken", by=cast.assistant_a)


@pytest.mark.django_db
def test_an_odd_outcome_is_refused(cast):
    callback = _callback(cast.practice_a)
    with pytest.raises(BusinessRuleError):
        record_attempt(callback=callback, outcome="ontploft", by=cast.assistant_a)
    assert not callback.tries.exists()


@pytest.mark.django_db
def test_release_returns_a_claim_to_the_queue(cast):
    callback = _callback(cast.practice_a)
    claim_callback(callback=callback, by=cast.assistant_a)
    release_callback(callback=callback, by=cast.gp_a)  # she went home
    callback.refresh_from_db()
    assert callback.status == CallbackStatus.WAITING
    with pytest.raises(BusinessRuleError):
        release_callback(callback=callback, by=cast.gp_a)


@pytest.mark.django_db
def test_the_manager_does_not_work_the_queue(cast):
    callback = _callback(cast.practice_a)
    with pytest.raises(PermissionDenied):
        claim_callback(callback=callback, by=cast.manager_a)


@pytest.mark.django_db
def test_stale_claims_return_and_old_numbers_are_erased(cast):
    stale = _callback(cast.practice_a, call_id="s")
    claim_callback(callback=stale, by=cast.assistant_a)
    CallbackRequest.objects.filter(pk=stale.pk).update(
        claimed_at=timezone.now() - timezone.timedelta(minutes=30)
    )
    fresh = _callback(cast.practice_a, call_id="f")
    claim_callback(callback=fresh, by=cast.gp_a)
    assert release_stale_claims() == 1
    old = _callback(cast.practice_a, call_id="o")
    record_attempt(callback=old, outcome="gesproken", by=cast.assistant_a)
    CallbackRequest.objects.filter(pk=old.pk).update(
        closed_at=timezone.now() - timezone.timedelta(days=31)
    )
    assert erase_old_numbers() == 1
    old.refresh_from_db()
    assert old.number == ""


def _needs_postgres() -> None:
    if connection.vendor != "postgresql":  # SQLite locks the whole file: no race to test
        pytest.skip("concurrency needs PostgreSQL")


@pytest.mark.django_db
def test_a_request_open_for_days_closes_and_an_old_one_forgets_its_patient(cast):
    from spreekuur.core.models import AuditEntry as Entry  # noqa: F401 - the log keeps who looked

    stuck = _callback(cast.practice_a, call_id="stuck", minutes_ago=4 * 24 * 60)
    old = _callback(cast.practice_a, call_id="old", patient=cast.patient_a)
    record_attempt(callback=old, outcome="gesproken", by=cast.assistant_a)
    CallbackRequest.objects.filter(pk=old.pk).update(
        closed_at=timezone.now() - timezone.timedelta(days=400)
    )
    erase_old_numbers()
    stuck.refresh_from_db()
    old.refresh_from_db()
    assert stuck.status == CallbackStatus.UNREACHED and stuck.closed_at is not None
    assert old.patient is None and old.number == ""


@pytest.mark.django_db
def test_names_in_the_handled_list_are_logged_too(cast):
    patient = PatientFactory(practice=cast.practice_a, given_name="Henk", family_name="Klaar")
    done = _callback(cast.practice_a, call_id="done", patient=patient)
    record_attempt(callback=done, outcome="gesproken", by=cast.gp_a)
    page = verified_client(cast.assistant_a).get(reverse("telephony:callbacks"))
    assert "Henk Klaar" in page.content.decode()
    reads = AuditEntry.objects.filter(object_kind="callback_request", action="read")
    assert reads.filter(patient=patient, actor=cast.assistant_a).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_assistants_claiming_at_once_one_wins_and_the_caller_stays(cast):
    _needs_postgres()
    callback = _callback(cast.practice_a)
    second = MembershipFactory(practice=cast.practice_a, role="assistent").user
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def claim(user):
        try:
            barrier.wait()
            claim_callback(callback=callback, by=user)
            outcomes.append("won")
        except BusinessRuleError:
            outcomes.append("told")
        finally:
            close_old_connections()

    threads = [threading.Thread(target=claim, args=(u,)) for u in (cast.assistant_a, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["told", "won"]
    callback.refresh_from_db()
    assert callback.status == CallbackStatus.CLAIMED
    assert CallbackRequest.objects.filter(status__in=["wachtend", "opgepakt"]).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_tries_at_once_count_both_and_lose_nothing(cast):
    _needs_postgres()
    callback = _callback(cast.practice_a)
    barrier = threading.Barrier(2)

    def attempt(user):
        try:
            barrier.wait()
            record_attempt(callback=callback, outcome="geen_gehoor", by=user)
        except BusinessRuleError:
            pass
        finally:
            close_old_connections()

    threads = [threading.Thread(target=attempt, args=(u,)) for u in (cast.assistant_a, cast.gp_a)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    callback.refresh_from_db()
    assert callback.attempts == callback.tries.count() == 2
    assert callback.status == CallbackStatus.WAITING


# ---- the screen ----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_queue_names_a_known_caller_and_logs_it_once(cast):
    patient = PatientFactory(practice=cast.practice_a, given_name="Truus", family_name="Bel")
    _callback(cast.practice_a, patient=patient)
    _callback(cast.practice_a, call_id="c2")
    _callback(cast.practice_b, call_id="c3", patient=cast.patient_b)
    client = verified_client(cast.assistant_a)
    page = client.get(reverse("telephony:callbacks"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Truus Bel" in text
    assert "Onbekend nummer" in text
    assert "06 12345678" in text
    assert cast.patient_b.display_name not in text
    partial = client.get(reverse("telephony:callbacks"), headers={"HX-Request": "true"})
    assert "<html" not in partial.content.decode()
    reads = AuditEntry.objects.filter(object_kind="callback_request", action="read")
    assert reads.count() == 1  # shown twice, logged once
    assert reads.get().patient_id == patient.pk


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["manager_a", "patient_user_a", "gp_b"])
def test_others_do_not_see_the_queue(cast, role):
    patient = PatientFactory(practice=cast.practice_a, given_name="Truus", family_name="Bel")
    callback = _callback(cast.practice_a, patient=patient)
    client = verified_client(getattr(cast, role))
    page = client.get(reverse("telephony:callbacks"))
    # Another practice's GP has a queue of their own, without this caller.
    assert page.status_code in (403, 404) or "Truus" not in page.content.decode()
    response = client.post(
        reverse("telephony:callback_action", args=[callback.public_id]), {"actie": "oppakken"}
    )
    assert response.status_code in (403, 404)
    callback.refresh_from_db()
    assert callback.status == CallbackStatus.WAITING


@pytest.mark.django_db
def test_claim_and_try_through_the_screen(cast):
    callback = _callback(cast.practice_a)
    client = verified_client(cast.assistant_a)
    url = reverse("telephony:callback_action", args=[callback.public_id])
    response = client.post(url, {"actie": "oppakken"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "door u opgepakt" in response.content.decode()
    client.post(url, {"actie": "poging", "outcome": "gesproken"})
    callback.refresh_from_db()
    assert callback.status == CallbackStatus.DONE
    again = client.post(url, {"actie": "oppakken"}, follow=True)
    assert "wacht niet meer" in again.content.decode()
