"""The heat map's numbers, computed by hand from a few hours."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from spreekuur.telephony.models import CallHour
from spreekuur.telephony.selectors import call_load
from tests.conftest import verified_client

pytestmark = pytest.mark.django_db

MONDAY, NEXT_MONDAY, TUESDAY = date(2026, 11, 23), date(2026, 11, 30), date(2026, 11, 24)


def _hour(practice, day, hour, offered, answered, abandoned, callbacks=0, wait=0):
    return CallHour.objects.create(
        practice=practice,
        day=day,
        hour=hour,
        incoming=offered,
        offered=offered,
        answered=answered,
        abandoned=abandoned,
        callbacks=callbacks,
        wait_seconds_total=wait,
        waits_counted=offered,
    )


def _data(practice):
    _hour(practice, MONDAY, 8, 30, 24, 4, 2, wait=30 * 60)
    _hour(practice, NEXT_MONDAY, 8, 20, 18, 2, 0, wait=20 * 30)
    _hour(practice, MONDAY, 9, 10, 10, 0)
    _hour(practice, TUESDAY, 8, 12, 11, 1)
    _hour(practice, TUESDAY, 14, 2, 2, 0)


def test_averages_per_weekday_and_the_busiest_hour(cast):
    _data(cast.practice_a)
    _hour(cast.practice_b, MONDAY, 8, 500, 0, 500)  # another practice: not counted
    load = call_load(cast.practice_a, since=MONDAY, until=NEXT_MONDAY)
    monday_8 = load.cell(0, 8)
    assert monday_8.days == 2  # two Mondays had calls
    assert monday_8.offered == 25.0  # (30 + 20) / 2
    assert monday_8.answered == 21.0
    assert monday_8.abandoned == 3.0
    assert monday_8.callbacks == 1.0
    assert monday_8.average_wait == (30 * 60 + 20 * 30) // 50  # 48 s, weighted by calls
    assert monday_8.abandoned_percent == 12.0
    assert load.cell(0, 9).offered == 5.0  # 10 calls over the two Mondays
    assert load.cell(1, 8).offered == 12.0
    # Top tenth of 4 hours, at least one: Monday 8:00.
    assert [(c.weekday, c.hour) for c in load.busiest] == [(0, 8)]
    assert load.cell(0, 8).level == 4
    assert load.cell(1, 14).level == 1
    assert (load.total_offered, load.total_answered, load.total_abandoned) == (74, 65, 7)
    assert load.hours == list(range(8, 15))
    assert load.weekdays == [0, 1, 2, 3, 4]
    assert load.days_with_calls == 3


def test_the_page_shows_the_map_and_its_table(cast):
    _data(cast.practice_a)
    client = verified_client(cast.assistant_a)
    page = client.get(reverse("telephony:call_load"), {"weeks": "26"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "spreekuur-heat--peak" in text
    assert "Drukste uren" in text


def test_no_calls_says_how_to_get_them(cast):
    page = verified_client(cast.manager_a).get(reverse("telephony:call_load"))
    assert "gespreksrapport" in page.content.decode().lower()


def test_a_poh_and_patients_do_not_see_the_call_load(cast):
    assert verified_client(cast.poh_a).get(reverse("telephony:call_load")).status_code == 403
    patient = verified_client(cast.patient_user_a).get(reverse("telephony:call_load"))
    assert patient.status_code in (403, 404)
