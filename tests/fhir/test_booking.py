"""eAfspraak through the FHIR API: free times as Slots, a booking as an Appointment that
carries the red-flag answers, cancelling by setting its status. Every rule of the
portal's booking holds, because the API calls the same service."""

from __future__ import annotations

import json
from datetime import time
from typing import Any

import pytest
from django.test import Client

from spreekuur.agenda.fhir import appointment_type_system
from spreekuur.agenda.models import Appointment, AppointmentStatus, BookingRules
from spreekuur.core.models import AuditEntry
from spreekuur.triage.fhir import red_flags_url
from spreekuur.triage.selectors import red_flags_for
from tests.agenda.conftest import Agenda, book_online, make_agenda
from tests.conftest import Cast
from tests.factories import PatientFactory, UserFactory
from tests.fhir.conftest import (
    FHIR,
    api,
    fhir_json,
    ids,
    patient_app,
    patient_token,
)

SCOPES = "launch/patient patient/Slot.rs patient/Schedule.rs patient/Appointment.crus patient/Questionnaire.rs"


@pytest.fixture
def agenda(cast: Cast) -> Agenda:
    """Practice A with appointment types and six free online slots of Dokter A."""
    return make_agenda(cast)


@pytest.fixture
def booking_token(agenda: Agenda) -> str:
    app = patient_app(agenda.cast.practice_a, name="Afspraken-app", scopes=SCOPES)
    token = patient_token(app, agenda.cast.patient_user_a, agenda.cast.patient_a, scope=SCOPES)
    return str(token["access_token"])


def _answers(agenda: Agenda, yes: str = "") -> dict[str, Any]:
    return {
        "resourceType": "QuestionnaireResponse",
        "id": "triage",
        "questionnaire": red_flags_url(),
        "status": "completed",
        "item": [
            {"linkId": flag.code, "answer": [{"valueBoolean": flag.code == yes}]}
            for flag in red_flags_for(agenda.cast.practice_a)
        ],
    }


def appointment(
    agenda: Agenda, slot: Any, *, yes: str = "", triage: bool = True, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "resourceType": "Appointment",
        "status": "booked",
        "serviceType": [
            {
                "coding": [
                    {
                        "system": appointment_type_system(),
                        "code": str(agenda.types["consult"].public_id),
                    }
                ]
            }
        ],
        "description": "Pijnlijke knie sinds een week",
        "slot": [{"reference": f"Slot/{slot.public_id}"}],
        "participant": [
            {
                "actor": {"reference": f"Patient/{agenda.cast.patient_a.public_id}"},
                "status": "accepted",
            }
        ],
    }
    if triage:
        body["contained"] = [_answers(agenda, yes)]
        body["supportingInformation"] = [{"reference": "#triage"}]
    body.update(extra)
    return body


