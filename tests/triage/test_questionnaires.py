"""Questionnaires: the documents and their checks, the builder, sending (before an
appointment, to a group), answering named and anonymous, the counted results with small
groups hidden, and the exports (CSV and FHIR R4 QuestionnaireResponse)."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from fhirclient.models.bundle import Bundle as ClientBundle
from fhirclient.models.questionnaireresponse import QuestionnaireResponse as ClientResponse
from hypothesis import given, settings
from hypothesis import strategies as st

from spreekuur.agenda import services as agenda_services
from spreekuur.agenda.models import Appointment, AppointmentStatus
from spreekuur.core.exceptions import BusinessRuleError, PermissionDenied
from spreekuur.core.models import AuditEntry, Notification
from spreekuur.triage import services
from spreekuur.triage.models import (
    InvitationReason,
    PendingAnswer,
    Questionnaire,
    QuestionnaireInvitation,
    QuestionnaireMailing,
    QuestionnaireResponse,
    QuestionnaireStatus,
)
from spreekuur.triage.questionnaires import (
    MIN_GROUP,
    Group,
    ItemInput,
    QuestionnaireInvalid,
    aggregate,
    clean_answers,
    load_shipped_sets,
    parse_questionnaire,
)
from spreekuur.triage.selectors import questionnaires as selectors
from tests.agenda.conftest import Agenda, book_online
from tests.conftest import Cast
from tests.factories import PatientFactory, UserFactory
from tests.triage.conftest import adopted_questionnaire

pytestmark = pytest.mark.django_db


# Documents -----------------------------------------------------------------------------


@pytest.mark.parametrize("document", [d for d, _ in load_shipped_sets()], ids=lambda d: d.code)
def test_every_shipped_set_passes_the_checks(document: Any) -> None:
    assert len(document.items) >= 5
    assert document.source  # where it comes from


def test_a_consult_preparation_is_named_and_the_satisfaction_survey_anonymous() -> None:
    shipped = {d.code: d for d, _ in load_shipped_sets()}
    assert shipped["consultvoorbereiding"].anonymous is False
    assert shipped["patienttevredenheid"].anonymous is True


def _doc(*items: dict[str, Any]) -> dict[str, Any]:
    return {"code": "test", "version": 1, "title": "Test", "items": list(items)}


@pytest.mark.parametrize(
    ("items", "says"),
    [
        ([{"id": "a", "text": "Kies", "type": "choice", "options": ["Ja"]}], "twee keuzes"),
        (
            [{"id": "a", "text": "Kies", "type": "choice", "options": ["Ja", "ja"]}],
            "dezelfde tekst",
        ),
        ([{"id": "a", "text": "Tekst", "type": "text", "options": ["x", "y"]}], "geen keuzevraag"),
        ([{"id": "a", "text": "Schaal", "type": "scale", "minimum": 0}], "hele getallen"),
        (
            [{"id": "a", "text": "Schaal", "type": "scale", "minimum": 0, "maximum": 20}],
            "stappen",
        ),
        (
            [
                {"id": "a", "text": "Vraag een", "type": "text"},
                {"id": "a", "text": "Vraag twee", "type": "text"},
            ],
            "dezelfde id",
        ),
        (
            [
                {
                    "id": "b",
                    "text": "Later",
                    "type": "text",
                    "show_if": {"item": "a", "answers": [0]},
                },
                {"id": "a", "text": "Kies", "type": "choice", "options": ["Ja", "Nee"]},
            ],
            "eerdere vraag",
        ),
        (
            [
                {"id": "a", "text": "Tekst", "type": "text"},
                {
                    "id": "b",
                    "text": "Later",
                    "type": "text",
                    "show_if": {"item": "a", "answers": [0]},
                },
            ],
            "keuzevraag",
        ),
        (
            [
                {"id": "a", "text": "Kies", "type": "choice", "options": ["Ja", "Nee"]},
                {
                    "id": "b",
                    "text": "Later",
                    "type": "text",
                    "show_if": {"item": "a", "answers": [5]},
                },
            ],
            "niet bestaat",
        ),
    ],
)
def test_a_broken_questionnaire_is_refused_in_dutch(items: list[dict[str, Any]], says: str) -> None:
    with pytest.raises(QuestionnaireInvalid) as refused:
        parse_questionnaire(_doc(*items))
    assert any(says in problem for problem in refused.value.problems), refused.value.problems


def test_a_shape_error_names_where_and_never_echoes_the_input() -> None:
    with pytest.raises(QuestionnaireInvalid) as refused:
        parse_questionnaire(_doc({"id": "a", "text": "<script>x</script>", "type": "movie"}))
    assert "<script>" not in str(refused.value)
    assert "items.0.type" in str(refused.value)


PREPARATION = next(d for d, _ in load_shipped_sets() if d.code == "consultvoorbereiding")


def test_answers_of_hidden_questions_are_not_stored() -> None:
    answers, errors = clean_answers(
        PREPARATION,
        {
            "hulpvraag": ["Hoofdpijn"],
            "duur": ["4"],  # no complaint: "last" is not asked
            "last": ["7"],
            "al-gedaan": ["1"],  # no: "wat-gedaan" is not asked
            "wat-gedaan": ["paracetamol"],
        },
    )
    assert errors == {}
    assert answers == {"hulpvraag": "Hoofdpijn", "duur": 4, "al-gedaan": 1}


def test_each_type_is_checked_and_stored_as_itself() -> None:
    document = parse_questionnaire(
        _doc(
            {
                "id": "k",
                "text": "Kies",
                "type": "choice",
                "options": ["Ja", "Nee"],
                "required": True,
            },
            {"id": "m", "text": "Meer", "type": "multiple", "options": ["a", "b", "c"]},
            {"id": "g", "text": "Gewicht", "type": "number", "minimum": 1, "maximum": 300},
            {"id": "s", "text": "Schaal", "type": "scale", "minimum": 1, "maximum": 5},
            {"id": "d", "text": "Datum", "type": "date"},
        )
    )
    answers, errors = clean_answers(
        document, {"k": ["0"], "m": ["2", "0", "2"], "g": ["82,5"], "s": ["5"], "d": ["3-2-2026"]}
    )
    assert errors == {}
    assert answers == {"k": 0, "m": [0, 2], "g": 82.5, "s": 5, "d": "2026-02-03"}
    _, errors = clean_answers(document, {"m": ["9"], "g": ["veel"], "s": ["6"], "d": ["31-2-2026"]})
    assert set(errors) == {"k", "m", "g", "s", "d"}
    assert errors["k"] == "Beantwoord deze vraag."
    _, errors = clean_answers(document, {"k": ["0"], "g": ["400"]})
    assert "hoogstens 300" in errors["g"]


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from([i.id for i in PREPARATION.items] + ["x"]),
        st.lists(st.text(max_size=30), max_size=4),
    )
)
def test_any_submitted_form_gives_answers_or_errors_never_a_crash(
    submitted: dict[str, list[str]],
) -> None:
    answers, errors = clean_answers(PREPARATION, submitted)
    assert not set(answers) & set(errors)
    assert set(answers) <= {i.id for i in PREPARATION.items}


# Counting with small groups hidden ------------------------------------------------------


SURVEY = parse_questionnaire(
    _doc(
        {"id": "k", "text": "Tevreden?", "type": "choice", "options": ["Ja", "Nee", "Soms"]},
        {"id": "c", "text": "Cijfer", "type": "scale", "minimum": 1, "maximum": 5},
        {"id": "t", "text": "Opmerking", "type": "text"},
    )
)


def test_fewer_than_five_anonymous_responses_show_nothing() -> None:
    results = aggregate(SURVEY, [{"k": 0}] * (MIN_GROUP - 1), suppress=True)
    assert results.hidden and results.items == []
    assert not aggregate(SURVEY, [{"k": 0}] * MIN_GROUP, suppress=True).hidden


def test_no_group_smaller_than_five_shows_not_even_through_the_total() -> None:
    answers = [{"k": 0, "c": 4, "t": "fijn"}] * 9 + [{"k": 1, "c": 2}] * 6 + [{"k": 2}] * 2
    results = aggregate(SURVEY, answers, suppress=True)
    choice = results.items[0]
    counts = [cell.count for cell in choice.cells]
    # "Soms" (2) is hidden, and so is the smallest other (6): else 17 - 9 - 6 = 2.
    assert counts == [9, None, None]
    for item in results.items:
        assert item.answered is None or item.answered >= MIN_GROUP
        for cell in item.cells:
            assert cell.count is None or cell.count == 0 or cell.count >= MIN_GROUP
    text = results.items[2]
    assert text.texts == ["fijn"] * 9
    few_texts = aggregate(SURVEY, [{"k": 0, "t": "x"}] * 4 + [{"k": 0}] * 5, suppress=True)
    assert few_texts.items[2].texts == [] and few_texts.items[2].answered is None


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from([0, 1, 2]), min_size=0, max_size=40))
def test_any_set_of_anonymous_answers_shows_no_group_under_five(choices: list[int]) -> None:
    results = aggregate(SURVEY, [{"k": c, "c": 1 + c} for c in choices], suppress=True)
    if len(choices) < MIN_GROUP:
        assert results.hidden
        return
    for item in results.items:
        shown = [c.count for c in item.cells if c.count is not None]
        assert all(count == 0 or count >= MIN_GROUP for count in shown)
        hidden = [c for c in item.cells if c.count is None]
        assert len(hidden) != 1 or item.answered is None  # never derivable from the total


# The builder ---------------------------------------------------------------------------


def _new(cast: Cast, **extra: Any) -> Questionnaire:
    values = {"title": "Griepprik", "purpose": "enquete", "anonymous": False, "intro": ""}
    values.update(extra)
    return services.create_questionnaire(practice=cast.practice_a, by=cast.manager_a, **values)


def test_the_builder_makes_a_draft_adds_questions_and_publishes(cast: Cast) -> None:
    draft = _new(cast)
    assert draft.status == QuestionnaireStatus.DRAFT
    with pytest.raises(services.DraftInvalid):
        services.publish_questionnaire(questionnaire=draft, by=cast.manager_a)
    services.save_item(
        questionnaire=draft,
        item_id=None,
        given=ItemInput(text="Wilt u de griepprik?", type="choice", options=["Ja", "Nee"]),
        by=cast.manager_a,
    )
    services.save_item(
        questionnaire=draft,
        item_id=None,
        given=ItemInput(text="Waarom niet?", type="text", show_if_item="v1", show_if_answers=[1]),
        by=cast.gp_a,
    )
    draft.refresh_from_db()
    assert [i["id"] for i in draft.definition["items"]] == ["v1", "v2"]
    # The first question cannot go while the second depends on it, nor move below it.
    with pytest.raises(services.DraftInvalid):
        services.remove_item(questionnaire=draft, item_id="v1", by=cast.manager_a)
    with pytest.raises(services.DraftInvalid):
        services.move_item(questionnaire=draft, item_id="v1", up=False, by=cast.manager_a)
    published = services.publish_questionnaire(questionnaire=draft, by=cast.manager_a)
    assert published.is_published and published.published_at is not None
    with pytest.raises(BusinessRuleError):  # a version in use never changes
        services.save_item(
            questionnaire=published,
            item_id="v1",
            given=ItemInput(text="Anders", type="text"),
            by=cast.manager_a,
        )
    second = services.new_version(questionnaire=published, by=cast.manager_a)
    assert second.version == 2 and second.is_draft
    services.publish_questionnaire(questionnaire=second, by=cast.manager_a)
    published.refresh_from_db()
    assert published.status == QuestionnaireStatus.RETIRED


def test_a_bad_question_leaves_the_draft_as_it_was(cast: Cast) -> None:
    draft = _new(cast)
    before = dict(draft.definition)
    with pytest.raises(services.DraftInvalid) as refused:
        services.save_item(
            questionnaire=draft,
            item_id=None,
            given=ItemInput(text="Kies", type="choice", options=["Alleen ja"]),
            by=cast.manager_a,
        )
    assert "twee keuzes" in " ".join(refused.value.problems)
    draft.refresh_from_db()
    assert draft.definition == before


def test_a_preparation_cannot_be_anonymous(cast: Cast) -> None:
    with pytest.raises(BusinessRuleError):
        _new(cast, purpose="consultvoorbereiding", anonymous=True)


def test_who_may_build(cast: Cast) -> None:
    for user in (cast.assistant_a, cast.patient_user_a, cast.manager_b):
        with pytest.raises(PermissionDenied):
            services.create_questionnaire(
                practice=cast.practice_a, by=user, title="X y", purpose="enquete",
                anonymous=False, intro="",
            )  # fmt: skip
    draft = _new(cast)
    with pytest.raises(PermissionDenied):  # another practice's manager
        services.save_item(
            questionnaire=draft, item_id=None, given=ItemInput(text="Vraag", type="text"),
            by=cast.manager_b,
        )  # fmt: skip


def test_shipped_sets_are_stored_after_migrate_and_taken_over_as_a_copy(cast: Cast) -> None:
    shipped = Questionnaire.objects.filter(practice__isnull=True)
    assert {q.code for q in shipped} == {"consultvoorbereiding", "patienttevredenheid"}
    own = adopted_questionnaire(cast, "patienttevredenheid")
    assert own.practice == cast.practice_a and own.anonymous
    assert own.definition["items"] == shipped.get(code="patienttevredenheid").definition["items"]


# Answering -----------------------------------------------------------------------------


def test_a_named_answer_is_stored_with_who_and_when_and_logged(cast: Cast) -> None:
    questionnaire = adopted_questionnaire(cast, "consultvoorbereiding")
    invitation = services.invite_patient(
        questionnaire=questionnaire, patient=cast.patient_a, by=cast.assistant_a
    )
    response = services.submit_answers(
        invitation=invitation,
        submitted={"hulpvraag": ["Rugpijn"], "duur": ["1"]},
        by=cast.patient_user_a,
    )
    assert response.patient == cast.patient_a and response.answered_by == cast.patient_user_a
    assert response.submitted_at is not None and response.invitation == invitation
    entries = AuditEntry.objects.filter(object_kind="questionnaire", patient=cast.patient_a)
    assert {e.action for e in entries} == {"create"}
    assert entries.count() == 2  # sent, answered
    with pytest.raises(BusinessRuleError):  # once
        services.submit_answers(
            invitation=invitation, submitted={"hulpvraag": ["x"], "duur": ["1"]},
            by=cast.patient_user_a,
        )  # fmt: skip


def test_an_invalid_answer_stores_nothing(cast: Cast) -> None:
    questionnaire = adopted_questionnaire(cast, "consultvoorbereiding")
    invitation = services.invite_patient(
        questionnaire=questionnaire, patient=cast.patient_a, by=cast.gp_a
    )
    with pytest.raises(services.AnswersInvalid) as refused:
        services.submit_answers(invitation=invitation, submitted={}, by=cast.patient_user_a)
    assert set(refused.value.errors) == {"hulpvraag", "duur"}
    invitation.refresh_from_db()
    assert not invitation.answered and not QuestionnaireResponse.objects.exists()


def test_an_anonymous_answer_keeps_nothing_that_leads_back(cast: Cast) -> None:
    patients = [cast.patient_a, *_portal_patients(cast, 9)]
    questionnaire = adopted_questionnaire(cast, "patienttevredenheid")
    mailing = services.send_to_group(questionnaire=questionnaire, group=Group(), by=cast.manager_a)
    invitation = QuestionnaireInvitation.objects.get(mailing=mailing, patient=cast.patient_a)
    assert (
        services.submit_answers(
            invitation=invitation, submitted=_satisfied(), by=cast.patient_user_a
        )
        is None
    )
    invitation.refresh_from_db()
    assert invitation.answered
    # Waiting: only the mailing and the answers, no results yet.
    assert {f.name for f in PendingAnswer._meta.concrete_fields} == {
        "id", "practice", "mailing", "answers",
    }  # fmt: skip
    assert PendingAnswer.objects.count() == 1 and not QuestionnaireResponse.objects.exists()
    # The access log names the invitation only.
    entry = AuditEntry.objects.filter(object_kind="questionnaire", action="create").last()
    assert entry is not None and entry.object_ids == [str(invitation.public_id)]
    _answer_all(mailing, patients[1:6])
    assert services.release_anonymous_answers() == 0  # still open: nothing moves
    QuestionnaireMailing.objects.filter(pk=mailing.pk).update(
        closes_on=timezone.localdate() - timedelta(days=1)
    )
    assert services.release_anonymous_answers() == 6
    assert services.release_anonymous_answers() == 0  # once
    assert not PendingAnswer.objects.exists()
    stored = {f.name for f in QuestionnaireResponse._meta.concrete_fields}
    assert stored == {
        "id", "public_id", "practice", "questionnaire", "mailing", "invitation", "patient",
        "answered_by", "answers", "submitted_at",
    }  # fmt: skip
    for response in QuestionnaireResponse.objects.all():
        assert response.patient is None and response.answered_by is None
        assert response.invitation is None and response.submitted_at is None
        assert response.mailing == mailing
    response = QuestionnaireResponse.objects.first()
    assert response is not None
    with pytest.raises(IntegrityError), transaction.atomic():
        QuestionnaireResponse.objects.filter(pk=response.pk).update(patient=cast.patient_a)
    assert selectors.named_response_of(invitation) is None


def test_released_answers_are_in_no_order_of_answering(cast: Cast) -> None:
    patients = [cast.patient_a, *_portal_patients(cast, 29)]
    questionnaire = adopted_questionnaire(cast, "patienttevredenheid")
    mailing = services.send_to_group(questionnaire=questionnaire, group=Group(), by=cast.manager_a)
    for mark, patient in enumerate(patients):  # each answers a mark of their own: 0, 1, ...
        invitation = QuestionnaireInvitation.objects.get(mailing=mailing, patient=patient)
        services.submit_answers(
            invitation=invitation,
            submitted={**_satisfied(), "cijfer": [str(mark % 11)], "beter": [f"n{mark}"]},
            by=patient.user,
        )
    _closed(mailing)
    services.release_anonymous_answers()
    order = [r.answers["beter"] for r in QuestionnaireResponse.objects.order_by("id")]
    assert sorted(order) == sorted(f"n{n}" for n in range(30))
    assert order != [f"n{n}" for n in range(30)]  # 1 in 30! that a shuffle leaves it be


def _portal_patients(cast: Cast, count: int) -> list[Any]:
    """More adult portal users of practice A (an anonymous mailing needs 10 at least)."""
    return [PatientFactory(practice=cast.practice_a, user=UserFactory()) for _ in range(count)]


def _satisfied() -> dict[str, list[str]]:
    return {
        "telefoon": ["3"], "afspraak": ["2"], "tijd": ["3"], "uitleg": ["3"],
        "assistent": ["3"], "cijfer": ["8"],
    }  # fmt: skip


def test_nobody_answers_for_someone_they_do_not_act_for(cast: Cast) -> None:
    questionnaire = adopted_questionnaire(cast, "consultvoorbereiding")
    invitation = services.invite_patient(
        questionnaire=questionnaire, patient=cast.patient_a, by=cast.gp_a
    )
    for user in (cast.patient_user_b, cast.gp_a):
        with pytest.raises(PermissionDenied):
            services.submit_answers(
                invitation=invitation, submitted={"hulpvraag": ["x"], "duur": ["0"]}, by=user
            )
    with pytest.raises(PermissionDenied):  # another practice's patient
        services.invite_patient(questionnaire=questionnaire, patient=cast.patient_b, by=cast.gp_a)
    with pytest.raises(PermissionDenied):  # the manager sends no questionnaires to patients
        services.invite_patient(
            questionnaire=questionnaire, patient=cast.patient_a, by=cast.manager_a
        )


def test_a_withdrawn_or_closed_questionnaire_takes_no_answers(cast: Cast) -> None:
    _portal_patients(cast, 9)
    questionnaire = adopted_questionnaire(cast, "patienttevredenheid")
    mailing = services.send_to_group(
        questionnaire=questionnaire,
        group=Group(),
        by=cast.gp_a,
        closes_on=timezone.localdate() + timedelta(days=1),
    )
    invitation = QuestionnaireInvitation.objects.get(mailing=mailing, patient=cast.patient_a)
    later = timezone.now() + timedelta(days=3)
    with pytest.raises(BusinessRuleError, match="gesloten"):
        services.submit_answers(
            invitation=invitation, submitted=_satisfied(), by=cast.patient_user_a, now=later
        )
    assert not selectors.open_invitations(cast.patient_a, now=later).exists()
    single = services.invite_patient(
        questionnaire=adopted_questionnaire(cast, "consultvoorbereiding"),
        patient=cast.patient_a,
        by=cast.gp_a,
    )
    services.withdraw_invitation(invitation=single, by=cast.assistant_a)
    with pytest.raises(BusinessRuleError, match="ingetrokken"):
        services.submit_answers(
            invitation=single, submitted={"hulpvraag": ["x"], "duur": ["0"]},
            by=cast.patient_user_a,
        )  # fmt: skip


# Sending to a group and the notices ------------------------------------------------------


def test_a_mailing_reaches_portal_users_of_the_age_and_notices_go_out_once(cast: Cast) -> None:
    child = PatientFactory(
        practice=cast.practice_a,
        user=UserFactory(),
        date_of_birth=timezone.localdate() - timedelta(days=365 * 10),
    )
    others = _portal_patients(cast, 9)
    questionnaire = adopted_questionnaire(cast, "patienttevredenheid")
    assert selectors.group_size(cast.practice_a, Group(), today=timezone.localdate()) == 10
    mailing = services.send_to_group(questionnaire=questionnaire, group=Group(), by=cast.manager_a)
    invited = set(
        QuestionnaireInvitation.objects.filter(mailing=mailing).values_list("patient", flat=True)
    )
    # Not the child (under 18), not the patient without a portal account, not practice B.
    assert invited == {cast.patient_a.pk, *(p.pk for p in others)} and child.pk not in invited
    assert mailing.invited == 10
    # Each patient's access log says something was put in their portal.
    logged = AuditEntry.objects.filter(object_kind="questionnaire", action="create")
    assert set(logged.values_list("patient", flat=True)) == invited
    assert services.send_due_questionnaire_notices(batch=4) == 4
    progress = selectors.mailing_progress(mailing)
    assert (progress["notified"], progress["waiting"]) == (4, 6)
    assert services.send_due_questionnaire_notices() == 6
    assert services.send_due_questionnaire_notices() == 0
    notices = Notification.objects.filter(recipient=cast.patient_user_a.email)
    assert notices.count() == 1
    assert "vragenlijst" in notices.get().body and questionnaire.title not in notices.get().body
    assert selectors.mailing_progress(mailing) == {
        "invited": 10, "notified": 10, "answered": 0, "waiting": 0,
    }  # fmt: skip
    # A second click on "Nu versturen" does not send it twice.
    with pytest.raises(BusinessRuleError, match="net al"):
        services.send_to_group(questionnaire=questionnaire, group=Group(), by=cast.manager_a)


def test_a_group_mailing_needs_the_manager_or_a_gp_and_a_sensible_group(cast: Cast) -> None:
    questionnaire = adopted_questionnaire(cast, "patienttevredenheid")
    for user in (cast.assistant_a, cast.poh_a, cast.manager_b):
        with pytest.raises(PermissionDenied):
            services.send_to_group(questionnaire=questionnaire, group=Group(), by=user)
    with pytest.raises(BusinessRuleError):
        services.send_to_group(
            questionnaire=questionnaire, group=Group(min_age=70, max_age=20), by=cast.manager_a
        )
    with pytest.raises(BusinessRuleError):
        services.send_to_group(
            questionnaire=questionnaire, group=Group(min_age=100), by=cast.manager_a
        )  # nobody in it
    with pytest.raises(BusinessRuleError, match="minstens 10"):  # anonymous, too few
        services.send_to_group(questionnaire=questionnaire, group=Group(), by=cast.manager_a)
    with pytest.raises(BusinessRuleError, match="alleen naar een groep"):
        services.invite_patient(questionnaire=questionnaire, patient=cast.patient_a, by=cast.gp_a)
    assert not QuestionnaireInvitation.objects.exists()


# Before an appointment --------------------------------------------------------------------


def test_a_booking_of_a_kind_with_a_preparation_sends_it_and_a_move_keeps_it(
    agenda: Agenda,
) -> None:
    cast = agenda.cast
    questionnaire = adopted_questionnaire(cast, "consultvoorbereiding")
    consult = agenda.types["consult"]
    agenda_services.save_appointment_type(
        practice=cast.practice_a, by=cast.manager_a, appointment_type=consult,
        preparation_code=questionnaire.code,
    )  # fmt: skip
    consult.refresh_from_db()
    appointment = book_online(agenda, agenda.slots[0])
    invitation = appointment.preparation
    assert invitation is not None and invitation.reason == InvitationReason.APPOINTMENT
    assert invitation.answer_before == appointment.starts_at
    moved = agenda_services.reschedule_appointment(
        appointment=appointment, slot=agenda.slots[3], by=cast.patient_user_a
    )
    invitation.refresh_from_db()
    assert moved.preparation == invitation and invitation.answer_before == moved.starts_at
    assert invitation.is_open
    services.submit_answers(
        invitation=invitation, submitted={"hulpvraag": ["Knie"], "duur": ["1"]},
        by=cast.patient_user_a,
    )  # fmt: skip
    assert selectors.named_response_of(invitation) is not None


def test_a_cancelled_appointment_withdraws_its_open_preparation(agenda: Agenda) -> None:
    cast = agenda.cast
    questionnaire = adopted_questionnaire(cast, "consultvoorbereiding")
    appointment = book_online(agenda, agenda.slots[0])
    assert appointment.preparation is None  # the kind has none
    agenda_services.attach_preparation(
        appointment=appointment, code=questionnaire.code, by=cast.assistant_a
    )
    appointment.refresh_from_db()
    assert appointment.preparation is not None
    agenda_services.cancel_appointment(appointment=appointment, by=cast.patient_user_a)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    assert appointment.preparation is not None and appointment.preparation.withdrawn_at
    assert not selectors.open_invitations(cast.patient_a).exists()


def test_an_appointment_type_takes_only_a_preparation_in_use(agenda: Agenda) -> None:
    cast = agenda.cast
    survey = adopted_questionnaire(cast, "patienttevredenheid")
    with pytest.raises(BusinessRuleError):
        agenda_services.save_appointment_type(
            practice=cast.practice_a, by=cast.manager_a,
            appointment_type=agenda.types["consult"], preparation_code=survey.code,
        )  # fmt: skip
    assert not Appointment.objects.filter(preparation__isnull=False).exists()


# Results and exports ----------------------------------------------------------------------


def _answered_by_many(cast: Cast, code: str, count: int) -> Questionnaire:
    questionnaire = adopted_questionnaire(cast, code)
    for _ in range(count):
        patient = PatientFactory(practice=cast.practice_a, user=UserFactory())
        invitation = services.invite_patient(
            questionnaire=questionnaire, patient=patient, by=cast.gp_a
        )
        submitted = (
            {"hulpvraag": ['=HYPERLINK("x")'], "duur": ["1"], "verwachting": ["0", "3"]}
            if code == "consultvoorbereiding"
            else _satisfied()
        )
        assert patient.user is not None
        services.submit_answers(invitation=invitation, submitted=submitted, by=patient.user)
    return questionnaire


def test_named_answers_export_as_valid_fhir_that_an_r4_client_reads(cast: Cast) -> None:
    questionnaire = _answered_by_many(cast, "consultvoorbereiding", 3)
    bundle = services.export_answers_fhir(questionnaire=questionnaire, by=cast.gp_a)
    parsed = ClientBundle(json.loads(json.dumps(bundle)))
    resources = [entry.resource for entry in parsed.entry]
    assert resources[0].resource_type == "Questionnaire"
    responses = [r for r in resources if isinstance(r, ClientResponse)]
    assert len(responses) == 3
    first = responses[0]
    assert first.status == "completed"
    assert first.subject.identifier.system == "http://fhir.nl/fhir/NamingSystem/bsn"
    assert first.questionnaire.endswith(f"|{questionnaire.version}")
    by_link = {item.linkId: item for item in first.item}
    assert by_link["duur"].answer[0].valueCoding.display == "1 tot 4 weken"
    assert [a.valueCoding.code for a in by_link["verwachting"].answer] == ["1", "4"]
    exported = AuditEntry.objects.filter(object_kind="questionnaire", action="export")
    assert exported.count() == 3  # one per patient, in each patient's log


def test_the_csv_has_a_row_per_response_and_no_formulas(cast: Cast) -> None:
    questionnaire = _answered_by_many(cast, "consultvoorbereiding", 2)
    text = services.export_answers_csv(questionnaire=questionnaire, by=cast.poh_a)
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert len(rows) == 3
    assert rows[0][3] == "Waarvoor komt u naar het spreekuur?"
    assert rows[1][3].startswith("'=")  # a spreadsheet shows it as text
    for user in (cast.manager_a, cast.assistant_a):  # every patient at once: GPs and POH
        with pytest.raises(PermissionDenied):
            services.export_answers_csv(questionnaire=questionnaire, by=user)
    with pytest.raises(PermissionDenied):
        services.export_answers_fhir(questionnaire=questionnaire, by=cast.gp_b)


def _answer_all(mailing: Any, patients: list[Any]) -> None:
    for patient in patients:
        invitation = QuestionnaireInvitation.objects.get(mailing=mailing, patient=patient)
        services.submit_answers(invitation=invitation, submitted=_satisfied(), by=patient.user)


def _closed(mailing: Any) -> None:
    """The mailing's closing date has passed, and the hourly job has moved its answers."""
    QuestionnaireMailing.objects.filter(pk=mailing.pk).update(
        closes_on=timezone.localdate() - timedelta(days=1)
    )
    services.release_anonymous_answers()


