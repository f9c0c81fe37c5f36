"""The unvalidated MedicationRequest that bulk writers use (the demo region) is exactly
what validation writes, so the demo's pharmacy messages are the product's."""

from __future__ import annotations

import pytest

from spreekuur.prescriptions.fhir import medication_request, medication_request_json
from spreekuur.prescriptions.models import RepeatRequestItem
from spreekuur.prescriptions.services import approve_items
from tests.prescriptions.conftest import Repeats


@pytest.mark.parametrize("agb", ["01234567", ""])
@pytest.mark.parametrize("microseconds", [0, 123456])
def test_the_unvalidated_request_equals_the_validated_one(
    repeats: Repeats, agb: str, microseconds: int
) -> None:
    membership = repeats.cast.gp_a.membership
    membership.agb_code = agb
    membership.save(update_fields=["agb_code"])
    approve_items(items=repeats.request(repeats.metformin), by=repeats.cast.gp_a)
    item = RepeatRequestItem.objects.select_related(
        "request__patient", "medication", "decided_by__membership"
    ).get()
    assert item.decided_at is not None
    item.decided_at = item.decided_at.replace(microsecond=microseconds)
    assert medication_request_json(item) == medication_request(item)
    practitioner = medication_request_json(item)["contained"][1]
    assert ("identifier" in practitioner) == bool(agb)