def post(token: str, body: Any, path: str = "Appointment", content_type: str = FHIR) -> Any:
    return Client().post(
        f"/fhir/R4/{path}",
        json.dumps(body),
        content_type=content_type,
        HTTP_ACCEPT=FHIR,
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_free_online_slots_are_found_for_the_kind_of_appointment(agenda, booking_token) -> None:
    consult = agenda.types["consult"].public_id
    bundle = fhir_json(api(booking_token, "Slot", **{"service-type": str(consult)}))
    assert ids(bundle) == {str(slot.public_id) for slot in agenda.slots}
    schedules = fhir_json(api(booking_token, "Schedule"))
    assert ids(schedules) == {str(agenda.gp.public_id)}  # the POH offers nothing online


def test_a_slot_search_costs_the_same_queries_for_more_slots(agenda, booking_token) -> None:
    """No query per slot: six free times or twelve, the same count (the practitioner of
    each comes with the search)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import add_slots

    consult = str(agenda.types["consult"].public_id)

    def counted() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            found = len(ids(fhir_json(api(booking_token, "Slot", **{"service-type": consult}))))
        return found, len(queries)

    few, cost = counted()
    add_slots(agenda.gp, day=agenda.day, start=time(14), count=6)
    more, cost_more = counted()
    assert (few, more) == (6, 12)
    # (The first call may also note when the app was last used: at most one more.)
    assert cost_more <= cost


def test_the_red_flag_questions_are_a_questionnaire(agenda, booking_token) -> None:
    questionnaire = fhir_json(api(booking_token, "Questionnaire/rode-vlaggen"))
    codes = [item["linkId"] for item in questionnaire["item"]]
    assert codes == [flag.code for flag in red_flags_for(agenda.cast.practice_a)]
    assert {item["type"] for item in questionnaire["item"]} == {"boolean"}


def test_a_booking_through_the_api_is_an_online_booking(agenda, booking_token) -> None:
    answer = post(booking_token, appointment(agenda, agenda.slots[0]))
    created = fhir_json(answer, 201)
    assert created["status"] == "booked"
    assert answer["Location"].endswith(f"/Appointment/{created['id']}")
    booked = Appointment.objects.get(public_id=created["id"])
    assert booked.patient == agenda.cast.patient_a
    assert booked.channel == "online"
    assert booked.reason == "Pijnlijke knie sinds een week"
    assert {row["code"] for row in booked.triage_answers["asked"]} == {
        flag.code for flag in red_flags_for(agenda.cast.practice_a)
    }
    entry = AuditEntry.objects.filter(object_kind="appointment", action="create").get()
    assert entry.channel == "api" and entry.detail == "app: Afspraken-app"
    # It is the patient's appointment everywhere: in the API and in the portal.
    assert created["id"] in ids(fhir_json(api(booking_token, "Appointment")))


def test_a_red_flag_stops_the_booking_with_the_advice_to_call(agenda, booking_token) -> None:
    flag = red_flags_for(agenda.cast.practice_a)[0]
    answer = post(booking_token, appointment(agenda, agenda.slots[0], yes=flag.code))
    outcome = fhir_json(answer, 422)
    text = outcome["issue"][0]["details"]["text"]
    assert "112" in text or agenda.cast.practice_a.phone_urgent in text
    assert not Appointment.objects.exists()


def test_a_booking_without_the_red_flag_answers_is_refused(agenda, booking_token) -> None:
    outcome = fhir_json(
        post(booking_token, appointment(agenda, agenda.slots[0], triage=False)), 422
    )
    assert "spoed" in outcome["issue"][0]["details"]["text"]
    assert not Appointment.objects.exists()


def test_a_slot_cannot_be_booked_twice(agenda, booking_token) -> None:
    fhir_json(post(booking_token, appointment(agenda, agenda.slots[0])), 201)
    other = PatientFactory(practice=agenda.cast.practice_a, user=UserFactory())
    app = patient_app(agenda.cast.practice_a, name="Tweede app", scopes=SCOPES)
    token = patient_token(app, other.user, other, scope=SCOPES)["access_token"]
    body = appointment(agenda, agenda.slots[0])
    body["participant"][0]["actor"]["reference"] = f"Patient/{other.public_id}"
    answer = post(token, body)
    assert answer.status_code in (409, 422)
    fhir_json(answer, answer.status_code)
    assert Appointment.objects.count() == 1


def test_the_practices_limit_of_open_online_appointments_holds(agenda, booking_token) -> None:
    BookingRules.objects.update_or_create(
        practice=agenda.cast.practice_a, defaults={"max_open_online": 1}
    )
    fhir_json(post(booking_token, appointment(agenda, agenda.slots[0])), 201)
    outcome = fhir_json(post(booking_token, appointment(agenda, agenda.slots[2])), 422)
    assert "maximum" in outcome["issue"][0]["details"]["text"]
    assert Appointment.objects.count() == 1


def test_an_app_books_only_for_its_own_patient(agenda, booking_token) -> None:
    body = appointment(agenda, agenda.slots[0])
    body["participant"][0]["actor"]["reference"] = (
        f"Patient/{agenda.cast.other_patient_a.public_id}"
    )
    fhir_json(post(booking_token, body), 422)
    assert not Appointment.objects.exists()


def test_a_malformed_appointment_is_a_400_naming_the_problem(agenda, booking_token) -> None:
    body = appointment(agenda, agenda.slots[0], status="geboekt")
    outcome = fhir_json(post(booking_token, body), 400)
    assert "status" in outcome["issue"][0]["diagnostics"]
    assert fhir_json(post(booking_token, "{", content_type=FHIR), 400)
    assert (
        post(
            booking_token, appointment(agenda, agenda.slots[0]), content_type="text/plain"
        ).status_code
        == 415
    )
    assert not Appointment.objects.exists()


def test_without_the_create_scope_nothing_is_booked(agenda) -> None:
    scopes = "launch/patient patient/Appointment.rs patient/Slot.rs"
    app = patient_app(agenda.cast.practice_a, name="Alleen lezen", scopes=scopes)
    token = patient_token(app, agenda.cast.patient_user_a, agenda.cast.patient_a, scope=scopes)
    fhir_json(post(token["access_token"], appointment(agenda, agenda.slots[0])), 403)
    assert not Appointment.objects.exists()


def _patch(
    token: str, public_id: str, body: Any, content_type: str = "application/json-patch+json"
) -> Any:
    return Client().patch(
        f"/fhir/R4/Appointment/{public_id}",
        json.dumps(body),
        content_type=content_type,
        HTTP_ACCEPT=FHIR,
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_an_appointment_is_cancelled_by_setting_its_status(agenda, booking_token) -> None:
    created = fhir_json(post(booking_token, appointment(agenda, agenda.slots[0])), 201)
    cancel = [{"op": "replace", "path": "/status", "value": "cancelled"}]
    cancelled = fhir_json(_patch(booking_token, created["id"], cancel))
    assert cancelled["status"] == "cancelled"
    assert Appointment.objects.get().status == AppointmentStatus.CANCELLED
    # The slot is free again: found, and bookable.
    consult = agenda.types["consult"].public_id
    free = fhir_json(api(booking_token, "Slot", **{"service-type": str(consult)}))
    assert str(agenda.slots[0].public_id) in ids(free)


def test_a_put_with_status_cancelled_cancels_too(agenda, booking_token) -> None:
    created = fhir_json(post(booking_token, appointment(agenda, agenda.slots[0])), 201)
    changed = {**created, "status": "cancelled"}
    answer = Client().put(
        f"/fhir/R4/Appointment/{created['id']}",
        json.dumps(changed),
        content_type=FHIR,
        HTTP_ACCEPT=FHIR,
        HTTP_AUTHORIZATION=f"Bearer {booking_token}",
    )
    assert fhir_json(answer)["status"] == "cancelled"


def test_another_patients_appointment_cannot_be_cancelled(agenda, booking_token) -> None:
    other = PatientFactory(practice=agenda.cast.practice_a, user=UserFactory())
    theirs = book_online(agenda, agenda.slots[3], patient=other)
    cancel = [{"op": "replace", "path": "/status", "value": "cancelled"}]
    fhir_json(_patch(booking_token, str(theirs.public_id), cancel), 404)
    assert Appointment.objects.get(pk=theirs.pk).status == AppointmentStatus.BOOKED


def test_only_cancelling_is_an_update(agenda, booking_token) -> None:
    created = fhir_json(post(booking_token, appointment(agenda, agenda.slots[0])), 201)
    move = [{"op": "replace", "path": "/start", "value": "2030-01-01T09:00:00+01:00"}]
    fhir_json(_patch(booking_token, created["id"], move), 422)
    assert Appointment.objects.get().status == AppointmentStatus.BOOKED
