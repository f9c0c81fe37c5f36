"""The FAQ assistant over HTTP: the practice's own answers and facts, medical questions to
self-triage, nothing of a question kept."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from spreekuur.core.exceptions import BusinessRuleError, PermissionDenied
from spreekuur.core.models import AuditEntry
from spreekuur.triage import services
from spreekuur.triage.assistant import DEFAULT_FAQ, ReplyKind
from spreekuur.triage.faq import assistant_for, faq_entries
from spreekuur.triage.models import FaqAnswer, TriageSession
from tests.conftest import Cast, verified_client

pytestmark = pytest.mark.django_db

PUBLIC = "triage:public_assistant"


def ask(client: Client, url: str, question: str, **headers: str) -> str:
    response = client.post(url, {"vraag": question}, **headers)
    assert response.status_code == 200
    return response.content.decode()


def test_a_visitor_asks_a_practical_question_and_gets_the_practices_number(cast: Cast) -> None:
    url = reverse(PUBLIC, args=["praktijk-a"])
    assert Client().get(url).status_code == 200
    page = ask(Client(), url, "Wat is het telefoonnummer van de praktijk?")
    assert cast.practice_a.phone_main in page


def test_a_medical_question_is_sent_to_self_triage(cast: Cast) -> None:
    page = ask(
        Client(), reverse(PUBLIC, args=["praktijk-a"]), "Mijn kind heeft al drie dagen koorts"
    )
    assert reverse("triage:public_index", args=["praktijk-a"]) in page
    assert "Naar de zelftriage" in page


def test_an_htmx_question_gets_only_the_new_turn(cast: Cast) -> None:
    page = ask(
        Client(), reverse(PUBLIC, args=["praktijk-a"]), "Hoe vraag ik een herhaalrecept aan?",
        HTTP_HX_REQUEST="true",
    )  # fmt: skip
    assert "<html" not in page
    assert 'hx-swap-oob="true"' in page


def test_a_patient_asks_in_the_portal_and_nothing_is_kept(cast: Cast) -> None:
    client = verified_client(cast.patient_user_a)
    before = AuditEntry.objects.count()
    page = ask(client, reverse("triage:portal_assistant"), "Waar lever ik urine in?")
    assert "urine" in page.casefold()
    assert AuditEntry.objects.count() == before
    assert not TriageSession.objects.exists()


def test_the_practices_own_answer_replaces_the_default(cast: Cast) -> None:
    default = DEFAULT_FAQ[0]
    services.save_faq_answer(
        practice=cast.practice_a,
        key=default.key,
        question=default.question,
        answer="Praktijk A zegt het zelf: bel {phone_main}.",
        keywords=", ".join(default.keywords),
        active=True,
        by=cast.manager_a,
    )
    reply = assistant_for(cast.practice_a).reply(default.question)
    assert reply.kind == ReplyKind.ANSWER
    assert reply.text == f"Praktijk A zegt het zelf: bel {cast.practice_a.phone_main}."
    assert assistant_for(cast.practice_b).reply(default.question).text != reply.text


def test_a_default_switched_off_is_not_answered(cast: Cast) -> None:
    default = DEFAULT_FAQ[0]
    services.save_faq_answer(
        practice=cast.practice_a, key=default.key, question=default.question,
        answer=default.answer, keywords="", active=False, by=cast.gp_a,
    )  # fmt: skip
    assert default.key not in {entry.key for entry in faq_entries(cast.practice_a)}


def test_faq_answers_are_checked_and_kept_to_the_practice(cast: Cast) -> None:
    with pytest.raises(BusinessRuleError, match="accolades"):
        services.add_faq_answer(
            practice=cast.practice_a, question="Waar kan ik parkeren?",
            answer="Bij {iets_onbekends}.", keywords="", by=cast.manager_a,
        )  # fmt: skip
    for by in (cast.assistant_a, cast.patient_user_a, cast.manager_b):
        with pytest.raises(PermissionDenied):
            services.add_faq_answer(
                practice=cast.practice_a, question="Waar kan ik parkeren?",
                answer="Achter de praktijk.", keywords="auto", by=by,
            )  # fmt: skip
    with pytest.raises(PermissionDenied):  # neither a default nor the practice's own key
        services.save_faq_answer(
            practice=cast.practice_a, key="bestaat-niet", question="Vraag?", answer="Antwoord.",
            keywords="", active=True, by=cast.manager_a,
        )  # fmt: skip
    row = services.add_faq_answer(
        practice=cast.practice_a, question="Waar kan ik parkeren?",
        answer="Achter de praktijk is een parkeerplaats.", keywords="auto, parkeerplaats",
        by=cast.manager_a,
    )  # fmt: skip
    assert row.key.startswith("praktijk-")
    reply = assistant_for(cast.practice_a).reply("kan ik mijn auto ergens parkeren")
    assert reply.entry_key == row.key
    assert (
        assistant_for(cast.practice_b).reply("kan ik mijn auto ergens parkeren").entry_key
        != row.key
    )


def test_the_manager_edits_an_answer_in_the_settings(cast: Cast) -> None:
    client = verified_client(cast.manager_a)
    assert client.get(reverse("triage:faq_answers")).status_code == 200
    key = DEFAULT_FAQ[0].key
    url = reverse("triage:edit_faq", args=[key])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "question": "Nieuwe vraag?",
            "answer": "Nieuw antwoord van de praktijk.",
            "keywords": "",
            "active": "on",
        },
    )
    assert response.status_code == 302
    assert FaqAnswer.objects.get(practice=cast.practice_a, key=key).answer.startswith("Nieuw")
    assert client.get(reverse("triage:edit_faq", args=["bestaat-niet"])).status_code == 404
    assert verified_client(cast.assistant_a).get(reverse("triage:faq_answers")).status_code == 403
