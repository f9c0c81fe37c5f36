"""Lab messages for the cast's patients."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import count

import pytest
from django.utils import timezone

from spreekuur.patients.models import Patient
from spreekuur.results.models import LabResult
from spreekuur.results.samples import SampleResult, hl7_oru, sample_patient
from spreekuur.results.services import receive_lab_message
from tests.conftest import Cast

OPEN_FROM = date(2020, 7, 1)
_numbers = count(1)

HBA1C_HIGH = SampleResult("2816", "58", "mmol/mol", "20-42", "H")
CREATININE = SampleResult("523", "80", "umol/l")  # no range: the table's is used
LDL = SampleResult("542", "2.6", "mmol/l", "<3.0")


# One moment for the whole run: two messages of one test must name the same sample time
# (it is part of a result's key), also when they are built either side of a minute.
_RUN_STARTED = timezone.now().replace(microsecond=0, second=0)


def taken(days_ago: int = 2) -> datetime:
    return _RUN_STARTED - timedelta(days=days_ago)


def oru(patient: Patient, *results: SampleResult, days_ago: int = 2, **extra: object) -> bytes:
    number = next(_numbers)
    return hl7_oru(
        sample_patient(patient),
        results or (HBA1C_HIGH, CREATININE),
        control_id=extra.pop("control_id", f"MSG{number:06d}"),  # type: ignore[arg-type]
        order=extra.pop("order", f"LAB{number:06d}"),  # type: ignore[arg-type]
        taken=taken(days_ago),
        **extra,  # type: ignore[arg-type]
    )


def receive(cast: Cast, raw: bytes, door: str = "hl7v2"):
    return receive_lab_message(practice=cast.practice_a, door=door, raw=raw, source="test")


def released(cast: Cast, *results: SampleResult, days_ago: int = 2) -> list[LabResult]:
    """Results for patient A, commented on and released by the GP."""
    from spreekuur.results.services import review_result

    outcome = receive(cast, oru(cast.patient_a, *results, days_ago=days_ago))
    rows = list(LabResult.objects.filter(message__in=outcome.messages))
    return [
        review_result(result=row, comment="Normaal, geen actie nodig.", release=True, by=cast.gp_a)
        for row in rows
    ]


@pytest.fixture(autouse=True)
def replaced_flag_in_step(request: pytest.FixtureRequest):
    """After every test with the database: a result is flagged replaced exactly when a
    newer version replaces it (the portal's online index relies on the flag)."""
    yield
    if request.node.get_closest_marker("django_db") is None:
        return
    flagged = set(LabResult.objects.filter(replaced=True).values_list("id", flat=True))
    replaced = set(
        LabResult.objects.filter(replaces__isnull=False).values_list("replaces_id", flat=True)
    )
    assert flagged == replaced


@pytest.fixture
def opened(cast: Cast) -> Cast:
    cast.practice_a.records_online_from = OPEN_FROM
    cast.practice_a.save(update_fields=["records_online_from"])
    return cast
