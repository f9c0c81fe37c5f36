"""Repeat requests: who may ask, who may decide, and a status machine without holes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.test import TestCase
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spreekuur.core.exceptions import BusinessRuleError, PermissionDenied
from spreekuur.core.models import AuditEntry
from spreekuur.patients.models import Representation
from spreekuur.prescriptions.models import (
    TRANSITIONS,
    ItemStatus,
    OutboxMessage,
    PharmacyChoice,
    RepeatRequestItem,
)
from spreekuur.prescriptions.services import (
    IllegalTransition,
    approve_items,
    forward_to_gp,
    reject_items,
    request_repeat,
    transition,
)
from tests.factories import PatientFactory
from tests.prescriptions.conftest import Repeats

pytestmark = pytest.mark.django_db


def test_a_patient_requests_from_their_repeat_list(repeats: Repeats) -> None:
    items = repeats.request(repeats.metformin, repeats.simvastatin, note="Graag voor vrijdag")
    assert [i.status for i in items] == [ItemStatus.REQUESTED] * 2
    request = items[0].request
    assert request.route == "assistent" and request.channel == "portaal"
    assert PharmacyChoice.objects.get(patient=repeats.cast.patient_a).pharmacy == repeats.pharmacy
    entry = AuditEntry.objects.get(object_kind="repeatrequest", action="create")
    assert entry.patient == repeats.cast.patient_a and entry.actor == repeats.cast.patient_user_a


def test_the_same_medicine_cannot_be_requested_twice_while_open(repeats: Repeats) -> None:
    repeats.request(repeats.metformin)
    with pytest.raises(BusinessRuleError, match="al aangevraagd"):
        repeats.request(repeats.metformin, repeats.simvastatin)
    assert RepeatRequestItem.objects.count() == 1  # nothing half-written


def test_the_database_refuses_a_second_open_item(repeats: Repeats) -> None:
    [item] = repeats.request(repeats.metformin)
    with pytest.raises(IntegrityError), transaction.atomic():
        RepeatRequestItem.objects.create(
            practice=item.practice,
            request=item.request,
            medication=item.medication,
            status="aangevraagd",
        )


def test_after_a_rejection_it_can_be_asked_again(repeats: Repeats) -> None:
    items = repeats.request(repeats.metformin)
    reject_items(items=items, reason="te-vroeg", by=repeats.cast.assistant_a)
    assert repeats.request(repeats.metformin)[0].status == ItemStatus.REQUESTED


@pytest.mark.parametrize("which", ["other_patients", "stopped", "not_repeatable"])
def test_only_the_own_active_repeat_list(repeats: Repeats, which: str) -> None:
    from spreekuur.dossier.models import Medication

    medication = repeats.other_patients
    if which == "stopped":
        medication = repeats.simvastatin
        Medication.objects.filter(pk=medication.pk).update(ended_on=timezone.localdate())
    if which == "not_repeatable":
        medication = repeats.simvastatin
        Medication.objects.filter(pk=medication.pk).update(repeatable=False)
    with pytest.raises(PermissionDenied):
        request_repeat(
            patient=repeats.cast.patient_a,
            medication_ids=[medication.public_id],
            pharmacy=repeats.pharmacy,
            by=repeats.cast.patient_user_a,
        )
    assert RepeatRequestItem.objects.count() == 0


def test_a_patient_cannot_request_for_another_or_use_another_practices_pharmacy(
    repeats: Repeats,
) -> None:
    from spreekuur.prescriptions.models import Pharmacy

    with pytest.raises(PermissionDenied):
        repeats.request(repeats.other_patients, by=repeats.cast.patient_user_a)
    elsewhere = Pharmacy.objects.create(
        practice=repeats.cast.practice_b, name="Elders", transport="print"
    )
    with pytest.raises(PermissionDenied):
        repeats.request(repeats.metformin, pharmacy=elsewhere)


def test_a_parent_requests_for_a_child_and_is_logged_as_parent(repeats: Repeats) -> None:
    from tests.prescriptions.conftest import repeatable

    cast = repeats.cast
    child = PatientFactory(
        practice=cast.practice_a, date_of_birth=timezone.localdate() - timedelta(days=8 * 365)
    )
    inhaler = repeatable(cast, child, "Salbutamol inhalator")
    Representation.objects.create(
        practice=cast.practice_a,
        patient=child,
        representative=cast.patient_user_a,
        kind="ouder",
        valid_from=timezone.localdate(),
        recorded_by=cast.assistant_a,
    )
    repeats.request(inhaler, by=cast.patient_user_a)
    entry = AuditEntry.objects.get(object_kind="repeatrequest", action="create")
    assert entry.patient == child and entry.actor_role == "ouder"
    Representation.objects.update(revoked_at=timezone.now())
    reject_items(items=list(RepeatRequestItem.objects.all()), reason="te-vroeg", by=cast.gp_a)
    with pytest.raises(PermissionDenied):
        repeats.request(inhaler, by=cast.patient_user_a)


def test_staff_take_a_request_by_phone(repeats: Repeats) -> None:
    items = repeats.request(repeats.metformin, by=repeats.cast.assistant_a, channel="telefoon")
    assert items[0].request.channel == "telefoon"
    with pytest.raises(PermissionDenied):
        repeats.request(repeats.simvastatin, by=repeats.cast.gp_b, channel="telefoon")
    with pytest.raises(PermissionDenied):
        repeats.request(repeats.simvastatin, by=repeats.cast.patient_user_a, channel="telefoon")


# --- Deciding ------------------------------------------------------------------------------------


def test_the_assistant_forwards_and_the_gp_approves_with_an_outbox_message(
    repeats: Repeats,
) -> None:
    from fhirclient.models.medicationrequest import MedicationRequest

    items = repeats.request(repeats.metformin)
    forward_to_gp(items=items, by=repeats.cast.assistant_a)
    approve_items(items=items, by=repeats.cast.gp_a)
    item = RepeatRequestItem.objects.get()
    assert item.status == ItemStatus.APPROVED and item.decided_by == repeats.cast.gp_a
    message = OutboxMessage.objects.get(item=item)
    assert message.status == "wachtend" and message.pharmacy == repeats.pharmacy
    parsed = MedicationRequest(message.payload)  # a real R4 client reads it back
    assert parsed.id == str(item.public_id)
    assert [i.value for i in parsed.identifier] == [
        f"urn:uuid:{item.public_id}",
        str(item.public_id),
    ]
    assert parsed.medicationCodeableConcept.text == "Metformine 500 mg"
    assert parsed.contained[0].identifier[0].value == repeats.cast.patient_a.bsn
    assert parsed.dispenseRequest.quantity.value == 90


@pytest.mark.parametrize("role", ["assistant_a", "poh_a", "manager_a", "patient_user_a", "gp_b"])
def test_nobody_but_a_gp_of_the_practice_approves(repeats: Repeats, role: str) -> None:
    items = repeats.request(repeats.metformin)
    with pytest.raises(PermissionDenied):
        approve_items(items=items, by=getattr(repeats.cast, role))
    assert RepeatRequestItem.objects.get().status == ItemStatus.REQUESTED
    assert not OutboxMessage.objects.exists()


def test_approval_and_its_outbox_message_are_one_transaction(
    repeats: Repeats, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = repeats.request(repeats.metformin, repeats.simvastatin)

    def fail(*_args, **_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(OutboxMessage.objects, "create", fail)
    with pytest.raises(RuntimeError):
        approve_items(items=items, by=repeats.cast.gp_a)
    assert set(RepeatRequestItem.objects.values_list("status", flat=True)) == {ItemStatus.REQUESTED}
    assert not OutboxMessage.objects.exists()


def test_a_print_pharmacy_gets_a_prescription_to_print(repeats: Repeats) -> None:
    items = repeats.request(repeats.metformin, pharmacy=repeats.printing)
    approve_items(items=items, by=repeats.cast.gp_a)
    assert OutboxMessage.objects.get().status == "afdrukken"


def test_rejection_needs_a_reason_and_other_needs_words(repeats: Repeats) -> None:
    items = repeats.request(repeats.metformin)
    with pytest.raises(BusinessRuleError):
        reject_items(items=items, reason="", by=repeats.cast.gp_a)
    with pytest.raises(BusinessRuleError, match="toelichting"):
        reject_items(items=items, reason="anders", by=repeats.cast.gp_a)
    reject_items(
        items=items, reason="controle", explanation="Eerst bloed prikken", by=repeats.cast.gp_a
    )
    item = RepeatRequestItem.objects.get()
    assert item.status == ItemStatus.REJECTED and item.reason == "controle"


def test_once_with_the_gp_the_assistant_cannot_reject(repeats: Repeats) -> None:
    items = repeats.request(repeats.metformin)
    forward_to_gp(items=items, by=repeats.cast.assistant_a)
    with pytest.raises(PermissionDenied):
        reject_items(items=items, reason="te-vroeg", by=repeats.cast.assistant_a)


def test_items_of_another_practice_are_refused_in_a_batch(repeats: Repeats) -> None:
    from tests.prescriptions.conftest import repeatable

    cast = repeats.cast
    mine = repeats.request(repeats.metformin)
    theirs_medication = repeatable(cast, cast.patient_b, "Lisinopril 10 mg", gp=cast.gp_b)
    from spreekuur.prescriptions.models import Pharmacy

    pharmacy_b = Pharmacy.objects.create(practice=cast.practice_b, name="B", transport="print")
    theirs = list(
        request_repeat(
            patient=cast.patient_b,
            medication_ids=[theirs_medication.public_id],
            pharmacy=pharmacy_b,
            by=cast.patient_user_b,
        ).items.all()
    )
    with pytest.raises(PermissionDenied):
        approve_items(items=[*mine, *theirs], by=cast.gp_a)
    assert not OutboxMessage.objects.exists()


def test_the_notices_say_nothing_about_the_medicine(repeats: Repeats) -> None:
    items = repeats.request(repeats.metformin)
    with TestCase.captureOnCommitCallbacks(execute=True):
        reject_items(items=items, reason="controle", by=repeats.cast.gp_a)
    [message] = mail.outbox
    text = (message.subject + message.body).lower()
    assert "metformine" not in text and "controle" not in text and "recept" not in text


# --- The status machine -------------------------------------------------------------------------

STATUSES = [status.value for status in ItemStatus]


@settings(max_examples=300, suppress_health_check=list(HealthCheck))
@given(start=st.sampled_from(STATUSES), steps=st.lists(st.sampled_from(STATUSES), max_size=8))
def test_no_illegal_transition_ever_passes(start: str, steps: list[str]) -> None:
    item = RepeatRequestItem(status=start)
    for target in steps:
        before = item.status
        if target in TRANSITIONS[before]:
            transition(item, target)
            assert item.status == target
        else:
            with pytest.raises(IllegalTransition):
                transition(item, target)
            assert item.status == before
    # Finished states stay finished.
    assert not TRANSITIONS[ItemStatus.REJECTED] and not TRANSITIONS[ItemStatus.READY]


def test_an_approved_item_can_no_longer_be_rejected(repeats: Repeats) -> None:
    items = repeats.request(repeats.metformin)
    approve_items(items=items, by=repeats.cast.gp_a)
    with pytest.raises(IllegalTransition):
        reject_items(items=items, reason="te-vroeg", by=repeats.cast.gp_a)


# --- Found in the security review ---------------------------------------------------------


def test_a_shielded_medicine_is_neither_shown_nor_requestable(repeats: Repeats) -> None:
    from spreekuur.dossier.services import set_shielded
    from spreekuur.prescriptions.selectors import repeat_list

    set_shielded(item=repeats.simvastatin, shielded=True, by=repeats.cast.gp_a)
    assert [c.medication for c in repeat_list(repeats.cast.patient_a)] == [repeats.metformin]
    with pytest.raises(PermissionDenied):
        repeats.request(repeats.simvastatin)


def test_a_medicine_stopped_meanwhile_is_not_approved(repeats: Repeats) -> None:
    from spreekuur.dossier.models import Medication

    items = repeats.request(repeats.metformin)
    Medication.objects.filter(pk=repeats.metformin.pk).update(ended_on=timezone.localdate())
    with pytest.raises(BusinessRuleError, match="gestopt"):
        approve_items(items=items, by=repeats.cast.gp_a)
    assert not OutboxMessage.objects.exists()


def test_sent_to_a_print_pharmacy_it_can_be_asked_for_again(repeats: Repeats) -> None:
    from spreekuur.prescriptions.services import mark_printed

    items = repeats.request(repeats.metformin, pharmacy=repeats.printing)
    approve_items(items=items, by=repeats.cast.gp_a)
    mark_printed(message=OutboxMessage.objects.get(), by=repeats.cast.assistant_a)
    assert repeats.request(repeats.metformin)[0].status == ItemStatus.REQUESTED
    printed = AuditEntry.objects.filter(detail__endswith="(afgedrukt)").get()
    assert printed.actor == repeats.cast.assistant_a


def test_the_assistant_cannot_refuse_what_goes_straight_to_the_gp(straight_to_gp: Repeats) -> None:
    items = straight_to_gp.request(straight_to_gp.metformin)
    with pytest.raises(PermissionDenied):
        reject_items(items=items, reason="te-vroeg", by=straight_to_gp.cast.assistant_a)


def test_the_note_for_the_practice_does_not_go_to_the_pharmacy(repeats: Repeats) -> None:
    items = repeats.request(repeats.metformin, note="PRIVE: ik slik ook iets anders")
    approve_items(items=items, by=repeats.cast.gp_a)
    assert "PRIVE" not in str(OutboxMessage.objects.get().payload)
