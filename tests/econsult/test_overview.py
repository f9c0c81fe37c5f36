"""The patient's messages overview: one list of every question, each line told apart by
its first words, its date and time, its status and who answered; unread answers marked;
the same number of queries however many threads there are."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from spreekuur.econsult import services
from spreekuur.econsult.models import Thread
from spreekuur.econsult.selectors import messages_overview, opening_words
from tests.conftest import Cast, verified_client

pytestmark = pytest.mark.django_db


def _ask(cast: Cast, calm: dict, body: str, category: str = "huid") -> Thread:
    return services.ask_question(
        patient=cast.patient_a,
        category=category,
        body=body,
        triage_answers=calm,
        consent=True,
        by=cast.patient_user_a,
    )


def _lines(cast: Cast) -> list[str]:
    page = verified_client(cast.patient_user_a).get(reverse("econsult:my_questions"))
    assert page.status_code == 200
    html = page.content.decode()
    items = html.split('<ul class="spreekuur-tasks">', 1)[1].split("</ul>", 1)[0]
    return [" ".join(item.split()) for item in items.split("<li>")[1:]]


def test_two_questions_on_the_same_subject_and_day_never_read_the_same(
    cast: Cast, calm: dict
) -> None:
    first = _ask(cast, calm, "Sinds een week een rode plek op mijn arm, die jeukt.")
    second = _ask(cast, calm, "Een moedervlek op mijn rug lijkt groter te worden.")
    services.answer_thread(thread=first, body="Smeer het twee keer per dag.", by=cast.gp_a)
    lines = _lines(cast)
    assert len(lines) == 2 and lines[0] != lines[1]
    newest, oldest = lines  # newest first
    assert "Een moedervlek op mijn rug" in newest and "wacht op de praktijk" in newest
    assert "antwoord van" not in newest
    assert "Sinds een week een rode plek" in oldest and "beantwoord" in oldest
    assert "antwoord van de huisarts" in oldest and "nieuw antwoord" in oldest
    assert "Dokter A" not in oldest  # the portal names the practice, not the person
    assert second.public_id and first.public_id  # both linked
    assert str(first.public_id) in oldest and str(second.public_id) in newest


def test_an_answer_read_is_no_longer_marked(cast: Cast, calm: dict) -> None:
    thread = _ask(cast, calm, "Een plek op mijn arm.")
    services.answer_thread(thread=thread, body="Komt goed.", by=cast.gp_a)
    client = verified_client(cast.patient_user_a)
    client.get(reverse("econsult:my_thread", args=[thread.public_id]))
    assert "nieuw antwoord" not in _lines(cast)[0]


def test_an_internal_note_never_names_its_writer_as_the_answerer(cast: Cast, calm: dict) -> None:
    thread = _ask(cast, calm, "Een plek op mijn arm.")
    services.add_internal_note(thread=thread, body="Bespreek ik morgen.", by=cast.assistant_a)
    [line] = _lines(cast)
    assert "Assistent A" not in line and "antwoord van" not in line


def test_the_overview_costs_the_same_however_many_threads(cast: Cast, calm: dict) -> None:
    _ask(cast, calm, "Een.")
    with CaptureQueriesContext(connection) as one:
        messages_overview(cast.patient_a)
    for text in ("Twee.", "Drie."):
        thread = _ask(cast, calm, text)
        services.answer_thread(thread=thread, body="Antwoord.", by=cast.gp_a, close=True)
    with CaptureQueriesContext(connection) as three:
        assert len(messages_overview(cast.patient_a)) == 3
    assert len(one) == len(three) == 1


def test_opening_words_cut_at_a_word() -> None:
    assert opening_words("kort") == "kort"
    text = "woord " * 30
    cut = opening_words(text, length=20)
    assert cut.endswith("…") and len(cut) <= 21 and "  " not in cut
