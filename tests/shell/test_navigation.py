"""The menu's badges: a number or rows to count, all counted in one query per page."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from spreekuur.core.models import AuditEntry
from spreekuur.patients.models import Patient
from spreekuur.shell.navigation import count_together
from tests.conftest import Cast

pytestmark = pytest.mark.django_db


def test_numbers_stay_and_query_sets_are_counted_in_one_query(cast: Cast) -> None:
    in_a = Patient.objects.filter(practice=cast.practice_a)  # patient A and the other one
    named = Patient.objects.filter(pk=cast.patient_b.pk)
    with CaptureQueriesContext(connection) as queries:
        counts = count_together(
            [3, in_a, 0, named, Patient.objects.none(), AuditEntry.objects.none()]
        )
    assert counts == [3, 2, 0, 1, 0, 0]
    assert len(queries) == 1


def test_nothing_to_count_asks_nothing() -> None:
    with CaptureQueriesContext(connection) as queries:
        assert count_together([0, 2, Patient.objects.none()]) == [0, 2, 0]
    assert not queries


def test_a_query_set_with_joins_annotations_and_order_counts_its_rows(cast: Cast) -> None:
    rows = (
        Patient.objects.filter(practice__slug="praktijk-a")
        .select_related("practice")
        .order_by("-family_name")
        .distinct()
    )
    assert count_together([rows]) == [rows.count()] == [2]
