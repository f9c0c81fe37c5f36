"""The pharmacy's door, held against the prescription: the dispense may name the
prescription as the FHIR specification does (`MedicationRequest/<id>`) or by an
identifier we sent; its patient and medicine must be the prescription's. A mismatch is
refused with an OperationOutcome and logged as refused, without the patient's data."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from spreekuur.core.models import AuditEntry, AuditOutcome
from spreekuur.prescriptions.fhir import medication_request
from spreekuur.prescriptions.models import ItemStatus, OutboxMessage, Pharmacy, RepeatRequestItem
from spreekuur.prescriptions.services import approve_items, mark_printed
from tests.prescriptions.conftest import Repeats, repeatable

pytestmark = pytest.mark.django_db

BSN = "http://fhir.nl/fhir/NamingSystem/bsn"
PRK = "urn:oid:2.16.840.1.113883.2.4.4.10"
HPK = "urn:oid:2.16.840.1.113883.2.4.4.7"


def _sent(repeats: Repeats, *, by_pharmacy: Pharmacy | None = None) -> RepeatRequestItem:
    """Metformine of patient A, approved and handed to the pharmacy (printed: no network)."""
    items = repeats.request(repeats.metformin, pharmacy=by_pharmacy or repeats.printing)
    approve_items(items=items, by=repeats.cast.gp_a)
    mark_printed(message=OutboxMessage.objects.get(), by=repeats.cast.assistant_a)
    return RepeatRequestItem.objects.get(pk=items[0].pk)


def _token(pharmacy: Pharmacy) -> str:
    token = Pharmacy.new_token()
    pharmacy.token_hash = Pharmacy.hash_token(token)
    pharmacy.save()
    return token


def _dispense(
    *,
    prescription: dict[str, Any],
    medicine: dict[str, Any] | None = None,
    subject: dict[str, Any] | None = None,
    **extra: Any,
) -> bytes:
    resource: dict[str, Any] = {
        "resourceType": "MedicationDispense",
        "status": "completed",
        "medicationCodeableConcept": medicine or {"text": "Metformine 500 mg"},
        "authorizingPrescription": [prescription],
        **extra,
    }
    if subject is not None:
        resource["subject"] = subject
    return json.dumps(resource).encode()


def _post(client: Client, token: str, body: bytes):
    return client.post(
        reverse("prescriptions:dispense"),
        body,
        content_type="application/fhir+json",
        headers={"Authorization": f"Bearer {token}"},
    )


def _by_reference(item: RepeatRequestItem) -> dict[str, Any]:
    return {"reference": f"MedicationRequest/{item.public_id}"}


def _status(item: RepeatRequestItem) -> str:
    item.refresh_from_db()
    return item.status


def test_the_door_takes_the_specifications_own_reference(repeats: Repeats, client) -> None:
    item = _sent(repeats)
    token = _token(repeats.printing)
    response = _post(client, token, _dispense(prescription=_by_reference(item)))
    assert response.status_code == 200, response.content
    assert _status(item) == ItemStatus.READY


def test_the_door_takes_the_identifier_we_sent(repeats: Repeats, client, settings) -> None:
    settings.SITE_URL = "https://praktijk.example"
    item = _sent(repeats)
    sent = OutboxMessage.objects.get().payload["identifier"][1]
    assert sent["system"] == "https://praktijk.example/fhir/NamingSystem/medicationrequest"
    response = _post(client, _token(repeats.printing), _dispense(prescription={"identifier": sent}))
    assert response.status_code == 200
    assert _status(item) == ItemStatus.READY


def test_the_patient_may_be_named_by_bsn_or_in_a_contained_patient(
    repeats: Repeats, client
) -> None:
    item = _sent(repeats)
    token = _token(repeats.printing)
    bsn = {"system": BSN, "value": repeats.cast.patient_a.bsn}
    by_identifier = _dispense(prescription=_by_reference(item), subject={"identifier": bsn})
    assert _post(client, token, by_identifier).status_code == 200
    contained = _dispense(
        prescription=_by_reference(item),
        subject={"reference": "#p"},
        contained=[{"resourceType": "Patient", "id": "p", "identifier": [bsn]}],
    )
    assert _post(client, token, contained).status_code == 200  # and idempotent
    assert _status(item) == ItemStatus.READY


def test_a_dispense_for_another_patient_is_refused_and_logged_without_their_data(
    repeats: Repeats, client, caplog
) -> None:
    item = _sent(repeats)
    other_bsn = repeats.cast.other_patient_a.bsn
    body = _dispense(
        prescription=_by_reference(item),
        subject={"identifier": {"system": BSN, "value": other_bsn}},
    )
    with caplog.at_level(logging.WARNING, logger="spreekuur.security"):
        response = _post(client, _token(repeats.printing), body)
    assert response.status_code == 422
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["code"] == "business-rule"
    assert "patiënt" in outcome["issue"][0]["diagnostics"]
    assert _status(item) == ItemStatus.SENT
    refused = AuditEntry.objects.get(outcome=AuditOutcome.DENIED)
    assert refused.patient == repeats.cast.patient_a  # whose prescription was named
    assert refused.object_ids == [str(item.public_id)] and refused.actor_role == "apotheek"
    logged = " ".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "refused" in logged
    for secret in (other_bsn, repeats.cast.patient_a.bsn, "Metformine"):
        assert secret not in logged and secret not in refused.detail


@pytest.mark.parametrize(
    "medicine",
    [
        {"text": "Simvastatine 40 mg"},  # another medicine
        {"text": "Metformine 850 mg"},  # another strength
        {"text": "Glucophage 500 mg"},  # a brand without our code: not ours to guess
        {
            "coding": [{"system": "http://www.whocc.no/atc", "code": "A10BA02"}]
        },  # nothing to compare
    ],
)
def test_a_dispense_of_another_medicine_is_refused(
    repeats: Repeats, client, medicine: dict[str, Any]
) -> None:
    item = _sent(repeats)
    response = _post(
        client,
        _token(repeats.printing),
        _dispense(prescription=_by_reference(item), medicine=medicine),
    )
    assert response.status_code == 422
    assert "geneesmiddel" in response.json()["issue"][0]["diagnostics"]
    assert _status(item) == ItemStatus.SENT
    assert AuditEntry.objects.filter(outcome=AuditOutcome.DENIED).count() == 1


@pytest.mark.parametrize(
    "medicine",
    [
        {"text": "METFORMINE HCL TABLET 500MG"},  # the G-Standaard's PRK name
        {"text": "Metformine"},
        {"text": "metformine 500 mg"},
    ],
)
def test_the_same_medicine_in_other_words_is_accepted(
    repeats: Repeats, client, medicine: dict[str, Any]
) -> None:
    item = _sent(repeats)
    response = _post(
        client,
        _token(repeats.printing),
        _dispense(prescription=_by_reference(item), medicine=medicine),
    )
    assert response.status_code == 200
    assert _status(item) == ItemStatus.READY


def _coded(item: RepeatRequestItem, code: str = "29998") -> None:
    """As if the repeat list carried the PRK: the message we sent has the coding."""
    item = RepeatRequestItem.objects.select_related(
        "request__patient", "medication", "decided_by__membership"
    ).get(pk=item.pk)
    item.medication.gstandaard_level = "prk"  # type: ignore[attr-defined]
    item.medication.gstandaard_code = code  # type: ignore[attr-defined]
    OutboxMessage.objects.filter(item=item).update(payload=medication_request(item))


def test_codes_decide_where_both_use_the_same_level(repeats: Repeats, client) -> None:
    item = _sent(repeats)
    _coded(item)
    token = _token(repeats.printing)
    wrong_code = {"coding": [{"system": PRK, "code": "12345"}], "text": "Metformine 500 mg"}
    assert (
        _post(
            client, token, _dispense(prescription=_by_reference(item), medicine=wrong_code)
        ).status_code
        == 422
    )
    # The pharmacy's own name for it, with our PRK: the code says it is the same.
    right_code = {"coding": [{"system": PRK, "code": "29998"}], "text": "GLUCOPHAGE TABLET 500MG"}
    assert (
        _post(
            client, token, _dispense(prescription=_by_reference(item), medicine=right_code)
        ).status_code
        == 200
    )
    assert _status(item) == ItemStatus.READY


def test_a_medicine_in_a_contained_medication_is_compared_too(repeats: Repeats, client) -> None:
    item = _sent(repeats)
    _coded(item)
    token = _token(repeats.printing)

    def referring(code: str) -> bytes:
        body = json.loads(_dispense(prescription=_by_reference(item)))
        del body["medicationCodeableConcept"]
        body["medicationReference"] = {"reference": "#m"}
        body["contained"] = [
            {
                "resourceType": "Medication",
                "id": "m",
                "code": {"coding": [{"system": PRK, "code": code}]},
            }
        ]
        return json.dumps(body).encode()

    assert _post(client, token, referring("11111")).status_code == 422
    assert _post(client, token, referring("29998")).status_code == 200


def test_another_level_of_code_falls_back_to_the_name(repeats: Repeats, client) -> None:
    item = _sent(repeats)
    _coded(item)  # we sent a PRK; the pharmacy answers with its HPK
    token = _token(repeats.printing)
    brand = {"coding": [{"system": HPK, "code": "14364123"}], "text": "Glucophage 500 mg"}
    assert (
        _post(
            client, token, _dispense(prescription=_by_reference(item), medicine=brand)
        ).status_code
        == 422
    )
    named = {"coding": [{"system": HPK, "code": "14364123"}], "text": "Metformine 500 mg"}
    assert (
        _post(
            client, token, _dispense(prescription=_by_reference(item), medicine=named)
        ).status_code
        == 200
    )


def test_a_ready_prescription_is_not_confirmed_again_for_someone_else(
    repeats: Repeats, client
) -> None:
    item = _sent(repeats)
    token = _token(repeats.printing)
    assert _post(client, token, _dispense(prescription=_by_reference(item))).status_code == 200
    wrong = _dispense(
        prescription=_by_reference(item),
        subject={"identifier": {"system": BSN, "value": repeats.cast.other_patient_a.bsn}},
    )
    assert _post(client, token, wrong).status_code == 422
    assert _status(item) == ItemStatus.READY


def test_an_unknown_id_is_404(repeats: Repeats, client) -> None:
    _sent(repeats)
    token = _token(repeats.printing)
    response = _post(
        client, token, _dispense(prescription={"reference": f"MedicationRequest/{uuid.uuid4()}"})
    )
    assert response.status_code == 404


def test_another_practices_prescription_is_404_to_this_pharmacy(repeats: Repeats, client) -> None:
    cast = repeats.cast
    pharmacy_b = Pharmacy.objects.create(
        practice=cast.practice_b, name="Apotheek B", transport="print"
    )
    medication_b = repeatable(cast, cast.patient_b, "Metformine 500 mg", gp=cast.gp_b)
    items = repeats.request(medication_b, by=cast.patient_user_b, pharmacy=pharmacy_b)
    approve_items(items=items, by=cast.gp_b)
    mark_printed(message=OutboxMessage.objects.get(item=items[0]), by=cast.gp_b)
    item_b = RepeatRequestItem.objects.get(pk=items[0].pk)
    assert item_b.status == ItemStatus.SENT
    body = _dispense(prescription=_by_reference(item_b))
    assert _post(client, _token(repeats.printing), body).status_code == 404
    assert _status(item_b) == ItemStatus.SENT
    assert _post(client, _token(pharmacy_b), body).status_code == 200  # its own pharmacy may


@pytest.mark.parametrize(
    "prescriptions",
    [
        [{"reference": "MedicationRequest/not-a-uuid"}],  # not one of ours
        [{"reference": "https://elders.example/fhir/MedicationRequest/abc"}],
        [{"identifier": {"system": "https://apotheek.example/recepten", "value": "123"}}],
        "two",  # two different prescriptions of ours in one dispense
    ],
)
def test_a_dispense_that_names_no_single_prescription_of_ours_is_400(
    repeats: Repeats, client, prescriptions: Any
) -> None:
    item = _sent(repeats)
    if prescriptions == "two":
        prescriptions = [_by_reference(item), {"reference": f"MedicationRequest/{uuid.uuid4()}"}]
    body = json.loads(_dispense(prescription={}))
    body["authorizingPrescription"] = prescriptions
    assert _post(client, _token(repeats.printing), json.dumps(body).encode()).status_code == 400
    assert _status(item) == ItemStatus.SENT
