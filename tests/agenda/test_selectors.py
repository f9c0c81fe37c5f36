"""The agenda's reads write nothing: missing rules are read as the defaults in the code."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from spreekuur.agenda import selectors, services
from spreekuur.agenda.models import BookingRules
from tests.conftest import Cast

pytestmark = pytest.mark.django_db


def _writes(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].split(None, 1)[0].upper() in ("INSERT", "UPDATE")]


def test_a_practice_without_booking_rules_reads_the_defaults_without_writing(
    cast: Cast,
) -> None:
    BookingRules.objects.filter(practice=cast.practice_a).delete()
    with CaptureQueriesContext(connection) as queries:
        rules = selectors.booking_rules_for(cast.practice_a)
    assert rules.pk is None and rules.horizon_days == 14
    assert _writes(queries) == []
    services.update_booking_rules(
        practice=cast.practice_a, by=cast.manager_a, horizon_days=21
    )  # the first change stores them
    assert BookingRules.objects.get(practice=cast.practice_a).horizon_days == 21
