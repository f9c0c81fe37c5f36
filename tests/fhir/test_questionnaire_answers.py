"""An app answers a questionnaire the practice sent (POST QuestionnaireResponse) through
the portal's own service: the same checks per question with the portal's words, once
only, for the connected patient only, and the answers show to the practice as if given
in the portal."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from spreekuur.core.models import AuditEntry
from spreekuur.triage import services
from spreekuur.triage.models import QuestionnaireInvitation, QuestionnaireResponse
from tests.conftest import Cast
from tests.fhir.conftest import FHIR, api, fhir_json, open_records, patient_app, patient_token
from tests.triage.conftest import adopted_questionnaire

pytestmark = pytest.mark.django_db

SCOPES = "launch/patient patient/Questionnaire.rs patient/QuestionnaireResponse.crs"


@pytest.fixture
def sent(cast: Cast) -> QuestionnaireInvitation:
    """The consult preparation (hulpvraag: text, required; duur: choice; last: scale)."""
    return services.invite_patient(
        questionnaire=adopted_questionnaire(cast, "consultvoorbereiding"),
        patient=cast.patient_a,
        by=cast.assistant_a,
    )


@pytest.fixture
def token(cast: Cast) -> str:
    open_records(cast.practice_a)
    app = patient_app(cast.practice_a, name="Vragen-app", scopes=SCOPES)
    return str(
        patient_token(app, cast.patient_user_a, cast.patient_a, scope=SCOPES)["access_token"]
    )


def post(token: str, body: Any) -> Any:
    return Client().post(
        "/fhir/R4/QuestionnaireResponse",
        json.dumps(body),
        content_type=FHIR,
        HTTP_ACCEPT=FHIR,
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def response(questionnaire: str, **answers: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "questionnaire": questionnaire,
        "item": [{"linkId": link, "answer": [value]} for link, value in answers.items()],
    }


def _url(token: str, invitation: QuestionnaireInvitation) -> str:
    """The questionnaire's canonical URL, as the app finds it under Questionnaire."""
    found = fhir_json(api(token, f"Questionnaire/{invitation.questionnaire.public_id}"))
    return f"{found['url']}|{found['version']}"


def test_the_answers_are_stored_as_in_the_portal(
    cast: Cast, token: str, sent: QuestionnaireInvitation
) -> None:
    body = response(
        _url(token, sent),
        hulpvraag={"valueString": "Hoesten"},
        duur={"valueCoding": {"code": "1"}},
        last={"valueInteger": 6},
    )
    created = fhir_json(
        post(token, {**body, "subject": {"reference": f"Patient/{cast.patient_a.public_id}"}}), 201
    )
    stored = QuestionnaireResponse.objects.get()
    assert stored.answers == {"hulpvraag": "Hoesten", "duur": 0, "last": 6}
    assert stored.patient == cast.patient_a and stored.answered_by == cast.patient_user_a
    assert created["id"] == str(stored.public_id)
    assert [item["linkId"] for item in created["item"]] == ["hulpvraag", "duur", "last"]
    sent.refresh_from_db()
    assert sent.answered
    entry = AuditEntry.objects.filter(object_kind="questionnaire", action="create").latest("id")
    assert entry.channel == "api" and "Vragen-app" in entry.detail
    # Once only: an answered questionnaire no longer waits for an answer.
    again = fhir_json(post(token, body), 422)
    assert "geen vragenlijst met dit adres" in again["issue"][0]["details"]["text"]
    assert QuestionnaireResponse.objects.count() == 1


def test_each_wrong_answer_is_named_with_the_portals_words(
    cast: Cast, token: str, sent: QuestionnaireInvitation
) -> None:
    body = response(
        _url(token, sent),
        duur={"valueCoding": {"code": "99"}},
        last={"valueString": "veel"},
    )
    refused = fhir_json(post(token, body), 422)
    text = refused["issue"][0]["details"]["text"]
    assert "hulpvraag: Beantwoord deze vraag." in text
    assert "duur: Kies een van de antwoorden." in text
    # A question shown only after a valid earlier answer is checked once that is given.
    body["item"][0]["answer"] = [{"valueCoding": {"code": "1"}}]
    text = fhir_json(post(token, body), 422)["issue"][0]["details"]["text"]
    assert "last: Kies een waarde op de schaal." in text
    assert (
        "Choose a value on the scale."
        in fhir_json(post(token, body), 422)["issue"][0]["diagnostics"]
    )
    assert not QuestionnaireResponse.objects.exists()
    assert not QuestionnaireInvitation.objects.get().answered


def test_an_unknown_question_or_questionnaire_is_refused(
    cast: Cast, token: str, sent: QuestionnaireInvitation
) -> None:
    unknown_item = response(
        _url(token, sent), hulpvraag={"valueString": "x"}, extra={"valueString": "y"}
    )
    assert "extra" in fhir_json(post(token, unknown_item), 422)["issue"][0]["details"]["text"]
    elsewhere = response("https://elders.example/Questionnaire/x", hulpvraag={"valueString": "x"})
    assert fhir_json(post(token, elsewhere), 422)["issue"][0]["code"] == "not-found"
    assert not QuestionnaireResponse.objects.exists()


def test_only_for_the_connected_patient_and_only_when_complete(
    cast: Cast, token: str, sent: QuestionnaireInvitation
) -> None:
    body = response(
        _url(token, sent), hulpvraag={"valueString": "x"}, duur={"valueCoding": {"code": "2"}}
    )
    other = {**body, "subject": {"reference": f"Patient/{cast.other_patient_a.public_id}"}}
    assert fhir_json(post(token, other), 422)["issue"][0]["code"] == "business-rule"
    draft = {**body, "status": "in-progress"}
    assert fhir_json(post(token, draft), 422)["issue"][0]["code"] == "value"
    assert fhir_json(post(token, {**body, "status": "klaar"}), 400)["resourceType"] == (
        "OperationOutcome"
    )
    # The other patient's invitation is not this token's to answer.
    theirs = services.invite_patient(
        questionnaire=sent.questionnaire, patient=cast.other_patient_a, by=cast.assistant_a
    )
    fhir_json(post(token, body), 201)
    theirs.refresh_from_db()
    assert not theirs.answered


def test_a_token_without_the_create_scope_cannot_answer(
    cast: Cast, sent: QuestionnaireInvitation
) -> None:
    scopes = "launch/patient patient/QuestionnaireResponse.rs patient/Questionnaire.rs"
    app = patient_app(cast.practice_a, name="Lees-app", scopes=scopes)
    token = str(
        patient_token(app, cast.patient_user_a, cast.patient_a, scope=scopes)["access_token"]
    )
    body = response(_url(token, sent), hulpvraag={"valueString": "x"})
    assert fhir_json(post(token, body), 403)["resourceType"] == "OperationOutcome"
    assert not QuestionnaireResponse.objects.exists()
