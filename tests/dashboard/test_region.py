"""The care group's view: each practice and the region, never a count below 10, never a
share made of fewer than 10, and no way for the region's total to give a hidden one away."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from spreekuur.dashboard.figures import COUNT, Figure
from spreekuur.dashboard.models import DailyFigure
from spreekuur.dashboard.periods import period_named
from spreekuur.dashboard.selectors import SUPPRESS_BELOW, region_view, suppress
from spreekuur.dashboard.services import add_region_analyst, set_up_region
from tests.conftest import verified_client
from tests.factories import PracticeFactory, UserFactory

pytestmark = pytest.mark.django_db


def _count(value):
    return Figure("x", "x", COUNT, value)


def test_small_counts_are_hidden_and_a_lone_one_takes_the_next_smallest_with_it():
    rows = [[_count(120)], [_count(4)], [_count(35)], [_count(0)]]
    assert [row[0] for row in suppress(rows)] == [False, True, True, False]
    rows = [[_count(3)], [_count(7)], [_count(50)]]
    assert [row[0] for row in suppress(rows)] == [True, True, False]  # two hidden already


def test_a_share_of_fewer_than_ten_is_hidden():
    share = Figure("p", "p", "percent", 50.0, 4, 8)
    assert suppress([[share], [Figure("p", "p", "percent", 10.0, 2, 20)]]) == [[True], [False]]


def _region(cast):
    practice_c = PracticeFactory(slug="praktijk-c", name="Praktijk C")
    region = set_up_region(
        slug="zorggroep-west",
        name="Zorggroep West",
        practice_slugs=["praktijk-a", "praktijk-b", "praktijk-c"],
    )
    period = period_named("vorige-maand", timezone.localdate())
    day = period.first + timedelta(days=3)
    for practice, consults, no_shows in (
        (cast.practice_a, 140, 12),
        (cast.practice_b, 6, 1),  # small: hidden, and the next smallest with it
        (practice_c, 45, 9),
    ):
        DailyFigure.objects.create(
            practice=practice, day=day, metric="consults", dimension="Consult", value=consults
        )
        DailyFigure.objects.create(practice=practice, day=day, metric="no_shows", value=no_shows)
    analyst = UserFactory(full_name="Analist")
    add_region_analyst(region=region, user=analyst)
    return region, period, analyst


def test_the_region_view_suppresses_and_totals(cast):
    region, period, _analyst = _region(cast)
    view = region_view(region, period)
    consults = view.labels.index("Consulten gehouden")
    no_show = view.labels.index("Niet verschenen")
    by_name = {row.name: row.cells for row in view.practices}
    assert by_name["Praktijk A"][consults].text == "140"
    assert by_name["Praktijk B"][consults].text == f"<{SUPPRESS_BELOW}"
    assert (
        by_name["Praktijk C"][consults].text == f"<{SUPPRESS_BELOW}"
        or by_name["Praktijk C"][consults].suppressed
    )
    assert by_name["Praktijk B"][no_show].text == "—"  # 1 of 7: a share of fewer than 10
    assert by_name["Praktijk A"][no_show].text == "7,9%"  # 12 of 152
    assert view.total.cells[consults].text == "191"
    for row in view.practices:
        for cell in row.cells:
            if (
                cell.figure.kind == COUNT
                and cell.figure.value
                and 0 < cell.figure.value < SUPPRESS_BELOW
            ):
                assert cell.suppressed


def test_the_analyst_sees_the_region_and_nothing_of_a_practice(cast):
    _region_obj, _period, analyst = _region(cast)
    client = verified_client(analyst)
    page = client.get(reverse("dashboard:region"), {"periode": "vorige-maand"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Zorggroep West" in text and "Praktijk A" in text
    assert cast.patient_a.family_name not in text
    csv = client.get(reverse("dashboard:region_csv"), {"periode": "vorige-maand"})
    assert f"<{SUPPRESS_BELOW}" in csv.content.decode("utf-8-sig")
    for name in ("dashboard:dashboard", "patients:list", "telephony:callbacks", "roster:week"):
        assert client.get(reverse(name)).status_code in (403, 404)


@pytest.mark.parametrize("role", ["manager_a", "gp_a", "patient_user_a"])
def test_practice_people_do_not_see_the_region(cast, role):
    _region(cast)
    assert verified_client(getattr(cast, role)).get(reverse("dashboard:region")).status_code == 403


def test_staff_and_patients_cannot_be_made_analysts(cast):
    region, _period, _analyst = _region(cast)
    for user in (cast.gp_a, cast.patient_user_a):
        with pytest.raises(ValueError):
            add_region_analyst(region=region, user=user)
