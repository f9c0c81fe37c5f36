"""The agenda's reads write nothing: missing rules or national red flags are read as the
defaults in the code, and only a service (after migrate or flush) puts rows back."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from spreekuur.agenda import selectors, services
from spreekuur.agenda.models import BookingRules, RedFlag
from spreekuur.agenda.red_flags import BASELINE
from tests.conftest import Cast

pytestmark = pytest.mark.django_db


def _writes(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].split(None, 1)[0].upper() in ("INSERT", "UPDATE")]


def test_a_missing_national_red_flag_is_asked_without_writing(cast: Cast) -> None:
    RedFlag.objects.filter(practice__isnull=True, code="beroerte").delete()
    with CaptureQueriesContext(connection) as queries:
        codes = [flag.code for flag in selectors.red_flags_for(cast.practice_a)]
    assert codes == [code for code, *_rest in BASELINE]  # all of them, in asking order
    assert _writes(queries) == []
    assert not RedFlag.objects.filter(practice__isnull=True, code="beroerte").exists()


def test_the_service_puts_missing_national_red_flags_back_once(cast: Cast) -> None:
    RedFlag.objects.filter(practice__isnull=True, code__in=["beroerte", "ziek-kind"]).delete()
    assert services.restore_red_flag_baseline() == 2
    assert services.restore_red_flag_baseline() == 0
    assert RedFlag.objects.filter(practice__isnull=True).count() == len(BASELINE)


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
