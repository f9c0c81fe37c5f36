"""The questionnaire pages: the builder and the results for the practice, answering in
the portal, and every page refused to whom it is not for."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from spreekuur.triage import services
from spreekuur.triage.models import (
    Questionnaire,
    QuestionnaireInvitation,
    QuestionnaireMailing,
    QuestionnaireResponse,
)
from spreekuur.triage.questionnaires import Group
from tests.conftest import Cast, verified_client
from tests.factories import PatientFactory, UserFactory
from tests.triage.conftest import adopted_questionnaire

pytestmark = pytest.mark.django_db


def test_the_builder_walk_as_the_manager(cast: Cast) -> None:
    client = verified_client(cast.manager_a)
    page = client.get(reverse("triage:questionnaires"))
    assert page.status_code == 200 and "Kant-en-klare vragenlijsten" in page.text
    made = client.post(
        reverse("triage:questionnaires"),
        {"title": "Ervaring met beeldbellen", "purpose": "enquete", "anonymous": "on"},
    )
    draft = Questionnaire.objects.get(practice=cast.practice_a)
    assert made.url == reverse("triage:questionnaire", args=[draft.public_id])
    add = reverse("triage:add_question", args=[draft.public_id])
    assert client.get(add).status_code == 200
    refused = client.post(add, {"text": "Ging het goed?", "type": "choice", "options": "Ja"})
    assert refused.status_code == 422 and "twee keuzes" in refused.text
    client.post(add, {"text": "Ging het goed?", "type": "choice", "options": "Ja\nNee"})
    form = client.get(add)
    assert "Vraag 1 (Ging het goed?): Nee" in form.text  # a condition to choose
    client.post(
        add, {"text": "Wat ging er mis?", "type": "text", "show_if": ["v1:1"], "required": "on"}
    )
    client.post(add, {"text": "Cijfer", "type": "scale", "minimum": "1", "maximum": "5"})
    preview = client.get(reverse("triage:preview_questionnaire", args=[draft.public_id]))
    assert preview.status_code == 200 and "Alleen als u bij vraag 1 “Nee” koos." in preview.text
    client.post(reverse("triage:publish_questionnaire", args=[draft.public_id]))
    draft.refresh_from_db()
    assert draft.is_published
    assert [i["type"] for i in draft.definition["items"]] == ["choice", "text", "scale"]
    detail = client.get(reverse("triage:questionnaire", args=[draft.public_id]))
    assert "Versturen aan een groep" in detail.text


def test_sending_to_a_group_counts_first_then_sends(cast: Cast) -> None:
    for _ in range(9):
        PatientFactory(practice=cast.practice_a, user=UserFactory())
    questionnaire = adopted_questionnaire(cast, "patienttevredenheid")
    client = verified_client(cast.manager_a)
    url = reverse("triage:send_questionnaire", args=[questionnaire.public_id])
    form = {"min_age": "18", "closes_on": "2099-01-01"}
    too_late = client.post(url, form)
    assert "Deze groep telt" in too_late.text  # counted, nothing sent yet
    assert not QuestionnaireInvitation.objects.exists()
    sent = client.post(url, {**form, "bevestigd": "1", "aantal": "10"})
    assert sent.status_code == 200 and "sluitdatum" in sent.text  # too far ahead
    closes = (timezone.localdate() + timedelta(days=14)).isoformat()
    changed = client.post(
        url, {**form, "min_age": "0", "closes_on": closes, "bevestigd": "1", "aantal": "0"}
    )
    assert changed.status_code == 200 and not QuestionnaireInvitation.objects.exists()
    sent = client.post(url, {**form, "closes_on": closes, "bevestigd": "1", "aantal": "10"})
    assert sent.status_code == 302
    progress = client.get(sent.url, headers={"HX-Request": "true"})
    assert "Bericht verstuurd aan 0 van 10 patiënten" in progress.text


def test_the_patient_answers_in_the_portal_and_sees_it_back(cast: Cast) -> None:
    questionnaire = adopted_questionnaire(cast, "consultvoorbereiding")
    invitation = services.invite_patient(
        questionnaire=questionnaire, patient=cast.patient_a, by=cast.assistant_a
    )
    client = verified_client(cast.patient_user_a)
    listing = client.get(reverse("triage:my_questionnaires"))
    assert questionnaire.title in listing.text
    url = reverse("triage:answer", args=[invitation.public_id])
    form = client.get(url)
    assert form.status_code == 200 and "Waarvoor komt u naar het spreekuur?" in form.text
    wrong = client.post(url, {"duur": "7"})
    assert wrong.status_code == 422 and "Beantwoord deze vraag." in wrong.text
    done = client.post(url, {"hulpvraag": "Hoesten", "duur": "0", "last": "6"})
    assert done.status_code == 302
    back = client.get(url)
    assert "Hoesten" in back.text and "Uw antwoorden" in back.text
    assert QuestionnaireResponse.objects.get().answers == {
        "hulpvraag": "Hoesten",
        "duur": 0,
        "last": 6,
    }


def test_answers_show_with_the_appointment_for_the_practitioner_only(cast: Cast) -> None:

    questionnaire = adopted_questionnaire(cast, "consultvoorbereiding")
    invitation = services.invite_patient(
        questionnaire=questionnaire, patient=cast.patient_a, by=cast.gp_a
    )
    services.submit_answers(
        invitation=invitation, submitted={"hulpvraag": ["Kniepijn"], "duur": ["1"]},
        by=cast.patient_user_a,
    )  # fmt: skip
    responses = reverse("triage:questionnaire_responses", args=[questionnaire.public_id])
    assert "Kniepijn" in verified_client(cast.gp_a).get(responses).text
    assert verified_client(cast.manager_a).get(responses).status_code == 403
    fhir = verified_client(cast.poh_a).get(
        reverse("triage:export_questionnaire", args=[questionnaire.public_id, "fhir"])
    )
    assert fhir["Content-Type"].startswith("application/fhir+json")
    assert json.loads(fhir.content)["entry"][1]["resource"]["resourceType"] == (
        "QuestionnaireResponse"
    )


def test_pages_are_refused_to_whom_they_are_not_for(cast: Cast) -> None:
    questionnaire = adopted_questionnaire(cast, "consultvoorbereiding")
    invitation = services.invite_patient(
        questionnaire=questionnaire, patient=cast.patient_a, by=cast.gp_a
    )
    other = verified_client(cast.patient_user_b)
    assert other.get(reverse("triage:answer", args=[invitation.public_id])).status_code == 404
    assert other.get(reverse("triage:questionnaires")).status_code in (403, 404)
    tampered = verified_client(cast.patient_user_a).get("/vragenlijsten/not-a-uuid/")
    assert tampered.status_code == 404
    manager_b = verified_client(cast.manager_b)
    for name in ("questionnaire", "questionnaire_results", "preview_questionnaire"):
        assert (
            manager_b.get(reverse(f"triage:{name}", args=[questionnaire.public_id])).status_code
            == 404
        )
    assistant = verified_client(cast.assistant_a)  # reads answers; builds nothing
    assert assistant.get(reverse("triage:questionnaires")).status_code == 200
    send = reverse("triage:send_questionnaire", args=[questionnaire.public_id])
    assert assistant.get(send).status_code == 403
    assert (
        assistant.post(reverse("triage:publish_questionnaire", args=[questionnaire.public_id]))
    ).status_code == 403


def test_anonymous_results_page_hides_until_the_mailing_closed_with_five(cast: Cast) -> None:
    questionnaire = adopted_questionnaire(cast, "patienttevredenheid")
    patients = [PatientFactory(practice=cast.practice_a, user=UserFactory()) for _ in range(9)]
    mailing = services.send_to_group(questionnaire=questionnaire, group=Group(), by=cast.gp_a)
    client = verified_client(cast.manager_a)
    url = reverse("triage:questionnaire_results", args=[questionnaire.public_id])
    for number, patient in enumerate([cast.patient_a, *patients[:4]], start=1):
        invitation = QuestionnaireInvitation.objects.get(mailing=mailing, patient=patient)
        assert patient.user is not None
        answers = {
            "telefoon": "3", "afspraak": "2", "tijd": "3", "uitleg": "3", "assistent": "3",
            "cijfer": "8", "beter": f"Opmerking {number}",
        }  # fmt: skip
        verified_client(patient.user).post(
            reverse("triage:answer", args=[invitation.public_id]), answers
        )
        page = client.get(url)
        assert "Nog geen uitkomsten" in page.text and "Opmerking" not in page.text
    QuestionnaireMailing.objects.filter(pk=mailing.pk).update(
        closes_on=timezone.localdate() - timedelta(days=1)
    )
    services.release_anonymous_answers()  # the hourly job
    page = client.get(url)
    assert "Opmerking 3" in page.text and "Nog geen uitkomsten" not in page.text


def test_odd_input_gets_a_dutch_answer_never_a_server_error(cast: Cast) -> None:
    questionnaire = adopted_questionnaire(cast, "consultvoorbereiding")
    invitation = services.invite_patient(
        questionnaire=questionnaire, patient=cast.patient_a, by=cast.gp_a
    )
    patient = verified_client(cast.patient_user_a)
    answer = reverse("triage:answer", args=[invitation.public_id])
    for odd in ("²", "-1", "99", "1e999", "nan", "x" * 5000, "0" * 400):
        page = patient.post(answer, {"hulpvraag": "Rug", "duur": odd})
        assert page.status_code == 422, odd
        assert "Kies een van de antwoorden." in page.text
        assert "invalid literal" not in page.text  # never Python's own message
    manager = verified_client(cast.manager_a)
    draft = services.create_questionnaire(
        practice=cast.practice_a, by=cast.manager_a, title="Proef", purpose="enquete",
        anonymous=False, intro="",
    )  # fmt: skip
    add = reverse("triage:add_question", args=[draft.public_id])
    for values in (
        {"text": "Getal?", "type": "number", "minimum": "1e999", "maximum": "nan"},
        {"text": "Schaal?", "type": "scale", "minimum": "-99999999", "maximum": "99999999"},
        {"text": "Keuze?", "type": "choice", "options": "a\n" * 400},
        {"text": "Kies", "type": "film"},
    ):
        assert manager.post(add, values).status_code in (200, 422), values
    draft.refresh_from_db()
    assert draft.definition["items"] == []  # none of those was saved
    # A condition on a question that is not there (no choice question yet): not offered,
    # so not taken; the question is saved without one.
    made = manager.post(add, {"text": "Voorwaarde?", "type": "text", "show_if": ["x:0"]})
    assert made.status_code == 302
    draft.refresh_from_db()
    assert "show_if" not in draft.definition["items"][0]
    send = reverse("triage:send_questionnaire", args=[questionnaire.public_id])
    for closes in ("9999-12-31", "0001-01-01", "31-02-2027", "morgen"):
        page = manager.post(send, {"min_age": "18", "closes_on": closes, "bevestigd": "1"})
        assert page.status_code == 200, closes
    long_id = reverse("triage:edit_question", args=[draft.public_id, "a" * 300])
    assert manager.get(long_id).status_code == 404
    results = reverse("triage:questionnaire_results", args=[questionnaire.public_id])
    assert manager.get(results, {"verzending": "x" * 5000}).status_code == 404