def test_anonymous_results_show_only_closed_mailings_of_five_answers_or_more(cast: Cast) -> None:
    patients = [cast.patient_a, *_portal_patients(cast, 9)]
    questionnaire = adopted_questionnaire(cast, "patienttevredenheid")
    first = services.send_to_group(questionnaire=questionnaire, group=Group(), by=cast.gp_a)
    _answer_all(first, patients[:5])
    # Open: nothing yet, whatever the count (a new answer could be told apart).
    results = services.results_for(questionnaire=questionnaire, by=cast.manager_a)
    assert results.hidden and results.responses == 5
    _closed(first)
    results = services.results_for(questionnaire=questionnaire, by=cast.manager_a)
    assert not results.hidden and results.responses == 5
    assert [c.count for c in results.items[0].cells] == [0, 0, 0, 5, 0]
    # A second mailing with 4 answers, closed: it never counts, alone or with the first,
    # so it cannot show through as the difference.
    second = services.send_to_group(
        questionnaire=questionnaire, group=Group(sample=10), by=cast.manager_a
    )
    _answer_all(second, patients[5:9])
    _closed(second)
    assert services.results_for(questionnaire=questionnaire, by=cast.gp_a).responses == 5
    alone = services.results_for(questionnaire=questionnaire, mailing=second, by=cast.gp_a)
    assert alone.hidden
    text = services.export_answers_csv(questionnaire=questionnaire, mailing=second, by=cast.gp_a)
    assert "minder dan 5" in text and "Altijd" not in text
    with pytest.raises(BusinessRuleError):
        services.export_answers_fhir(questionnaire=questionnaire, by=cast.gp_a)


