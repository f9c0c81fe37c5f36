"""Red flags: missing national ones are asked from the code without writing, and only a
service (after migrate or flush) puts rows back."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from spreekuur.triage import selectors as triage_selectors
from spreekuur.triage import services as triage_services
from spreekuur.triage.models import RedFlag
from spreekuur.triage.red_flags import BASELINE
from tests.conftest import Cast

pytestmark = pytest.mark.django_db


def _writes(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].split(None, 1)[0].upper() in ("INSERT", "UPDATE")]


def test_a_missing_national_red_flag_is_asked_without_writing(cast: Cast) -> None:
    RedFlag.objects.filter(practice__isnull=True, code="beroerte").delete()
    with CaptureQueriesContext(connection) as queries:
        codes = [flag.code for flag in triage_selectors.red_flags_for(cast.practice_a)]
    assert codes == [code for code, *_rest in BASELINE]  # all of them, in asking order
    assert _writes(queries) == []
    assert not RedFlag.objects.filter(practice__isnull=True, code="beroerte").exists()


def test_the_service_puts_missing_national_red_flags_back_once(cast: Cast) -> None:
    RedFlag.objects.filter(practice__isnull=True, code__in=["beroerte", "ziek-kind"]).delete()
    assert triage_services.restore_red_flag_baseline() == 2
    assert triage_services.restore_red_flag_baseline() == 0
    assert RedFlag.objects.filter(practice__isnull=True).count() == len(BASELINE)
