"""The telephony platform's door: signed (Standard Webhooks), each event once, and a
refused request stores nothing at all."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from spreekuur.core.models import AuditEntry
from spreekuur.telephony.models import CallbackRequest, CallEvent
from spreekuur.telephony.services import renew_link_secret, set_link_active
from tests.factories import PatientFactory
from tests.telephony.conftest import event, minutes_ago, signed_headers

pytestmark = pytest.mark.django_db


def _call(call_id: str = "c1") -> list[dict[str, Any]]:
    return [
        event("incoming", call_id, minutes_ago(5)),
        event("queued", call_id, minutes_ago(4.9), menu_choice=4),
        event("answered", call_id, minutes_ago(3)),
        event("ended", call_id, minutes_ago(1)),
    ]


def test_signed_events_are_stored_for_the_links_practice(post_events, link_and_secret, cast):
    response = post_events({"events": _call()})
    assert response.status_code == 200, response.content
    assert response.json() == {
        "status": "ontvangen",
        "accepted": 4,
        "duplicates": 0,
        "callbacks": 0,
        "conflicts": 0,
    }
    stored = CallEvent.objects.filter(practice=cast.practice_a, call_id="c1")
    assert sorted(stored.values_list("kind", flat=True)) == [
        "answered",
        "ended",
        "incoming",
        "queued",
    ]
    assert stored.get(kind="queued").menu_choice == 4
    assert not CallEvent.objects.filter(practice=cast.practice_b).exists()


def test_a_single_event_without_a_list_is_taken_too(post_events):
    response = post_events(event("incoming", "solo"))
    assert response.status_code == 200
    assert CallEvent.objects.filter(call_id="solo").count() == 1


def test_the_same_event_id_twice_changes_nothing(post_events):
    events = _call()
    assert post_events({"events": events}).json()["accepted"] == 4
    again = post_events({"events": events})  # a new signature and timestamp: a retry
    assert again.status_code == 200
    assert again.json()["accepted"] == 0
    assert again.json()["duplicates"] == 4
    assert CallEvent.objects.count() == 4
    # Within one request too.
    twice = event("incoming", "c2")
    assert post_events({"events": [twice, twice]}).json() == {
        "status": "ontvangen",
        "accepted": 1,
        "duplicates": 1,
        "callbacks": 0,
        "conflicts": 0,
    }


def test_an_event_id_reused_for_other_content_is_counted_not_stored(post_events):
    first = event("incoming", "c1")
    post_events({"events": [first]})
    changed = {**first, "type": "answered", "call_id": "c2"}
    answer = post_events({"events": [changed]}).json()
    assert (answer["accepted"], answer["duplicates"], answer["conflicts"]) == (0, 0, 1)
    assert CallEvent.objects.get().kind == "incoming"


def test_a_replayed_request_within_five_minutes_changes_nothing(link_and_secret, cast):
    link, secret = link_and_secret
    body = json.dumps({"events": [event("callback_requested", "c9", number="0612345678")]}).encode()
    headers = signed_headers(secret, body)
    url = reverse("telephony:events", args=[link.public_id])
    first = Client().post(url, data=body, content_type="application/json", **headers)
    replay = Client().post(url, data=body, content_type="application/json", **headers)
    assert first.json()["accepted"] == 1
    assert replay.status_code == 200
    assert replay.json()["accepted"] == 0
    assert CallEvent.objects.count() == 1
    assert CallbackRequest.objects.count() == 1


def test_a_replayed_request_after_five_minutes_is_refused(post_events):
    response = post_events({"events": _call()}, when=timezone.now() - timedelta(minutes=6))
    assert response.status_code == 401
    assert response.json()["code"] == "timestamp"
    assert "5 minuten" in response.json()["melding"]
    assert "5 minutes" in response.json()["message"]
    assert not CallEvent.objects.exists()


def test_a_timestamp_from_the_future_is_refused(post_events):
    response = post_events({"events": _call()}, when=timezone.now() + timedelta(minutes=6))
    assert response.status_code == 401
    assert not CallEvent.objects.exists()


def test_unsigned_requests_are_refused(post_events):
    response = post_events({"events": _call()}, headers={})
    assert response.status_code == 401
    assert response.json()["code"] == "headers"
    assert not CallEvent.objects.exists()


def test_a_wrong_secret_is_refused(post_events):
    forged = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODk="
    response = post_events({"events": _call()}, secret_to_use=forged)
    assert response.status_code == 401
    assert response.json()["code"] == "signature"
    assert not CallEvent.objects.exists()


def test_a_body_changed_after_signing_is_refused(link_and_secret):
    link, secret = link_and_secret
    body = json.dumps({"events": _call()}).encode()
    headers = signed_headers(secret, body)
    tampered = body.replace(b'"c1"', b'"c6"')
    response = Client().post(
        reverse("telephony:events", args=[link.public_id]),
        data=tampered,
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 401
    assert not CallEvent.objects.exists()


def test_a_renewed_secret_ends_the_old_one(post_events, link_and_secret, cast):
    link, old = link_and_secret
    new = renew_link_secret(link=link, by=cast.manager_a)
    assert new != old
    assert post_events({"events": _call()}).status_code == 401  # signed with the old one
    assert post_events({"events": _call()}, secret_to_use=new).status_code == 200


def test_a_switched_off_or_unknown_link_is_refused(post_events, link_and_secret, cast):
    link, _secret = link_and_secret
    set_link_active(link=link, active=False, by=cast.manager_a)
    response = post_events({"events": _call()})
    assert response.status_code == 401
    assert response.json()["code"] == "link"
    unknown = Client().post(
        reverse("telephony:events", args=["6b1b7a7e-0000-4000-8000-000000000000"]),
        data=b"{}",
        content_type="application/json",
    )
    assert unknown.status_code == 401
    assert not CallEvent.objects.exists()


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (b"{not json", None),
        (b"[1, 2]", "het bericht"),
        (json.dumps({"events": []}).encode(), "events"),
        (json.dumps({"events": [{"type": "incoming"}]}).encode(), "events.0.id"),
    ],
)
def test_a_malformed_body_is_refused_with_a_clear_error(post_events, body, where):
    response = post_events(body)
    assert response.status_code == 400
    answer = response.json()
    assert answer["status"] == "geweigerd"
    assert answer["melding"] and answer["message"]
    if where:
        assert any(problem.startswith(where) for problem in answer["problemen"])
    assert not CallEvent.objects.exists()


def test_one_bad_event_refuses_the_whole_request(post_events):
    events = _call()
    events[2]["at"] = "gisteren"
    events.append(event("callback_requested", "c1"))  # without a number
    response = post_events({"events": events})
    assert response.status_code == 400
    problems = response.json()["problemen"]
    assert any(p.startswith("events.2.at") for p in problems)
    assert any("telefoonnummer" in p for p in problems)
    assert any("phone number" in p for p in response.json()["problems"])
    assert not CallEvent.objects.exists()  # not even the three good ones


def test_times_without_a_zone_or_far_off_and_odd_numbers_are_refused(post_events):
    naive = event("incoming", "c1")
    naive["at"] = "2026-12-05T10:00:00"
    future = event("incoming", "c2", timezone.now() + timedelta(hours=1))
    number = event("callback_requested", "c3", number="bel me maar")
    for bad in (naive, future, number):
        assert post_events({"events": [bad]}).status_code == 400
    assert not CallEvent.objects.exists()


def test_the_input_is_never_echoed(post_events):
    bad = event("incoming", "c1")
    bad["at"] = "<script>alert(1)</script>"
    response = post_events({"events": [bad]})
    assert response.status_code == 400
    assert b"script" not in response.content


def test_a_large_body_or_a_wrong_media_type_is_refused(post_events):
    huge = json.dumps({"events": [event("incoming", "c1", pad="x" * 600_000)]}).encode()
    assert post_events(huge).status_code == 413
    assert post_events({"events": _call()}, content_type="text/plain").status_code == 415
    assert not CallEvent.objects.exists()


def test_only_post(link_and_secret):
    link, _secret = link_and_secret
    assert Client().get(reverse("telephony:events", args=[link.public_id])).status_code == 405


def test_a_callback_request_finds_the_patient_by_number(post_events, cast):
    patient = PatientFactory(practice=cast.practice_a, phone="06-1234 5678")
    PatientFactory(practice=cast.practice_b, phone="0612345678")  # another practice's
    response = post_events(
        {"events": [event("callback_requested", "c1", minutes_ago(1), number="+31612345678")]}
    )
    assert response.json()["callbacks"] == 1
    callback = CallbackRequest.objects.get()
    assert callback.practice == cast.practice_a
    assert callback.patient == patient
    assert callback.number == "+31612345678"
    entry = AuditEntry.objects.filter(object_kind="callback_request").get()
    assert entry.patient_id == patient.pk
    assert entry.actor_name == "Centrale"
    assert entry.actor_role == "telefonie"


def test_a_shared_number_names_no_one(post_events, cast):
    PatientFactory(practice=cast.practice_a, phone="030 123 4567")
    PatientFactory(practice=cast.practice_a, phone="(030) 1234567")
    post_events({"events": [event("callback_requested", "c1", number="0301234567")]})
    callback = CallbackRequest.objects.get()
    assert callback.patient is None
    assert callback.match_count == 2
    assert not AuditEntry.objects.filter(object_kind="callback_request").exists()


def test_one_open_callback_per_call_and_a_new_one_after_it_closed(post_events, cast):
    post_events({"events": [event("callback_requested", "c1", number="0612345678")]})
    post_events({"events": [event("callback_requested", "c1", number="0612345678")]})
    assert CallbackRequest.objects.count() == 1
    first = CallbackRequest.objects.get()
    from spreekuur.telephony.services import record_attempt

    record_attempt(callback=first, outcome="gesproken", by=cast.assistant_a)
    # The platform uses the call id again (a new day): the caller is not lost.
    answer = post_events({"events": [event("callback_requested", "c1", number="0612345678")]})
    assert answer.json()["callbacks"] == 1
    assert CallbackRequest.objects.filter(status="wachtend").count() == 1


def test_many_callbacks_in_one_message_are_matched_in_one_go(post_events, cast):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for n in range(30):
        PatientFactory(practice=cast.practice_a, phone=f"06-1234 56{n:02d}")
    asked = [event("callback_requested", f"k{n}", number=f"+3161234 56{n:02d}") for n in range(30)]
    with CaptureQueriesContext(connection) as queries:
        answer = post_events({"events": asked})
    assert answer.json()["callbacks"] == 30
    assert CallbackRequest.objects.filter(patient__isnull=False).count() == 30
    assert AuditEntry.objects.filter(object_kind="callback_request").count() == 30
    # One lookup of the patients, one of the open requests, one insert (and savepoint)
    # per request, one batch of log lines: not a lookup per number.
    patient_lookups = [q for q in queries.captured_queries if "patients_patient" in q["sql"]]
    assert len([q for q in patient_lookups if q["sql"].lstrip().upper().startswith("SELECT")]) <= 2