def test_named_results_are_counts_only_with_small_ones_hidden(cast: Cast) -> None:
    questionnaire = _answered_by_many(cast, "consultvoorbereiding", 6)
    for user in (cast.manager_a, cast.gp_a):
        results = services.results_for(questionnaire=questionnaire, by=user)
        assert not results.hidden
        by_id = {r.item.id: r for r in results.items}
        assert by_id["hulpvraag"].texts == []  # texts only on the page per patient
        assert [c.count for c in by_id["duur"].cells] == [0, 6, 0, 0, 0]
        assert by_id["verwachting"].answered == 6


def test_a_mean_is_not_shown_beside_a_hidden_count() -> None:
    answers = [{"c": 4}] * 20 + [{"c": 3}] * 6 + [{"c": 1}]
    item = aggregate(SURVEY, answers, suppress=True).items[1]
    assert None in [c.count for c in item.cells]
    assert item.mean is None and item.median is None


def test_response_rates_per_questionnaire(cast: Cast) -> None:
    questionnaire = _answered_by_many(cast, "consultvoorbereiding", 2)
    services.invite_patient(questionnaire=questionnaire, patient=cast.patient_a, by=cast.gp_a)
    today = timezone.localdate()
    [rate] = selectors.response_rates(cast.practice_a, start=today, end=today)
    assert (rate.sent, rate.answered, rate.rate) == (3, 2, 2 / 3)
    assert selectors.response_rates(cast.practice_b, start=today, end=today) == []
